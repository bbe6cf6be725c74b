package uk.bookinghub.alerts;

/**
 * What a rule saw, for the alert of its group: {@code groupKey} is the group (one cause, one
 * alert: {@code errors:<fingerprint>}, {@code database:down}, {@code quality:<client>:<metric>}...),
 * {@code rule} the configured rule that fired, {@code severity} warning / error / critical,
 * {@code title} one line of what, {@code detail} where and how many in words, {@code count} how
 * many occurrences this signal stands for. Service, route, fingerprint and client are null where
 * they do not apply.
 */
public record AlertSignal(String groupKey, String rule, String severity, String title, String detail,
                          String service, String routeId, String fingerprint, String clientKey, long count) {

    public AlertSignal {
        if (groupKey == null || groupKey.isBlank() || rule == null || title == null) {
            throw new IllegalArgumentException("an alert signal needs a group key, a rule and a title");
        }
        severity = severity == null ? "error" : severity;
    }

    /** A signal with no service / route / fingerprint / client. */
    public static AlertSignal of(String groupKey, String rule, String severity, String title, String detail) {
        return new AlertSignal(groupKey, rule, severity, title, detail, null, null, null, null, 1);
    }

    public AlertSignal withClient(String clientKey) {
        return new AlertSignal(groupKey, rule, severity, title, detail, service, routeId, fingerprint, clientKey, count);
    }
}
