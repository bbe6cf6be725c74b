package uk.bookinghub.analytics;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one analytics event adds to the per-client daily roll-up ({@code analytics_daily}; the
 * table's comment lists the metrics). Pure: the same event always gives the same deltas, so the
 * roll-up kept by the writer equals the one rebuilt from the raw events ({@link AnalyticsStore#rebuild}).
 */
public final class Rollup {

    /** One row's change: key (client, local day, source, metric, dim) and the amounts to add. */
    public record Delta(long clientId, String day, String source, String metric, String dim, long n, long amount) {
        String key() {
            return clientId + "|" + day + "|" + source + "|" + metric + "|" + dim;
        }
    }

    private Rollup() {
    }

    /** The deltas of {@code e} for a client in {@code zone}; none for an event without a client. */
    public static List<Delta> deltas(AnalyticsEvent e, ZoneId zone) {
        List<Delta> out = new ArrayList<>(2);
        if (e.clientId() == null || e.eventType() == null) {
            return out;
        }
        long client = e.clientId();
        String source = e.source() == null ? "" : e.source();
        Map<String, Object> p = e.props() == null ? Map.of() : e.props();
        String day = day(e.occurredAt(), zone);
        switch (e.eventType()) {
            case "call.ended" -> {
                String outcome = e.outcome() == null ? "completed" : e.outcome();
                out.add(new Delta(client, day, source, "call", outcome, 1, micros(p.get("cost"))));
                BigDecimal duration = decimal(p.get("durationSeconds"));
                if (duration != null) {
                    out.add(new Delta(client, day, source, "talk", "", 1, duration.movePointRight(3).setScale(0, RoundingMode.HALF_EVEN).longValue()));
                }
            }
            case "appointment.booked" -> out.add(new Delta(client, day, source, "booked", text(p.get("service")), 1, 0));
            case "appointment.cancelled" -> {
                // a cancellation takes the booking back from the day it was booked
                Instant bookedAt = instant(p.get("bookedAt"));
                out.add(new Delta(client, bookedAt == null ? day : day(bookedAt, zone), source, "booked", text(p.get("service")), -1, 0));
            }
            case "appointment.completed", "appointment.no_show" -> {
                Instant start = instant(p.get("startAt"));
                String startDay = start == null ? day : day(start, zone);
                out.add(new Delta(client, startDay, source, "attend", e.eventType().substring("appointment.".length()), 1, 0));
                String previous = text(p.get("previous"));
                if (previous.equals("completed") || previous.equals("no_show")) {
                    out.add(new Delta(client, startDay, source, "attend", previous, -1, 0));
                }
            }
            case "message.sent", "message.delivered", "message.failed" -> {
                String channel = text(p.get("channel"));
                out.add(new Delta(client, day, source, "message", (channel.isEmpty() ? "sms" : channel) + "." + e.eventType().substring("message.".length()), 1, 0));
                // a message's price is counted from its one message.sent event (Twilio's answer to the send)
                BigDecimal price = decimal(p.get("price"));
                if (price != null && e.eventType().equals("message.sent")) {
                    String unit = text(p.get("priceUnit")).toUpperCase(Locale.ROOT);
                    out.add(new Delta(client, day, source, "price", unit.isEmpty() ? "USD" : unit, 1, micros(price.abs())));
                }
            }
            case "lead.imported" -> {
                BigDecimal count = decimal(p.get("count"));
                out.add(new Delta(client, day, source, "lead", "imported", count == null ? 1 : count.longValue(), 0));
            }
            case "lead.opted_out" -> out.add(new Delta(client, day, source, "lead", "opted_out", 1, 0));
            default -> {
                // appointment.moved and other facts are kept as events only
            }
        }
        return out;
    }

    /** Sums deltas with the same key (one upsert per row per batch). */
    public static List<Delta> combine(List<Delta> deltas) {
        Map<String, Delta> sum = new LinkedHashMap<>();
        for (Delta d : deltas) {
            sum.merge(d.key(), d, (a, b) -> new Delta(a.clientId(), a.day(), a.source(), a.metric(), a.dim(), a.n() + b.n(), a.amount() + b.amount()));
        }
        return new ArrayList<>(sum.values());
    }

    public static String day(Instant at, ZoneId zone) {
        return LocalDate.ofInstant(at, zone).toString();
    }

    /** Millionths of a unit, exactly (a Vapi cost has 4 decimals, a Twilio price 5). */
    public static long micros(Object value) {
        BigDecimal d = decimal(value);
        return d == null ? 0 : d.movePointRight(6).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
    }

    static BigDecimal decimal(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof BigDecimal b) {
            return b;
        }
        if (v instanceof com.fasterxml.jackson.databind.JsonNode n) {
            return n.isNumber() ? n.decimalValue() : n.isTextual() ? decimal(n.asText()) : null;
        }
        String s = String.valueOf(v).trim();
        if (s.isEmpty() || s.equals("null")) {
            return null;
        }
        try {
            return new BigDecimal(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static String text(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof com.fasterxml.jackson.databind.JsonNode n) {
            return n.isNull() ? "" : n.asText();
        }
        return String.valueOf(v);
    }

    static Instant instant(Object v) {
        String s = text(v);
        if (s.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(s);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
