package uk.bookinghub.analytics;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

import uk.bookinghub.api.Params;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.monitoring.SettingsAlarm;
import uk.bookinghub.monitoring.UnreadableSettings;
import uk.bookinghub.security.Caller;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /api/analytics/...}: a client's numbers (its own, by API key; an admin names the
 * client with {@code clientKey}). Periods are inclusive local dates in the client's time zone;
 * bad dates, a reversed or over-long period, a week that does not exist are 400s naming the
 * parameter. Unreadable analytics settings stop the numbers (409 naming them, and an alert).
 */
public final class AnalyticsApi {

    /** The longest period one request may ask for. */
    public static final int MAX_DAYS = 366;

    private final AnalyticsReports reports;
    private final AnalyticsStore store;
    private final ClientStore clients;
    private final SettingsAlarm alarm;

    public AnalyticsApi(AnalyticsReports reports, AnalyticsStore store, ClientStore clients, SettingsAlarm alarm) {
        this.reports = reports;
        this.store = store;
        this.clients = clients;
        this.alarm = alarm;
    }

    public Map<String, Object> metrics(Caller caller, Params params) {
        Client c = client(caller, params);
        return guarded(c, () -> reports.metrics(c, period(c, params)));
    }

    public Map<String, Object> trend(Caller caller, Params params) {
        Client c = client(caller, params);
        String step = params.word("step");
        return guarded(c, () -> reports.trend(c, period(c, params), step == null ? "day" : step));
    }

    public Map<String, Object> outcomes(Caller caller, Params params) {
        Client c = client(caller, params);
        return guarded(c, () -> reports.outcomes(c, period(c, params)));
    }

    public Map<String, Object> campaigns(Caller caller, Params params) {
        Client c = client(caller, params);
        return guarded(c, () -> reports.campaigns(c, period(c, params)));
    }

    public Map<String, Object> weeklyReport(Caller caller, Params params) {
        Client c = client(caller, params);
        AnalyticsReports.Period asked = week(params);
        AnalyticsReports.Period period = asked != null ? asked : AnalyticsReports.lastCompleteWeek(reports.today(c));
        return guarded(c, () -> reports.weeklyReport(c, period));
    }

    /** The {@code week} parameter (an ISO week such as 2026-W13) as a period, null when absent; a week that does not exist is a 400 naming it. */
    static AnalyticsReports.Period week(Params params) {
        String week = params.text("week");
        if (week == null) {
            return null;
        }
        try {
            return AnalyticsReports.week(week.strip());
        } catch (IllegalArgumentException e) {
            throw HttpProblem.badRequest("week must be an ISO week such as 2026-W13 (" + e.getMessage() + "), got '" + week + "'",
                    Map.of("parameter", "week"));
        }
    }

    /**
     * {@code GET /api/analytics/export.csv}: one row per ended call of the period, streamed from the
     * database (UTF-8 with a byte-order mark, so a spreadsheet reads £ and names right).
     */
    public void exportCsv(Exchange exchange) {
        Caller caller = exchange.getProperty("caller", Caller.class);
        Params params = exchange.getProperty("params", Params.class);
        Client c = client(caller, params);
        AnalyticsReports.Period p = period(c, params);
        java.math.BigDecimal rate = guarded(c, () -> reports.rate(reports.settings(c)));
        java.io.InputStream csv = store.exportCalls(c.id(), p, AnalyticsReports.zone(c), rate);
        Message m = exchange.getMessage();
        m.getHeaders().clear();
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        m.setHeader(Exchange.CONTENT_TYPE, "text/csv; charset=utf-8");
        m.setHeader("Content-Disposition", "attachment; filename=\"calls-" + c.clientKey() + "-" + p.from() + "-to-" + p.to() + ".csv\"");
        m.setBody(csv);
    }

