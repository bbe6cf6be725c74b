package uk.bookinghub.monitoring;


import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Raises the alarm when a client's stored settings cannot be read: a {@code [CRITICAL ALERT]} log
 * line and an {@code error_log} row (severity critical) naming the client and the setting, and what
 * was stopped because of it. The dialler looks every two seconds: the same client, setting and
 * problem is alerted once per {@link #REPEAT} per instance, not on every tick. The row is written
 * off the caller's thread (callers may hold a transaction).
 */
public final class SettingsAlarm {

    static final Duration REPEAT = Duration.ofMinutes(15);

    private static final java.util.concurrent.ExecutorService WRITER = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "hub-settings-alarm");
        t.setDaemon(true);
        return t;
    });
    private final ErrorLog errors;
    private final Clock clock;
    private final Map<String, Instant> lastAlert = new ConcurrentHashMap<>();

    public SettingsAlarm(ErrorLog errors, Clock clock) {
        this.errors = errors;
        this.clock = clock;
    }

    /**
     * @param service  who stopped: dialler, reminders, follow-ups, booking, leads
     * @param stopped  what was stopped, in words ("dialling", "reminders", ...)
     */
    public void raise(String service, long clientId, String clientKey, UnreadableSettings e, String stopped) {
        String key = clientId + "/" + e.setting() + "/" + service + "/" + e.reason();
        Instant now = clock.instant();
        Instant last = lastAlert.get(key);
        if (last != null && Duration.between(last, now).compareTo(REPEAT) < 0) {
            return;
        }
        lastAlert.put(key, now);
        if (lastAlert.size() > 10_000) {
            lastAlert.clear();
        }
        String who = clientKey == null ? "client " + clientId : "client " + clientKey + " (id " + clientId + ")";
        String message = "stored " + e.setting() + " of " + who + " are unreadable (" + e.reason() + "): " + stopped
                + " stopped for this client until its settings are saved again";
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("clientId", clientId);
        if (clientKey != null) {
            context.put("clientKey", clientKey);
        }
        context.put("setting", e.setting());
        context.put("reason", e.reason());
        context.put("stopped", stopped);
        // severity critical: ErrorLog writes the [CRITICAL ALERT] log line as well as the row. Off the caller's
        // thread: callers may be inside a transaction, and SQLite's one writer would make the row wait for it
        WRITER.execute(() -> errors.record("critical", service, message, service, context));
    }
}
