package uk.bookinghub.reminders;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.booking.BookingSettings;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.leads.OptOutStore;
import uk.bookinghub.messaging.MessagesApi;
import uk.bookinghub.messaging.OutboxStore;
import uk.bookinghub.messaging.Templates;
import uk.bookinghub.monitoring.SettingsAlarm;
import uk.bookinghub.monitoring.UnreadableSettings;
import uk.bookinghub.reminders.ReminderStore.Due;
import uk.bookinghub.store.Database;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The reminder batch ({@code reminders} route, a Quartz cron): finds booked appointments whose
 * reminder moment has come and queues each reminder once through the outbox.
 *
 * <ul>
 *   <li>The moment is the appointment's instant minus the client's offset (24 h, 1 h by default):
 *       real time, so a clock change neither moves nor doubles it; the text shows the local time.</li>
 *   <li>Exactly once: a {@code reminders} row per (appointment, kind, start) is inserted with
 *       ON CONFLICT DO NOTHING in the same transaction as its messages; only a new row queues
 *       messages. Two instances or a double fire therefore queue nothing twice.</li>
 *   <li>An appointment booked (or moved) later than the moment gets no such reminder (the
 *       confirmation covers it); a batch running late still sends what is useful and never for an
 *       appointment that has started; when several kinds are due at once only the nearest is sent.</li>
 *   <li>An opted-out number gets no SMS; email still goes if the client allows service emails.</li>
 * </ul>
 */
public final class Reminders {

    private static final Logger LOG = LoggerFactory.getLogger(Reminders.class);
    private static final int PAGE = 5000;

    private final ReminderStore store;
    private final ClientStore clients;
    private final MessagesApi messages;
    private final OptOutStore optOuts;
    private final OutboxStore outbox;
    private final Clock clock;
    private final SettingsAlarm alarm;

    public Reminders(Database db, ClientStore clients, MessagesApi messages, OptOutStore optOuts, OutboxStore outbox, Clock clock,
                     uk.bookinghub.monitoring.ErrorLog errors) {
        this.store = new ReminderStore(db);
        this.clients = clients;
        this.messages = messages;
        this.optOuts = optOuts;
        this.outbox = outbox;
        this.clock = clock;
        this.alarm = new SettingsAlarm(errors, clock);
    }

    private uk.bookinghub.metrics.BusinessMetrics metrics = uk.bookinghub.metrics.BusinessMetrics.NONE;

    /** Where each batch's duration is recorded ({@code hub_batch_duration_seconds}). */
    public void metrics(uk.bookinghub.metrics.BusinessMetrics metrics) {
        this.metrics = metrics;
    }

    /** One pass; returns what it did (logged and answered by the route). */
    public Map<String, Object> run() {
        uk.bookinghub.messaging.MessageSender.BULK_PASSES.incrementAndGet();
        long started = System.nanoTime();
        try {
            return pass();
        } finally {
            metrics.remindersBatch(System.nanoTime() - started);
            uk.bookinghub.messaging.MessageSender.BULK_PASSES.decrementAndGet();
        }
    }

