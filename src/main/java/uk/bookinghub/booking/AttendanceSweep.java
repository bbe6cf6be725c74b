package uk.bookinghub.booking;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.analytics.AnalyticsEvent;
import uk.bookinghub.analytics.AnalyticsFacts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The attendance sweep (route appointments-attendance): a booked appointment whose end passed
 * {@code hub.analytics.auto-complete-after-hours} ago, and that nobody marked a no-show meanwhile,
 * is taken to have happened: marked completed by the sweep, once (a conditional update decides, so
 * two instances sweeping at once mark each appointment once). A client may still correct it to
 * no_show with {@code PATCH /api/appointments/{id}}.
 */
public final class AttendanceSweep {

    private static final Logger LOG = LoggerFactory.getLogger(AttendanceSweep.class);
    /** Appointments marked per transaction (the first sweep after an upgrade may find many). */
    static final int BATCH = 500;

    /** One batch: how many it marked, whether more may be waiting, and their appointment.completed events. */
    public record Batch(int marked, boolean more, List<AnalyticsEvent> events) implements AnalyticsEvent.Source {
    }

    private final BookingStore store;
    private final Clock clock;
    private final Duration after;

    public AttendanceSweep(BookingStore store, Clock clock, int afterHours) {
        if (afterHours < 0) {
            throw new IllegalArgumentException("hub.analytics.auto-complete-after-hours must be 0 or more hours, got " + afterHours);
        }
        this.store = store;
        this.clock = clock;
        this.after = Duration.ofHours(afterHours);
    }

    /** Marks the next batch of ended appointments completed. */
    public Batch sweepBatch() {
        Instant now = clock.instant();
        List<Appointment> done = store.completeEnded(now.minus(after), now, BATCH);
        List<AnalyticsEvent> events = done.stream().map(a -> AnalyticsFacts.appointmentAttended("completed", a.id(), a.clientId(), null, a.leadId(),
                a.service(), a.start(), a.completedAt(), a.completedBy(), null)).toList();
        if (!done.isEmpty()) {
            LOG.info("[BOOKING] {} appointment(s) that ended over {} h ago marked completed", done.size(), after.toHours());
        }
        return new Batch(done.size(), done.size() >= BATCH, events);
    }
}
