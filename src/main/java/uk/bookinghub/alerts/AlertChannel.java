package uk.bookinghub.alerts;

import java.time.Duration;

/** A way to reach operations (Slack, email). Each is tried on its own: one failing never holds back another. */
public interface AlertChannel {

    /** slack, email */
    String name();

    /** Whether it has what it needs to send; one that has not is "not configured" in /health. */
    boolean configured();

    /** Sends one notification; the outcome says whether to try again and when. */
    Outcome send(Notification n);

    /**
     * What a send did: delivered, or failed with the reason and, when the channel said so, how long
     * to wait ({@code retryAfter}: Slack's 429 Retry-After); {@code permanent} failures are not retried.
     */
    record Outcome(boolean delivered, String error, Duration retryAfter, boolean permanent) {
        public static Outcome ok() {
            return new Outcome(true, null, null, false);
        }

        public static Outcome failed(String error) {
            return new Outcome(false, error, null, false);
        }
    }
}