    private Map<String, Object> pass() {
        Instant now = clock.instant();
        Map<Long, BookingSettings> settings = new HashMap<>();
        // the longest offset any client uses bounds the window to look at
        int longest = maxOffsetMinutes();
        int queued = 0;
        int skipped = 0;
        Instant after = now;
        long afterId = 0;
        while (true) {
            List<Due> page = page(now, now.plus(Duration.ofMinutes(longest)), after, afterId);
            if (page.isEmpty()) {
                break;
            }
            int[] r = store.database().inTransaction("queueing reminders", c -> queue(c, page, settings, now));
            queued += r[0];
            skipped += r[1];
            Due last = page.get(page.size() - 1);
            after = last.start();
            afterId = last.id();
            if (page.size() < PAGE) {
                break;
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("remindersQueued", queued);
        out.put("remindersSkipped", skipped);
        if (queued + skipped > 0) {
            LOG.info("[REMINDERS] {} reminder(s) queued, {} skipped", queued, skipped);
        }
        return out;
    }

    private int maxOffsetMinutes() {
        int max = 24 * 60;
        for (ReminderStore.ClientSettings row : store.activeClientSettings()) {
            try {
                for (BookingSettings.Reminder r : BookingSettings.fromJson(row.json()).reminders().values()) {
                    max = Math.max(max, r.minutesBefore());
                }
            } catch (UnreadableSettings e) {
                alarm.raise("reminders", row.clientId(), row.clientKey(), e, "reminders");
            }
        }
        return max;
    }

    private List<Due> page(Instant from, Instant to, Instant after, long afterId) {
        return store.page(to, after, afterId, PAGE);
    }

    /** Decides and queues a page in one transaction; returns {queued, skipped}. */
    private int[] queue(Connection c, List<Due> page, Map<Long, BookingSettings> settings, Instant now) throws SQLException {
        Set<Long> held = new java.util.HashSet<>();
        record Pick(Due due, String kind, BookingSettings.Reminder rule, String status, String reason) {
        }
        List<Pick> picks = new ArrayList<>();
        for (Due d : page) {
            if (!d.start().isAfter(now)) {
                continue; // started: no reminder is useful now
            }
            if (held.contains(d.clientId())) {
                continue;
            }
            BookingSettings s = settings.get(d.clientId());
            if (s == null) {
                try {
                    s = BookingSettings.fromJson(store.bookingSettingsJson(c, d.clientId()));
                } catch (UnreadableSettings e) {
                    // fail closed: no reminder is decided (or recorded as skipped) from rules the hub cannot read;
                    // they are decided once the settings are saved again. Other clients carry on.
                    held.add(d.clientId());
                    alarm.raise("reminders", d.clientId(), clients.byId(d.clientId()).map(Client::clientKey).orElse(null), e, "reminders");
                    continue;
                }
                settings.put(d.clientId(), s);
            }
            // the due kinds, nearest first; only the nearest is sent, the others are recorded as skipped
            List<Map.Entry<String, BookingSettings.Reminder>> due = new ArrayList<>();
            for (var e : s.reminders().entrySet()) {
                Instant moment = d.start().minus(Duration.ofMinutes(e.getValue().minutesBefore()));
                if (!moment.isAfter(now)) {
                    due.add(e);
                }
            }
            due.sort((a, b) -> Integer.compare(a.getValue().minutesBefore(), b.getValue().minutesBefore()));
            for (int i = 0; i < due.size(); i++) {
                var e = due.get(i);
                Instant moment = d.start().minus(Duration.ofMinutes(e.getValue().minutesBefore()));
                if (d.scheduledAt().isAfter(moment)) {
                    picks.add(new Pick(d, e.getKey(), e.getValue(), "skipped", "booked after the reminder's moment: the confirmation covers it"));
                } else if (i > 0) {
                    picks.add(new Pick(d, e.getKey(), e.getValue(), "skipped", "late: the nearer " + due.get(0).getKey() + " is due too"));
                } else if (e.getValue().channels().isEmpty()) {
                    picks.add(new Pick(d, e.getKey(), e.getValue(), "skipped", "no channels set for " + e.getKey()));
                } else {
                    picks.add(new Pick(d, e.getKey(), e.getValue(), "queued", null));
                }
            }
        }
        if (picks.isEmpty()) {
            return new int[] {0, 0};
        }
        // claim each (appointment, kind, start) once; only the rows this transaction inserted go further
        // (multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING: the database says which rows are new)
        boolean[] fresh = store.claim(c, picks.stream()
                .map(p -> new ReminderStore.Decided(p.due().id(), p.kind(), p.due().start(), p.status(), p.reason())).toList(), clock.instant());
        // opt-outs for the SMS recipients, per client, from the database
        Map<Long, Set<String>> phones = new HashMap<>();
        for (int i = 0; i < picks.size(); i++) {
            Pick p = picks.get(i);
            if (fresh[i] && "queued".equals(p.status()) && p.due().phone() != null) {
                phones.computeIfAbsent(p.due().clientId(), k -> new TreeSet<>()).add(p.due().phone());
            }
        }
        Map<Long, Map<String, String>> optedOut = new HashMap<>();
        for (var e : phones.entrySet()) {
            optedOut.put(e.getKey(), optOuts.activeReasons(c, e.getKey(), e.getValue()));
        }
        Map<String, Templates.Template> templates = new HashMap<>();
        List<OutboxStore.NewMessage> out = new ArrayList<>();
        int queued = 0;
        int skipped = 0;
        for (int i = 0; i < picks.size(); i++) {
            Pick p = picks.get(i);
            if (!fresh[i]) {
                continue; // another run (or instance) already decided this one
            }
            if (!"queued".equals(p.status())) {
                skipped++;
                continue;
            }
            Due d = p.due();
            Client client = clients.byId(d.clientId()).orElse(null);
            if (client == null) {
                continue;
            }
            Map<String, String> values = MessagesApi.values(client, d.name(), d.start(), d.service(), now);
            String optOut = d.phone() == null ? null : optedOut.getOrDefault(d.clientId(), Map.of()).get(d.phone());
            for (String channel : p.rule().channels()) {
                boolean sms = Templates.SMS.equals(channel);
                String to = sms ? d.phone() : d.email();
                if (to == null) {
                    continue;
                }
                Templates.Template t = templates.computeIfAbsent(d.clientId() + "/" + p.kind() + "/" + channel, k -> {
                    try {
                        return messages.template(c, d.clientId(), p.kind(), channel);
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Templates.Rendered r;
                try {
                    r = Templates.render(t, values);
                } catch (Templates.MissingValueException e) {
                    LOG.warn("[REMINDERS] appointment {}: cannot write the {} {}: {}", d.id(), p.kind(), channel, e.getMessage());
                    continue;
                }
                String status = "queued";
                String reason = null;
                BookingSettings s = settings.get(d.clientId());
                if (optOut != null && (sms || !s.serviceEmailsAfterOptOut())) {
                    status = "skipped";
                    reason = "opted out: " + optOut;
                }
                out.add(new OutboxStore.NewMessage(d.clientId(), d.leadId(), d.id(), channel, p.kind(), false,
                        "reminder:" + p.kind() + ":" + d.id() + ":" + d.start().getEpochSecond() + ":" + channel, to, sms ? null : client.email(),
                        r.subject(), sms ? r.body() : r.text(), sms ? null : r.html(), status, reason, null));
            }
            queued++;
        }
        outbox.enqueueAll(c, out);
        return new int[] {queued, skipped};
    }

    /** The zone a client's reminders are written in (for tests and logs). */
    static ZoneId zone(Client c) {
        return ZoneId.of(c.timezone());
    }
}