    /** {@code POST /api/admin/analytics/rebuild?clientKey=}: the client's roll-up summed again from its raw events. */
    public Map<String, Object> rebuild(Caller caller, Params params, uk.bookinghub.audit.Audit audit) {
        Client c = client(caller, params);
        audit.client(c.id(), c.clientKey()).target("analytics:" + c.clientKey());
        long started = System.nanoTime();
        int events = store.rebuild(c.id(), audit);
        return Map.of("clientKey", c.clientKey(), "events", events, "millis", (System.nanoTime() - started) / 1_000_000);
    }

    /** The longest look-back of one reconciliation request, in hours (a year and a day). */
    public static final int MAX_RECONCILE_HOURS = 366 * 24;

    /**
     * {@code POST /api/admin/analytics/reconcile?hours=}: the reconciliation over the last {@code hours}
     * (default {@code hub.analytics.reconcile-hours}) now, over every client; says per event type how
     * many missing events it added.
     */
    public Map<String, Object> reconcile(Params params, int defaultHours) {
        Long hours = params.whole("hours");
        long h = hours == null ? defaultHours : hours;
        if (h < 1 || h > MAX_RECONCILE_HOURS) {
            throw HttpProblem.badRequest("hours must be between 1 and " + MAX_RECONCILE_HOURS + ", got " + h, Map.of("parameter", "hours"));
        }
        long started = System.nanoTime();
        Map<String, Integer> added = store.reconcileRecent((int) h);
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("hours", h);
        out.put("added", added);
        out.put("total", added.values().stream().mapToInt(Integer::intValue).sum());
        out.put("millis", (System.nanoTime() - started) / 1_000_000);
        return out;
    }

    private <T> T guarded(Client c, Supplier<T> work) {
        try {
            return work.get();
        } catch (UnreadableSettings e) {
            alarm.raise("analytics", c.id(), c.clientKey(), e, "analytics and the weekly report");
            throw new HttpProblem(409, "the stored analytics settings of " + c.clientKey() + " are unreadable (" + e.reason()
                    + "): no numbers until they are saved again with PUT /api/clients/" + c.clientKey() + "/settings",
                    Map.of("setting", e.setting()));
        }
    }

    /** The client asked about: the caller's own, or for an admin the one named by {@code clientKey} (required). */
    Client client(Caller caller, Params params) {
        String key = params.text("clientKey");
        if (caller.client() != null) {
            if (key != null && !key.equals(caller.client().clientKey())) {
                throw HttpProblem.notFound("no client " + key); // another client's: a 404, never a hint that it exists
            }
            return caller.client();
        }
        if (key == null) {
            throw HttpProblem.badRequest("clientKey is required with the admin token: which client's numbers?");
        }
        return clients.byKey(key).orElseThrow(() -> HttpProblem.notFound("no client " + key));
    }

    /** {@code from} / {@code to} (inclusive local dates; default the last 7 days up to today). */
    AnalyticsReports.Period period(Client c, Params params) {
        LocalDate today = reports.today(c);
        LocalDate to = date(params, "to");
        LocalDate from = date(params, "from");
        if (to == null) {
            to = from == null ? today : from.plusDays(6);
        }
        if (from == null) {
            from = to.minusDays(6);
        }
        if (from.isAfter(to)) {
            throw HttpProblem.badRequest("from (" + from + ") is after to (" + to + ")", Map.of("parameter", "from"));
        }
        long days = to.toEpochDay() - from.toEpochDay() + 1;
        if (days > MAX_DAYS) {
            throw HttpProblem.badRequest("the period from " + from + " to " + to + " is " + days + " days; at most " + MAX_DAYS,
                    Map.of("parameter", "to"));
        }
        return new AnalyticsReports.Period(from, to);
    }

    private static LocalDate date(Params params, String name) {
        String v = params.text(name);
        if (v == null) {
            return null;
        }
        try {
            return LocalDate.parse(v.strip());
        } catch (DateTimeParseException e) {
            throw HttpProblem.badRequest(name + " must be a date YYYY-MM-DD (a local date of the client), got '" + v + "'", Map.of("parameter", name));
        }
    }
}
