package uk.bookinghub.analytics;

import uk.bookinghub.clients.Client;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.IsoFields;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A client's numbers for a period of local days, from the daily roll-up: metrics, trend by day or
 * ISO week, outcome breakdown, campaigns (lead sources), and the weekly report. The formulas are
 * in {@link Totals} and the README ("Analytics and ROI").
 */
public final class AnalyticsReports {

    /** A period of the client's local calendar days, both ends included. */
    public record Period(LocalDate from, LocalDate to) {
        public long days() {
            return to.toEpochDay() - from.toEpochDay() + 1;
        }

        Map<String, Object> view(ZoneId zone) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("from", from.toString());
            out.put("to", to.toString());
            out.put("days", days());
            out.put("timezone", zone.getId());
            return out;
        }

        /** The period of the same length just before this one. */
        Period previous() {
            return new Period(from.minusDays(days()), from.minusDays(1));
        }
    }

    private final AnalyticsStore store;
    private final BigDecimal hubRate;
    private final Clock clock;

    public AnalyticsReports(AnalyticsStore store, BigDecimal usdToGbp, Clock clock) {
        this.store = store;
        this.hubRate = usdToGbp;
        this.clock = clock;
    }

    public Clock clock() {
        return clock;
    }

    /** The client's settings; unreadable ones stop analytics for the client (never a default). */
    public AnalyticsSettings settings(Client c) {
        return AnalyticsSettings.fromJson(store.settingsJson(c.id()));
    }

    /** The rate this client's costs are converted at: its own, else the hub's. */
    public BigDecimal rate(AnalyticsSettings s) {
        return s.usdToGbp() != null ? s.usdToGbp() : hubRate;
    }

    public static ZoneId zone(Client c) {
        return AnalyticsStore.zone(c.timezone());
    }

    /** The local date today for the client. */
    public LocalDate today(Client c) {
        return LocalDate.now(clock.withZone(zone(c)));
    }

    private Totals totals(long clientId, Period p) {
        Totals t = new Totals();
        for (AnalyticsStore.Daily r : store.sums(clientId, p.from(), p.to(), AnalyticsStore.By.PERIOD)) {
            t.add(r);
        }
        return t;
    }

    private Map<String, Object> head(Client c, Period p, AnalyticsSettings s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("clientKey", c.clientKey());
        out.put("period", p.view(zone(c)));
        out.put("currency", "GBP");
        out.put("usdToGbp", rate(s));
        return out;
    }

    public Map<String, Object> metrics(Client c, Period p) {
        AnalyticsSettings s = settings(c);
        Map<String, Object> out = head(c, p, s);
        out.putAll(totals(c.id(), p).metrics(s, rate(s)));
        return out;
    }

    /** One row per local day (every day, zeros included) or per ISO week the period touches. */
    public Map<String, Object> trend(Client c, Period p, String step) {
        AnalyticsSettings s = settings(c);
        BigDecimal rate = rate(s);
        boolean weekly = "week".equals(step);
        Map<LocalDate, Totals> buckets = new TreeMap<>();
        for (LocalDate d = p.from(); !d.isAfter(p.to()); d = d.plusDays(1)) {
            buckets.computeIfAbsent(weekly ? weekStart(d, p) : d, k -> new Totals());
        }
        for (AnalyticsStore.Daily r : store.sums(c.id(), p.from(), p.to(), AnalyticsStore.By.DAY)) {
            buckets.get(weekly ? weekStart(r.day(), p) : r.day()).add(r);
        }
        List<Map<String, Object>> rows = new ArrayList<>(buckets.size());
        buckets.forEach((start, t) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            if (weekly) {
                row.put("week", isoWeek(start));
                row.put("from", start.toString());
                LocalDate end = start.with(TemporalAdjusters.nextOrSame(DayOfWeek.SUNDAY));
                row.put("to", (end.isAfter(p.to()) ? p.to() : end).toString());
            } else {
                row.put("date", start.toString());
            }
            row.put("calls", t.calls);
            row.put("connected", t.connected());
            row.put("booked", t.booked);
            row.put("conversion_rate_percent", Totals.percent(t.booked, t.calls));
            row.put("cost", Totals.pence(t.exactCostGbp(rate)));
            rows.add(row);
        });
        Map<String, Object> out = head(c, p, s);
        out.put("step", weekly ? "week" : "day");
        out.put("rows", rows);
        return out;
    }

    /** The first day of {@code d}'s ISO week, or the period's first day when the week began before it. */
    private static LocalDate weekStart(LocalDate d, Period p) {
        LocalDate monday = d.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
        return monday.isBefore(p.from()) ? p.from() : monday;
    }

    public static String isoWeek(LocalDate d) {
        return String.format("%d-W%02d", d.get(IsoFields.WEEK_BASED_YEAR), d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
    }

    public Map<String, Object> outcomes(Client c, Period p) {
        AnalyticsSettings s = settings(c);
        Totals t = totals(c.id(), p);
        List<Map<String, Object>> rows = new ArrayList<>();
        t.outcomes.forEach((outcome, n) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("outcome", outcome);
            row.put("count", n);
            row.put("percent", Totals.percent(n, t.calls));
            rows.add(row);
        });
        Map<String, Object> out = head(c, p, s);
        out.put("total_calls", t.calls);
        out.put("outcomes", rows);
        return out;
    }

    /** The metrics per lead source (campaign), best conversion first (then more calls first); no source = {@code null}. */
    public Map<String, Object> campaigns(Client c, Period p) {
        AnalyticsSettings s = settings(c);
        BigDecimal rate = rate(s);
        Map<String, Totals> bySource = new TreeMap<>();
        for (AnalyticsStore.Daily r : store.sums(c.id(), p.from(), p.to(), AnalyticsStore.By.SOURCE)) {
            bySource.computeIfAbsent(r.source(), k -> new Totals()).add(r);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        bySource.forEach((source, t) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("source", source.isEmpty() ? null : source);
            row.putAll(t.metrics(s, rate));
            rows.add(row);
        });
        rows.sort(Comparator.comparing((Map<String, Object> r) -> (BigDecimal) r.get("conversion_rate_percent"),
                        Comparator.nullsLast(Comparator.reverseOrder()))
                .thenComparing(r -> (Long) r.get("total_calls"), Comparator.reverseOrder())
                .thenComparing(r -> String.valueOf(r.get("source"))));
        Map<String, Object> out = head(c, p, s);
        out.put("campaigns", rows);
        return out;
    }

    /** The ISO week {@code week} (e.g. 2026-W13) as a period of local days, Monday to Sunday. */
    public static Period week(String week) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{4})-W(\\d{2})").matcher(week);
        if (!m.matches()) {
            throw new IllegalArgumentException("an ISO week such as 2026-W13");
        }
        int year = Integer.parseInt(m.group(1));
        int no = Integer.parseInt(m.group(2));
        LocalDate mid = LocalDate.of(year, 7, 1);
        long weeks = IsoFields.WEEK_OF_WEEK_BASED_YEAR.rangeRefinedBy(mid).getMaximum();
        if (no < 1 || no > weeks) {
            throw new IllegalArgumentException(year + " has ISO weeks 01 to " + weeks);
        }
        LocalDate monday = mid.with(IsoFields.WEEK_OF_WEEK_BASED_YEAR, no).with(DayOfWeek.MONDAY);
        return new Period(monday, monday.plusDays(6));
    }

    /** The last complete ISO week before {@code today}. */
    public static Period lastCompleteWeek(LocalDate today) {
        LocalDate monday = today.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).minusWeeks(1);
        return new Period(monday, monday.plusDays(6));
    }

    /**
     * The weekly report of an ISO week: the original system's shape ({@code period}, {@code summary},
     * {@code weekOverWeekChange}) plus every metrics field, the outcome breakdown and the daily trend.
     */
    public Map<String, Object> weeklyReport(Client c, Period week) {
        AnalyticsSettings s = settings(c);
        BigDecimal rate = rate(s);
        Totals now = totals(c.id(), week);
        Totals before = totals(c.id(), week.previous());
        Map<String, Object> metrics = now.metrics(s, rate);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("clientKey", c.clientKey());
        out.put("businessName", c.businessName());
        out.put("week", isoWeek(week.from()));
        out.put("period", week.from() + " to " + week.to());
        out.put("timezone", zone(c).getId());
        out.put("currency", "GBP");
        out.put("usdToGbp", rate);
        Map<String, Object> summary = new LinkedHashMap<>();
        for (String k : List.of("total_calls", "appointments_booked", "conversion_rate_percent", "cost_per_appointment", "estimated_revenue", "roi_percent")) {
            summary.put(k, metrics.get(k));
        }
        Map<String, Object> display = new LinkedHashMap<>();
        display.put("total_cost", Totals.display((BigDecimal) metrics.get("total_cost")));
        display.put("cost_per_appointment", Totals.display((BigDecimal) metrics.get("cost_per_appointment")));
        display.put("estimated_revenue", Totals.display((BigDecimal) metrics.get("estimated_revenue")));
        display.put("conversion_rate_percent", metrics.get("conversion_rate_percent") == null ? null : metrics.get("conversion_rate_percent") + "%");
        display.put("roi_percent", metrics.get("roi_percent") == null ? null : metrics.get("roi_percent") + "%");
        summary.put("display", display);
        out.put("summary", summary);
        Map<String, Object> change = new LinkedHashMap<>();
        change.put("calls", Totals.change(BigDecimal.valueOf(now.calls), BigDecimal.valueOf(before.calls)));
        change.put("appointments", Totals.change(BigDecimal.valueOf(now.booked), BigDecimal.valueOf(before.booked)));
        change.put("conversionRate", Totals.change(now.conversion(), before.conversion()));
        out.put("weekOverWeekChange", change);
        out.put("previousWeek", Map.of("week", isoWeek(week.previous().from()), "total_calls", before.calls, "appointments_booked", before.booked));
        out.put("metrics", metrics);
        out.put("daily", trend(c, week, "day").get("rows"));
        return out;
    }
}
