package uk.bookinghub.analytics;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.api.Params;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.messaging.OutboxStore;
import uk.bookinghub.metrics.BusinessMetrics;
import uk.bookinghub.monitoring.SettingsAlarm;
import uk.bookinghub.monitoring.UnreadableSettings;

import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weekly report email: each client with {@code weeklyReport.enabled} gets the report of the
 * previous complete ISO week (its own time zone) at its local {@code day} and {@code time}, queued
 * through the outbox (channel email, kind {@code weekly_report}), so it is retried, dead-lettered
 * and listed by {@code GET /api/messages} like every other message.
 *
 * <ul>
 *   <li><b>Exactly once per client and week:</b> the message's idempotency key is
 *       {@code weekly_report:<clientId>:<ISO week>} (unique in {@code messages}); a second run, a
 *       double fire or a second instance inserts nothing.</li>
 *   <li><b>Catch-up:</b> the scheduled pass ({@link #run}) queues a report when the client's moment
 *       of the current ISO week (local Monday + day, at time) has come and its report of the week
 *       before is not queued yet. A hub that was down at the moment sends it at its next pass that
 *       same week; once the week is over that report is never sent (the next week's is due instead),
 *       so no report arrives more than a week late.</li>
 *   <li><b>Fail closed:</b> a client whose analytics settings are unreadable gets no report and an
 *       alert ({@link SettingsAlarm}); the other clients carry on.</li>
 * </ul>
 * {@link #runNow} ({@code POST /api/admin/analytics/weekly-reports/run}) queues the reports of one
 * week for every enabled client now, whatever their day and time, and says per client what it did.
 */
public final class WeeklyReports {

    private static final Logger LOG = LoggerFactory.getLogger(WeeklyReports.class);
    public static final String KIND = "weekly_report";

    /** What happened to one client in a pass. */
    enum Status {
        QUEUED("queued"), ALREADY_SENT("already_sent"), NOT_ENABLED("not_enabled"), NOT_DUE_YET("not_due_yet"),
        WEEK_NOT_OVER("week_not_over"), SETTINGS_UNREADABLE("settings_unreadable"), FAILED("failed");

        final String word;

        Status(String word) {
            this.word = word;
        }
    }

    private final AnalyticsReports reports;
    private final AnalyticsStore store;
    private final ClientStore clients;
    private final OutboxStore outbox;
    private final SettingsAlarm alarm;
    private final Clock clock;
    private final BusinessMetrics metrics;

    public WeeklyReports(AnalyticsReports reports, AnalyticsStore store, ClientStore clients, OutboxStore outbox, SettingsAlarm alarm,
                         Clock clock, BusinessMetrics metrics) {
        this.reports = reports;
        this.store = store;
        this.clients = clients;
        this.outbox = outbox;
        this.alarm = alarm;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** The idempotency key of a client's report of an ISO week. */
    public static String key(long clientId, String isoWeek) {
        return KIND + ":" + clientId + ":" + isoWeek;
    }

    /** The scheduled pass (Quartz, {@code hub.analytics.weekly-report-cron}): the reports whose moment has come. Returns the counts. */
    public Map<String, Object> run() {
        long started = System.nanoTime();
        try {
            List<Map<String, Object>> done = pass(true, null);
            Map<String, Object> out = counts(done);
            int queued = (Integer) out.get("queued");
            int trouble = (Integer) out.get("settingsUnreadable") + (Integer) out.get("failed");
            if (queued > 0 || trouble > 0) {
                String said = queued + " queued, " + out.get("alreadySent") + " already sent, " + out.get("notDueYet") + " not due yet, "
                        + out.get("settingsUnreadable") + " with unreadable settings, " + out.get("failed") + " failed";
                if (trouble > 0) {
                    LOG.warn("[ANALYTICS] weekly reports: {}", said);
                } else {
                    LOG.info("[ANALYTICS] weekly reports: {}", said);
                }
            }
            return out;
        } finally {
            metrics.weeklyReportsBatch(System.nanoTime() - started);
        }
    }

    /**
     * {@code POST /api/admin/analytics/weekly-reports/run?week=YYYY-Www}: every enabled client's report
     * of that week (default: each client's last complete week) queued now, once; per client what it did.
     */
    public Map<String, Object> runNow(Params params) {
        AnalyticsReports.Period week = AnalyticsApi.week(params);
        // over nowhere yet (not even at UTC+14, the first zone to start a new week): a report of it would be short, and final
        if (week != null && clock.instant().isBefore(week.to().plusDays(1).atStartOfDay(ZoneOffset.ofHours(14)).toInstant())) {
            throw HttpProblem.badRequest("week " + AnalyticsReports.isoWeek(week.from()) + " has not ended yet: a weekly report covers a complete week",
                    Map.of("parameter", "week"));
        }
        List<Map<String, Object>> done = pass(false, week);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("week", week == null ? "last complete week (in each client's time zone)" : AnalyticsReports.isoWeek(week.from()));
        out.putAll(counts(done));
        int queued = (Integer) out.get("queued");
        out.put("result", queued > 0 ? queued + " report(s) queued"
                : "nothing queued: " + (out.get("alreadySent").equals(0) ? "no client is due a report of this week"
                : "every enabled client's report of this week was already queued"));
        out.put("clients", done);
        LOG.info("[ANALYTICS] weekly reports run by an admin ({}): {}", out.get("week"), out.get("result"));
        return out;
    }

    /**
     * One pass over the active clients: the report of {@code forced}, or (null) of each client's last
     * complete week; {@code scheduled} = only when the client's moment of this week has come.
     */
    private List<Map<String, Object>> pass(boolean scheduled, AnalyticsReports.Period forced) {
        Instant now = clock.instant();
        List<Map<String, Object>> done = new ArrayList<>();
        record Due(Client client, AnalyticsSettings.WeeklyReport settings, AnalyticsReports.Period week, String key, Map<String, Object> row) {
        }
        List<Due> due = new ArrayList<>();
        for (AnalyticsStore.ClientSettings s : store.activeClientSettings()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("clientKey", s.clientKey());
            done.add(row);
            AnalyticsSettings settings;
            try {
                settings = AnalyticsSettings.fromJson(s.json());
            } catch (UnreadableSettings e) {
                unreadable(row, s.clientId(), s.clientKey(), e);
                continue;
            }
            AnalyticsSettings.WeeklyReport w = settings.weeklyReport();
            if (!w.enabled()) {
                row.put("status", Status.NOT_ENABLED.word);
                continue;
            }
            Client client = clients.byId(s.clientId()).orElse(null);
            if (client == null) {
                done.remove(row); // gone since the list was read
                continue;
            }
            ZoneId zone = AnalyticsReports.zone(client);
            LocalDate today = LocalDate.ofInstant(now, zone);
            AnalyticsReports.Period week = forced != null ? forced : AnalyticsReports.lastCompleteWeek(today);
            row.put("week", AnalyticsReports.isoWeek(week.from()));
            if (!week.to().isBefore(today)) {
                row.put("status", Status.WEEK_NOT_OVER.word);
                row.put("reason", "in " + zone.getId() + " it is " + today);
                continue;
            }
            if (scheduled) {
                ZonedDateTime moment = moment(today, w, zone);
                if (now.isBefore(moment.toInstant())) {
                    row.put("status", Status.NOT_DUE_YET.word);
                    row.put("dueAt", moment.toOffsetDateTime().toString());
                    continue;
                }
            }
            due.add(new Due(client, w, week, key(client.id(), AnalyticsReports.isoWeek(week.from())), row));
        }
        // the ones already queued (by an earlier pass, another instance, an admin run) are not written again
        Map<String, OutboxStore.KeyState> queued = outbox.byIdempotencyKeys(due.stream().map(Due::key).toList());
        for (Due d : due) {
            OutboxStore.KeyState before = queued.get(d.key());
            if (before != null) {
                alreadySent(d.row(), before.id(), before.status());
                continue;
            }
            try {
                Map<String, Object> report = reports.weeklyReport(d.client(), d.week());
                WeeklyReportEmail.Email email = WeeklyReportEmail.of(report);
                OutboxStore.Enqueued e = outbox.enqueue(new OutboxStore.NewMessage(d.client().id(), null, null, "email", KIND, false, d.key(),
                        String.join(", ", d.settings().to()), null, email.subject(), email.text(), email.html(), "queued", null, null));
                if (!e.created()) {
                    alreadySent(d.row(), e.message().id(), e.message().status());
                    continue;
                }
                d.row().put("status", Status.QUEUED.word);
                d.row().put("messageId", e.message().id());
                d.row().put("to", d.settings().to());
                LOG.info("[ANALYTICS] weekly report {} of {} queued: message {} to {}", d.row().get("week"), d.client().clientKey(),
                        e.message().id(), String.join(", ", d.settings().to()));
            } catch (UnreadableSettings u) {
                unreadable(d.row(), d.client().id(), d.client().clientKey(), u);
            } catch (RuntimeException ex) {
                // this client's report waits for the next pass (nothing was queued); the others carry on
                d.row().put("status", Status.FAILED.word);
                d.row().put("reason", String.valueOf(ex.getMessage()));
                LOG.error("[ANALYTICS] weekly report {} of {} not queued: {}", d.row().get("week"), d.client().clientKey(), ex.toString(), ex);
            }
        }
        return done;
    }

    /** The client's moment in the ISO week that contains {@code today}: its Monday plus {@code day}, at {@code time} local (a time the clocks skip moves forward). */
    static ZonedDateTime moment(LocalDate today, AnalyticsSettings.WeeklyReport w, ZoneId zone) {
        LocalDate day = today.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).with(TemporalAdjusters.nextOrSame(w.day()));
        return ZonedDateTime.of(day, w.time(), zone);
    }

    private void unreadable(Map<String, Object> row, long clientId, String clientKey, UnreadableSettings e) {
        row.put("status", Status.SETTINGS_UNREADABLE.word);
        row.put("reason", e.reason());
        alarm.raise("analytics", clientId, clientKey, e, "the weekly report");
    }

    private static void alreadySent(Map<String, Object> row, long messageId, String messageStatus) {
        row.put("status", Status.ALREADY_SENT.word);
        row.put("messageId", messageId);
        row.put("messageStatus", messageStatus);
    }

    private static Map<String, Object> counts(List<Map<String, Object>> done) {
        Map<String, Object> out = new LinkedHashMap<>();
        String[][] names = {{"queued", Status.QUEUED.word}, {"alreadySent", Status.ALREADY_SENT.word}, {"notDueYet", Status.NOT_DUE_YET.word},
                {"weekNotOver", Status.WEEK_NOT_OVER.word}, {"notEnabled", Status.NOT_ENABLED.word},
                {"settingsUnreadable", Status.SETTINGS_UNREADABLE.word}, {"failed", Status.FAILED.word}};
        for (String[] n : names) {
            out.put(n[0], (int) done.stream().filter(r -> n[1].equals(r.get("status"))).count());
        }
        return out;
    }
}
