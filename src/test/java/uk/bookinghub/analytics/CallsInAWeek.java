package uk.bookinghub.analytics;

import uk.bookinghub.support.VapiReports;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAdjusters;

/**
 * Vapi end-of-call reports for a client's calls in a chosen ISO week, as Vapi sends them (see
 * {@link VapiReports}): the call ended at noon local time on the given day, lasted 90 s and cost
 * {@code costUsd}; the outcome comes from the structured data or the ended reason, as on a real call.
 */
final class CallsInAWeek {

    static final ZoneId LONDON = ZoneId.of("Europe/London");

    private CallsInAWeek() {
    }

    /** Monday of the last complete ISO week in London (the week a report sent today covers). */
    static LocalDate lastWeekMonday() {
        return LocalDate.now(LONDON).with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).minusWeeks(1);
    }

    /** The report of call {@code callId} for {@code clientKey}, ended at noon on {@code day}, with {@code outcome}. */
    static String report(String callId, String clientKey, LocalDate day, String outcome, String costUsd) {
        Instant ended = ZonedDateTime.of(day, LocalTime.NOON, LONDON).toInstant();
        String reason = switch (outcome) {
            case "no_answer" -> "customer-did-not-answer";
            case "voicemail" -> "voicemail";
            default -> "customer-ended-call";
        };
        String structured = switch (outcome) {
            case "no_answer", "voicemail" -> "{}";
            default -> "{\"outcome\":\"" + outcome + "\"}";
        };
        return VapiReports.endOfCall(callId, "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"" + clientKey + "\"}}", reason, structured)
                .replace("2024-05-14T13:02:11.512Z", ended.minusSeconds(90).toString())
                .replace("2024-05-14T13:03:44.912Z", ended.toString())
                .replace("\"cost\":0.21", "\"cost\":" + costUsd);
    }
}
