package uk.bookinghub.http;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Query-string parameters of the list endpoints: each bad value is a 400 that names the parameter. */
public final class QueryParams {
    /** The highest page number a list answers (100,000 pages of up to 500 rows); a higher one is a 400, not a scan past the end. */
    public static final int MAX_PAGE = 100_000;

    private QueryParams() {
    }

    /** A page number or size: {@code fallback} when absent, else 1..max. */
    public static int positive(String v, int fallback, String name, int max) {
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 1 || n > max) {
                throw HttpProblem.badRequest(name + " must be between 1 and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw HttpProblem.badRequest(name + " must be a whole number");
        }
    }

    /** A row id, or null when absent. */
    public static Long id(String s, String name) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw HttpProblem.badRequest(name + " must be a whole number, got: " + s);
        }
    }

    /** An ISO-8601 date-time with an offset, or a local one in {@code zone}. */
    public static Instant dateTime(String s, ZoneId zone) {
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            return LocalDateTime.parse(s).atZone(zone).toInstant();
        }
    }

    /** A date-time (see {@link #dateTime}) or a date (its start in {@code zone}), or null when absent. */
    public static Instant instant(String s, String name, ZoneId zone) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return dateTime(s.trim(), zone);
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(s.trim()).atStartOfDay(zone).toInstant();
            } catch (DateTimeParseException e2) {
                throw HttpProblem.badRequest(name + " must be an ISO-8601 date or date-time, got: " + s);
            }
        }
    }

    /** Trimmed and lower-cased, or null when absent. */
    public static String word(String s) {
        return s == null || s.isBlank() ? null : s.trim().toLowerCase(Locale.ROOT);
    }
}
