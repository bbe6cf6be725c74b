package uk.bookinghub.analytics;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sums of a set of roll-up rows (a period, a day, a week, a campaign) and the numbers the API
 * answers from them, computed as the README's formulas say. Money is kept exact (millionths) and
 * rounded half-even to pence once, at the end.
 */
final class Totals {

    /** The outcomes every breakdown lists (zeros included), in this order. */
    static final List<String> OUTCOMES = List.of("booked", "not_interested", "no_answer", "voicemail", "callback_requested", "busy", "completed", "failed");
    /** Outcomes where nobody answered: not connected. */
    static final List<String> NOT_CONNECTED = List.of("no_answer", "voicemail", "busy", "failed");

    long calls;
    final Map<String, Long> outcomes = new LinkedHashMap<>();
    long talkCalls;
    long talkMillis;
    long callCostUsdMicros;
    final Map<String, Long> priceMicros = new TreeMap<>();
    long pricedMessages;
    final Map<String, Long> bookedByService = new TreeMap<>();
    long booked;
    long completed;
    long noShows;
    final Map<String, Long> messages = new TreeMap<>();
    long leadsImported;
    long optedOut;

    Totals() {
        OUTCOMES.forEach(o -> outcomes.put(o, 0L));
    }

    void add(AnalyticsStore.Daily r) {
        switch (r.metric()) {
            case "call" -> {
                calls += r.n();
                outcomes.merge(r.dim(), r.n(), Long::sum);
                callCostUsdMicros += r.amount();
            }
            case "talk" -> {
                talkCalls += r.n();
                talkMillis += r.amount();
            }
            case "booked" -> {
                booked += r.n();
                bookedByService.merge(r.dim(), r.n(), Long::sum);
            }
            case "attend" -> {
                if (r.dim().equals("completed")) {
                    completed += r.n();
                } else if (r.dim().equals("no_show")) {
                    noShows += r.n();
                }
            }
            case "message" -> messages.merge(r.dim(), r.n(), Long::sum);
            case "price" -> {
                pricedMessages += r.n();
                priceMicros.merge(r.dim(), r.amount(), Long::sum);
            }
            case "lead" -> {
                if (r.dim().equals("imported")) {
                    leadsImported += r.n();
                } else if (r.dim().equals("opted_out")) {
                    optedOut += r.n();
                }
            }
            default -> {
            }
        }
    }

    long connected() {
        long missed = 0;
        for (String o : NOT_CONNECTED) {
            missed += outcomes.getOrDefault(o, 0L);
        }
        return calls - missed;
    }

    /** The exact cost in GBP: Vapi's USD cost and USD SMS prices at {@code rate}, GBP prices as they are; other currencies are not included (listed apart). */
    BigDecimal exactCostGbp(BigDecimal rate) {
        BigDecimal usd = BigDecimal.valueOf(callCostUsdMicros + priceMicros.getOrDefault("USD", 0L), 6);
        return usd.multiply(rate).add(BigDecimal.valueOf(priceMicros.getOrDefault("GBP", 0L), 6));
    }

    /** The SMS costs in currencies that are neither USD nor GBP (not in total_cost), per currency. */
    Map<String, BigDecimal> otherCurrencies() {
        Map<String, BigDecimal> out = new TreeMap<>();
        priceMicros.forEach((cur, micros) -> {
            if (!cur.equals("USD") && !cur.equals("GBP")) {
                out.put(cur, BigDecimal.valueOf(micros, 6).stripTrailingZeros());
            }
        });
        return out;
    }

    /** Estimated revenue: booked appointments × their job value (per service where set); null when a booked service has no value. */
    BigDecimal exactRevenue(AnalyticsSettings s) {
        BigDecimal total = BigDecimal.ZERO;
        boolean valued = s.averageJobValue() != null || !s.serviceValues().isEmpty();
        if (!valued) {
            return null;
        }
        for (Map.Entry<String, Long> e : bookedByService.entrySet()) {
            if (e.getValue() == 0) {
                continue;
            }
            BigDecimal v = s.jobValue(e.getKey().isEmpty() ? null : e.getKey());
            if (v == null) {
                return null;
            }
            total = total.add(v.multiply(BigDecimal.valueOf(e.getValue())));
        }
        return total;
    }

