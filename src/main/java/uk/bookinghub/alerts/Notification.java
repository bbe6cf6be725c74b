package uk.bookinghub.alerts;

import java.time.Instant;

/**
 * One message about an alert, as every channel sends it: {@code kind} firing, repeat, resolved or
 * test; what (title, detail), where (service, route, client), how many ({@code count}) since when
 * ({@code since}), and a link to the group in the error-stats API when the alert is about errors.
 * {@code id} is unique per notification (the delivery queue and its spool file key on it);
 * {@code alertId} is the alerts row, null when the database could not be written.
 */
public record Notification(String id, Long alertId, String groupKey, String kind, String rule, String severity, String title,
                           String detail, String service, String routeId, String clientKey, long count, Instant since,
                           Instant at, String link) {

    /** "[FIRING] ...", "[RESOLVED] ...": the one line every channel leads with. */
    public String headline() {
        String tag = switch (kind) {
            case "resolved" -> "RESOLVED";
            case "repeat" -> "STILL FIRING";
            case "test" -> "TEST";
            default -> "FIRING";
        };
        return "[" + tag + "] " + title;
    }

    /** Where, in words: "service vapi, route dialler-call, client acme"; empty when none applies. */
    public String where() {
        StringBuilder b = new StringBuilder();
        append(b, "service", service);
        append(b, "route", routeId);
        append(b, "client", clientKey);
        return b.toString();
    }

    private static void append(StringBuilder b, String name, String value) {
        if (value != null && !value.isBlank()) {
            b.append(b.length() == 0 ? "" : ", ").append(name).append(' ').append(value);
        }
    }

    /** The plain text every channel can show: what, where, how many, since when, link. */
    public String text() {
        StringBuilder b = new StringBuilder(headline());
        if (detail != null && !detail.isBlank()) {
            b.append('\n').append(detail);
        }
        String w = where();
        if (!w.isEmpty()) {
            b.append("\nWhere: ").append(w);
        }
        if (!"test".equals(kind)) {
            b.append("\nHow many: ").append(count).append(count == 1 ? " occurrence" : " occurrences")
                    .append(" since ").append(since);
        }
        if ("resolved".equals(kind)) {
            b.append("\nResolved at: ").append(at);
        }
        b.append("\nSeverity: ").append(severity).append(" · rule ").append(rule).append(" · group ").append(groupKey);
        if (link != null) {
            b.append("\nDetails: ").append(link);
        }
        return b.toString();
    }
}
