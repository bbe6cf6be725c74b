package uk.bookinghub.api;

import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.QueryParams;
import uk.bookinghub.phones.Phones;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * A request's parameters after the front door checked them against the endpoint's declaration:
 * each present value already has its declared type (whole numbers as {@code Long}, booleans as
 * {@code Boolean}, text trimmed, dates and phone numbers in their declared shape). Handlers receive
 * it from the exchange property {@code params} ({@code method: list(${exchangeProperty.client},
 * ${exchangeProperty.params})}) and read typed values from it; an absent parameter is null. What the
 * declaration cannot say (a page number's range, a date that does not exist, a time zone that is the
 * client's) is checked here, with a 400 that names the parameter.
 */
public record Params(Map<String, Object> values, Map<String, String> text) {

    public static final Params NONE = new Params(Map.of(), Map.of());

    /** The highest page number a list answers (100,000 pages of up to 500 rows); a higher one is a 400, not a scan past the end. */
    public static final int MAX_PAGE = 100_000;

    /** One page of a list: its number from 1 and its size. */
    public record Page(int number, int size) {

        /** Rows to skip before this page. */
        public int offset() {
            return (number - 1) * size;
        }
    }

    public String text(String name) {
        return text.get(name);
    }

    /** A text parameter lower-cased (declared allowed values already are), or null when absent. */
    public String word(String name) {
        String v = text.get(name);
        return v == null ? null : v.toLowerCase(java.util.Locale.ROOT);
    }

    public Long whole(String name) {
        return (Long) values.get(name);
    }

    public Boolean flag(String name) {
        return (Boolean) values.get(name);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** {@code page} (default 1, at most {@link #MAX_PAGE}) and {@code pageSize} (default {@code defaultSize}, at most {@code maxSize}). */
    public Page page(int defaultSize, int maxSize) {
        return new Page(bounded("page", 1, MAX_PAGE), bounded("pageSize", defaultSize, maxSize));
    }

    private int bounded(String name, int fallback, int max) {
        Long n = whole(name);
        if (n == null) {
            return fallback;
        }
        if (n < 1 || n > max) {
            throw HttpProblem.badRequest(name + " must be between 1 and " + max);
        }
        return n.intValue();
    }

    /**
     * A date-time parameter as an instant: with an offset as given, without one in {@code zone} (the
     * client's), a date as its start in {@code zone}; null when absent. The front door checked the
     * shape; a date that does not exist (2026-02-30) is a 400 here.
     */
    public Instant instant(String name, ZoneId zone) {
        String s = text.get(name);
        if (s == null) {
            return null;
        }
        try {
            return QueryParams.dateTime(s, zone);
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(s).atStartOfDay(zone).toInstant();
            } catch (DateTimeParseException e2) {
                throw HttpProblem.badRequest(name + " must be an ISO-8601 date or date-time, got: " + s);
            }
        }
    }

    /** A phone parameter in E.164 ({@code region} for national spellings), or as given when it is no number (it then matches nothing); null when absent. */
    public String phone(String name, String region) {
        String s = text.get(name);
        return s == null ? null : Phones.toE164(s, region).orElse(s);
    }
}