    /** The metrics fields, as the README names them. */
    Map<String, Object> metrics(AnalyticsSettings s, BigDecimal rate) {
        Map<String, Object> out = new LinkedHashMap<>();
        BigDecimal cost = exactCostGbp(rate);
        BigDecimal revenue = exactRevenue(s);
        out.put("total_calls", calls);
        out.put("connected_calls", connected());
        out.put("appointments_booked", booked);
        out.put("conversion_rate_percent", percent(booked, calls));
        out.put("average_call_duration_seconds", talkCalls == 0 ? null
                : BigDecimal.valueOf(talkMillis).divide(BigDecimal.valueOf(talkCalls * 1000L), 2, RoundingMode.HALF_EVEN));
        out.put("total_cost", pence(cost));
        out.put("cost_per_appointment", booked <= 0 ? null : cost.divide(BigDecimal.valueOf(booked), 2, RoundingMode.HALF_EVEN));
        out.put("estimated_revenue", revenue == null ? null : pence(revenue));
        out.put("roi_percent", revenue == null || cost.signum() == 0 ? null
                : revenue.subtract(cost).multiply(BigDecimal.valueOf(100)).divide(cost, 2, RoundingMode.HALF_EVEN));
        out.put("outcomes", new LinkedHashMap<>(outcomes));
        out.put("appointments_completed", completed);
        out.put("no_shows", noShows);
        out.put("messages", new TreeMap<>(messages));
        out.put("priced_messages", pricedMessages);
        Map<String, BigDecimal> other = otherCurrencies();
        if (!other.isEmpty()) {
            out.put("costs_not_in_total", other);
        }
        out.put("leads_imported", leadsImported);
        out.put("opted_out", optedOut);
        return out;
    }

    static BigDecimal pence(BigDecimal exact) {
        return exact.setScale(2, RoundingMode.HALF_EVEN);
    }

    /** Booked per call, unrounded (a week-over-week change is taken from this, not from rounded percentages); null without calls. */
    BigDecimal conversion() {
        return calls == 0 ? null : BigDecimal.valueOf(booked).divide(BigDecimal.valueOf(calls), java.math.MathContext.DECIMAL64);
    }

    /** {@code part / whole × 100}, 2 decimals; null when {@code whole} is 0. */
    static BigDecimal percent(long part, long whole) {
        return whole == 0 ? null : BigDecimal.valueOf(part * 100L).divide(BigDecimal.valueOf(whole), 2, RoundingMode.HALF_EVEN);
    }

    /** The change from {@code before} to {@code now} in percent (2 decimals); "new" when {@code before} was 0 (or none) and now is not; 0 when both are. */
    static Object change(BigDecimal now, BigDecimal before) {
        BigDecimal n = now == null ? BigDecimal.ZERO : now;
        if (before == null || before.signum() == 0) {
            return n.signum() == 0 ? BigDecimal.ZERO.setScale(2) : "new";
        }
        return n.subtract(before).multiply(BigDecimal.valueOf(100)).divide(before, 2, RoundingMode.HALF_EVEN);
    }

    /** "£3.50", "£22,500" (whole pounds without pence), "-£4.20"; null stays null. */
    static String display(BigDecimal gbp) {
        if (gbp == null) {
            return null;
        }
        BigDecimal p = pence(gbp);
        boolean whole = p.remainder(BigDecimal.ONE).signum() == 0;
        DecimalFormat f = new DecimalFormat(whole ? "#,##0" : "#,##0.00", DecimalFormatSymbols.getInstance(Locale.UK));
        return (p.signum() < 0 ? "-£" : "£") + f.format(p.abs());
    }
}
