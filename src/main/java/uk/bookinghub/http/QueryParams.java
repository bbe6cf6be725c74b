package uk.bookinghub.http;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;

/** Date-times in JSON bodies; query parameters are checked by the front door and read from {@code uk.bookinghub.api.Params}. */
public final class QueryParams {

    private QueryParams() {
    }

    /** An ISO-8601 date-time with an offset, or a local one in {@code zone}. */
    public static Instant dateTime(String s, ZoneId zone) {
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return LocalDateTime.parse(s).atZone(zone).toInstant();
        }
    }
}
