package uk.bookinghub.analytics;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.monitoring.UnreadableSettings;

import java.math.BigDecimal;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A client's analytics settings ({@code "analytics"} in {@code GET/PUT /api/clients/{clientKey}/settings},
 * stored in {@code clients.analytics_settings}): the value of a job in pounds (and per service), an
 * optional USD→GBP rate of its own, and its weekly report email.
 *
 * @param averageJobValue GBP per booked appointment; null = not set (revenue and ROI are then null)
 * @param serviceValues   GBP per booked appointment of a named service (wins over averageJobValue)
 * @param usdToGbp        the client's own rate; null = the hub's {@code hub.analytics.usd-to-gbp}
 */
public record AnalyticsSettings(BigDecimal averageJobValue, Map<String, BigDecimal> serviceValues, BigDecimal usdToGbp,
                                WeeklyReport weeklyReport) {

    /** The column the settings are stored in (named by an unreadable-settings alert). */
    public static final String SETTING = "analytics_settings";
    public static final AnalyticsSettings NONE = new AnalyticsSettings(null, Map.of(), null, WeeklyReport.OFF);
    static final List<String> KEYS = List.of("averageJobValue", "services", "usdToGbp", "weeklyReport");
    private static final BigDecimal MAX_VALUE = new BigDecimal("10000000");
    private static final BigDecimal MAX_RATE = new BigDecimal("100");

    /** The weekly report: sent at {@code time} on {@code day} (client's local time) to {@code to}. */
    public record WeeklyReport(boolean enabled, List<String> to, DayOfWeek day, LocalTime time) {
        public static final WeeklyReport OFF = new WeeklyReport(false, List.of(), DayOfWeek.MONDAY, LocalTime.of(8, 0));

        Map<String, Object> view() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("enabled", enabled);
            out.put("to", to);
            out.put("day", day.name());
            out.put("time", time.toString());
            return out;
        }
    }

    /** The value of one booked appointment of {@code service}: its own value, else the average, else null. */
    public BigDecimal jobValue(String service) {
        BigDecimal v = service == null ? null : serviceValues.get(service);
        return v != null ? v : averageJobValue;
    }

    public Map<String, Object> view() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("averageJobValue", averageJobValue);
        out.put("services", new TreeMap<>(serviceValues));
        out.put("usdToGbp", usdToGbp);
        out.put("weeklyReport", weeklyReport.view());
        return out;
    }

    /** The stored document; absent = {@link #NONE}, unreadable = {@link UnreadableSettings} (never a default). */
    public static AnalyticsSettings fromJson(String json) {
        if (json == null || json.isBlank()) {
            return NONE;
        }
        return UnreadableSettings.read(SETTING, json, AnalyticsSettings::parse);
    }

    /** Validates {@code "analytics": {...}}; every problem is named ({@code fields}: field → reason), as a 400. */
    public static AnalyticsSettings parse(JsonNode in) {
        if (in == null || !in.isObject()) {
            throw HttpProblem.badRequest("analytics settings must be a JSON object",
                    Map.of("fields", Map.of("analytics", "an object such as {\"averageJobValue\": 150}")));
        }
        Map<String, Object> problems = new LinkedHashMap<>();
        in.fieldNames().forEachRemaining(k -> {
            if (!KEYS.contains(k)) {
                problems.put(k, "unknown; the analytics settings are " + String.join(", ", KEYS));
            }
        });
        BigDecimal average = money(in.get("averageJobValue"), "averageJobValue", problems);
        Map<String, BigDecimal> services = new LinkedHashMap<>();
        JsonNode s = in.get("services");
        if (s != null && !s.isNull()) {
            if (!s.isObject()) {
                problems.put("services", "an object of service name -> job value in GBP, e.g. {\"Boiler service\": 120}");
            } else {
                s.fields().forEachRemaining(f -> {
                    BigDecimal v = money(f.getValue(), "services." + f.getKey(), problems);
                    if (f.getKey().isBlank()) {
                        problems.put("services", "a service name cannot be empty");
                    } else if (v != null) {
                        services.put(f.getKey(), v);
                    }
                });
            }
        }
        BigDecimal rate = null;
        JsonNode r = in.get("usdToGbp");
        if (r != null && !r.isNull()) {
            if (!r.isNumber() || r.decimalValue().signum() <= 0 || r.decimalValue().compareTo(MAX_RATE) > 0) {
                problems.put("usdToGbp", "a positive number of GBP per USD, e.g. 0.79");
            } else {
                rate = r.decimalValue().stripTrailingZeros();
            }
        }
        WeeklyReport weekly = weekly(in.get("weeklyReport"), problems);
        if (!problems.isEmpty()) {
            List<String> said = new ArrayList<>();
            problems.forEach((f, why) -> said.add(f + ": " + why));
            throw HttpProblem.badRequest("invalid analytics settings: " + String.join("; ", said), Map.of("fields", problems));
        }
        return new AnalyticsSettings(average, Map.copyOf(services), rate, weekly);
    }

    private static BigDecimal money(JsonNode v, String field, Map<String, Object> problems) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || v.decimalValue().signum() < 0 || v.decimalValue().compareTo(MAX_VALUE) > 0
                || v.decimalValue().stripTrailingZeros().scale() > 2) {
            problems.put(field, "an amount in GBP (a number from 0, at most 2 decimals), e.g. 150 or 89.50");
            return null;
        }
        return v.decimalValue().setScale(2, java.math.RoundingMode.UNNECESSARY);
    }

    private static WeeklyReport weekly(JsonNode w, Map<String, Object> problems) {
        if (w == null || w.isNull()) {
            return WeeklyReport.OFF;
        }
        if (!w.isObject()) {
            problems.put("weeklyReport", "an object such as {\"enabled\": true, \"to\": [\"owner@example.co.uk\"], \"day\": \"MONDAY\", \"time\": \"08:00\"}");
            return WeeklyReport.OFF;
        }
        w.fieldNames().forEachRemaining(k -> {
            if (!List.of("enabled", "to", "day", "time").contains(k)) {
                problems.put("weeklyReport." + k, "unknown; weeklyReport has enabled, to, day, time");
            }
        });
        boolean enabled = false;
        JsonNode e = w.get("enabled");
        if (e != null && !e.isNull()) {
            if (!e.isBoolean()) {
                problems.put("weeklyReport.enabled", "true or false");
            } else {
                enabled = e.asBoolean();
            }
        }
        List<String> to = new ArrayList<>();
        JsonNode t = w.get("to");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) {
                problems.put("weeklyReport.to", "a list of email addresses");
            } else {
                for (JsonNode a : t) {
                    String address = a.isTextual() ? a.asText().strip() : "";
                    if (!address.matches("[^@\\s,;<>\"]+@[^@\\s,;<>\"]+\\.[^@\\s,;<>\"]+") || address.length() > 254) {
                        problems.put("weeklyReport.to", "not an email address: " + (a.isTextual() ? a.asText() : a.toString()));
                    } else if (!to.contains(address)) {
                        to.add(address);
                    }
                }
                if (to.size() > 10) {
                    problems.put("weeklyReport.to", "at most 10 addresses");
                }
            }
        }
        if (enabled && to.isEmpty() && !problems.containsKey("weeklyReport.to")) {
            problems.put("weeklyReport.to", "at least one address when the weekly report is enabled");
        }
        DayOfWeek day = DayOfWeek.MONDAY;
        JsonNode d = w.get("day");
        if (d != null && !d.isNull()) {
            try {
                day = DayOfWeek.valueOf(d.asText().strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException ex) {
                problems.put("weeklyReport.day", "a day of the week, MONDAY..SUNDAY");
            }
        }
        LocalTime time = LocalTime.of(8, 0);
        JsonNode tm = w.get("time");
        if (tm != null && !tm.isNull()) {
            if (!tm.isTextual() || !tm.asText().matches("([01]\\d|2[0-3]):[0-5]\\d")) {
                problems.put("weeklyReport.time", "a local time HH:mm, e.g. 08:00");
            } else {
                time = LocalTime.parse(tm.asText());
            }
        }
        return new WeeklyReport(enabled, List.copyOf(to), day, time);
    }
}
