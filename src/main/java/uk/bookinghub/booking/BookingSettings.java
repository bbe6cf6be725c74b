package uk.bookinghub.booking;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.monitoring.UnreadableSettings;

import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A client's booking rules: opening hours per weekday (in the client's time zone), slot length,
 * services with their duration and buffer, and how much notice a booking needs. Stored as JSON on
 * the client; every field has a default (Mon–Fri 09:00–17:00, 60-minute slots, one hour's
 * notice), so a new client can take bookings at once. {@code googleCalendarId}: the client's
 * Google calendar (shared with the hub's service account); none = our appointments alone.
 */
public record BookingSettings(Map<DayOfWeek, List<Hours>> businessHours, int slotMinutes, List<Service> services, int minNoticeMinutes,
                              int horizonDays, String googleCalendarId, Map<String, Reminder> reminders, boolean serviceEmailsAfterOptOut) {

    /** A reminder kind's moment (this long before the appointment, in real time) and channels. */
    public record Reminder(int minutesBefore, List<String> channels) {
    }

    /** reminder_24h: 24 h before by SMS and email; reminder_1h: 1 h before by SMS. */
    public static Map<String, Reminder> defaultReminders() {
        Map<String, Reminder> m = new LinkedHashMap<>();
        m.put("reminder_24h", new Reminder(24 * 60, List.of("sms", "email")));
        m.put("reminder_1h", new Reminder(60, List.of("sms")));
        return m;
    }

    /** Open from {@code open} to {@code close} (local wall-clock time). */
    public record Hours(LocalTime open, LocalTime close) {
    }

    /** A bookable service: how long it takes and how long to keep free after it. */
    public record Service(String name, int minutes, int bufferMinutes) {
    }

    static final List<String> DAYS = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");

    public static BookingSettings defaults() {
        Map<DayOfWeek, List<Hours>> hours = new EnumMap<>(DayOfWeek.class);
        for (DayOfWeek d : DayOfWeek.values()) {
            hours.put(d, d.getValue() <= 5 ? List.of(new Hours(LocalTime.of(9, 0), LocalTime.of(17, 0))) : List.of());
        }
        return new BookingSettings(hours, 60, List.of(), 60, 60, null, defaultReminders(), true);
    }

    /** The service by name (any case); with no services configured, any name is a slot-length booking. */
    public Optional<Service> service(String name) {
        if (services.isEmpty() || name == null || name.isBlank()) {
            return Optional.of(new Service(name == null || name.isBlank() ? null : name.strip(), slotMinutes, 0));
        }
        String n = name.strip().toLowerCase(Locale.ROOT);
        return services.stream().filter(s -> s.name().toLowerCase(Locale.ROOT).equals(n)).findFirst()
                .or(() -> services.stream().filter(s -> s.name().toLowerCase(Locale.ROOT).contains(n) || n.contains(s.name().toLowerCase(Locale.ROOT)))
                        .findFirst());
    }

    public List<String> serviceNames() {
        return services.stream().map(Service::name).toList();
    }

    /**
     * Reads stored JSON (empty or partial = defaults for what is missing). Stored settings were validated
     * on save; a document that cannot be read back fails closed with {@link UnreadableSettings}, never the
     * defaults (its reminders, notice and hours are unknown).
     */
    public static BookingSettings fromJson(String json) {
        if (json == null || json.isBlank() || json.strip().equals("{}")) {
            return defaults();
        }
        return UnreadableSettings.read(SETTING, json, tree -> parse(tree));
    }

    /** The column the booking rules are stored in. */
    public static final String SETTING = "booking_settings";

    /** Validates a settings document; a bad one is a 400 naming each field. */
    public static BookingSettings parse(JsonNode in) {
        Map<String, Object> problems = new LinkedHashMap<>();
        BookingSettings d = defaults();
        if (in == null || !in.isObject()) {
            throw HttpProblem.badRequest("booking settings must be a JSON object");
        }
        Map<DayOfWeek, List<Hours>> hours = new EnumMap<>(d.businessHours());
        JsonNode bh = in.get("businessHours");
        if (bh != null && !bh.isNull()) {
            if (!bh.isObject()) {
                problems.put("businessHours", "an object of weekday -> [[\"09:00\",\"17:00\"], ...] (mon..sun)");
            } else {
                bh.fieldNames().forEachRemaining(day -> {
                    int idx = DAYS.indexOf(day.toLowerCase(Locale.ROOT).length() >= 3 ? day.toLowerCase(Locale.ROOT).substring(0, 3) : day);
                    if (idx < 0) {
                        problems.put("businessHours." + day, "not a weekday (mon, tue, wed, thu, fri, sat, sun)");
                        return;
                    }
                    List<Hours> list = new ArrayList<>();
                    JsonNode ranges = bh.get(day);
                    if (!ranges.isArray()) {
                        problems.put("businessHours." + day, "a list of [open, close] pairs, [] for closed");
                        return;
                    }
                    for (JsonNode r : ranges) {
                        try {
                            LocalTime open = LocalTime.parse(r.get(0).asText());
                            LocalTime close = LocalTime.parse(r.get(1).asText());
                            if (!close.isAfter(open)) {
                                problems.put("businessHours." + day, "closing time " + close + " is not after opening time " + open);
                            }
                            list.add(new Hours(open, close));
                        } catch (DateTimeParseException | NullPointerException e) {
                            problems.put("businessHours." + day, "times as \"HH:MM\" pairs, e.g. [[\"09:00\",\"17:00\"]]");
                        }
                    }
                    list.sort(java.util.Comparator.comparing(Hours::open));
                    for (int i = 1; i < list.size(); i++) {
                        if (list.get(i).open().isBefore(list.get(i - 1).close())) {
                            problems.put("businessHours." + day, "opening hours overlap");
                        }
                    }
                    hours.put(DayOfWeek.of(idx + 1), List.copyOf(list));
                });
            }
        }
        int slot = minutes(in, "slotMinutes", d.slotMinutes(), 5, 480, problems);
        int notice = minutes(in, "minNoticeMinutes", d.minNoticeMinutes(), 0, 60 * 24 * 14, problems);
        int horizon = minutes(in, "horizonDays", d.horizonDays(), 1, 365, problems);
        List<Service> services = new ArrayList<>();
        JsonNode sv = in.get("services");
        if (sv != null && !sv.isNull()) {
            if (!sv.isArray()) {
                problems.put("services", "a list of {name, minutes, bufferMinutes}");
            } else {
                for (int i = 0; i < sv.size(); i++) {
                    JsonNode s = sv.get(i);
                    String name = s.hasNonNull("name") ? s.get("name").asText().strip() : "";
                    if (name.isEmpty()) {
                        problems.put("services[" + i + "].name", "required");
                        continue;
                    }
                    if (name.length() > uk.bookinghub.messaging.Templates.MAX_NAME_CHARS) {
                        problems.put("services[" + i + "].name", "at most " + uk.bookinghub.messaging.Templates.MAX_NAME_CHARS + " characters");
                        continue;
                    }
                    int mins = minutes(s, "minutes", slot, 5, 480, problems);
                    int buffer = minutes(s, "bufferMinutes", 0, 0, 240, problems);
                    if (mins % 5 != 0 || buffer % 5 != 0) {
                        problems.put("services[" + i + "]", "minutes and bufferMinutes in steps of 5");
                    }
                    services.add(new Service(name, mins, buffer));
                }
            }
        }
        if (slot % 5 != 0) {
            problems.put("slotMinutes", "in steps of 5");
        }
        Map<String, Reminder> reminders = new LinkedHashMap<>(defaultReminders());
        JsonNode rem = in.get("reminders");
        if (rem != null && !rem.isNull()) {
            if (!rem.isObject()) {
                problems.put("reminders", "an object: {\"reminder_24h\": {\"minutesBefore\": 1440, \"channels\": [\"sms\", \"email\"]}, \"reminder_1h\": {...}}");
            } else {
                rem.fieldNames().forEachRemaining(kind -> {
                    if (!reminders.containsKey(kind)) {
                        problems.put("reminders." + kind, "not a reminder kind (reminder_24h, reminder_1h)");
                        return;
                    }
                    JsonNode r = rem.get(kind);
                    int before = minutes(r, "minutesBefore", reminders.get(kind).minutesBefore(), 5, 7 * 24 * 60, problems);
                    List<String> channels = new ArrayList<>();
                    JsonNode ch = r.get("channels");
                    if (ch != null && !ch.isNull()) {
                        if (!ch.isArray()) {
                            problems.put("reminders." + kind + ".channels", "a list of sms / email ([] = off)");
                        } else {
                            ch.forEach(c -> {
                                if (!c.asText().equals("sms") && !c.asText().equals("email")) {
                                    problems.put("reminders." + kind + ".channels", "sms or email, not " + c);
                                }
                                channels.add(c.asText());
                            });
                        }
                    } else {
                        channels.addAll(reminders.get(kind).channels());
                    }
                    reminders.put(kind, new Reminder(before, List.copyOf(channels)));
                });
            }
        }
        boolean serviceEmails = true;
        JsonNode se = in.get("serviceEmailsAfterOptOut");
        if (se != null && !se.isNull()) {
            if (!se.isBoolean()) {
                problems.put("serviceEmailsAfterOptOut", "true or false");
            } else {
                serviceEmails = se.asBoolean();
            }
        }
        JsonNode cal = in.get("googleCalendarId");
        if (cal != null && !cal.isNull() && (!cal.isTextual() || cal.asText().length() > 300)) {
            problems.put("googleCalendarId", "the calendar's id (e.g. the address it is shared from), as text");
        }
        if (!problems.isEmpty()) {
            throw HttpProblem.badRequest("invalid booking settings", Map.of("fields", problems));
        }
        String calendar = in.hasNonNull("googleCalendarId") ? in.get("googleCalendarId").asText().strip() : null;
        return new BookingSettings(hours, slot, List.copyOf(services), notice, horizon, calendar == null || calendar.isEmpty() ? null : calendar,
                reminders, serviceEmails);
    }

    private static int minutes(JsonNode in, String field, int fallback, int min, int max, Map<String, Object> problems) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || v.asInt() < min || v.asInt() > max) {
            problems.put(field, "a whole number from " + min + " to " + max);
            return fallback;
        }
        return v.asInt();
    }

    /** The JSON form stored on the client and shown by the settings API. */
    public Map<String, Object> view() {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> hours = new LinkedHashMap<>();
        for (int i = 0; i < 7; i++) {
            hours.put(DAYS.get(i), businessHours.getOrDefault(DayOfWeek.of(i + 1), List.of()).stream()
                    .map(h -> List.of(h.open().toString(), h.close().toString())).toList());
        }
        m.put("businessHours", hours);
        m.put("slotMinutes", slotMinutes);
        m.put("services", services.stream().map(s -> Map.of("name", s.name(), "minutes", s.minutes(), "bufferMinutes", s.bufferMinutes())).toList());
        m.put("minNoticeMinutes", minNoticeMinutes);
        m.put("horizonDays", horizonDays);
        m.put("googleCalendarId", googleCalendarId);
        Map<String, Object> rem = new LinkedHashMap<>();
        reminders.forEach((k, r) -> rem.put(k, Map.of("minutesBefore", r.minutesBefore(), "channels", r.channels())));
        m.put("reminders", rem);
        m.put("serviceEmailsAfterOptOut", serviceEmailsAfterOptOut);
        return m;
    }
}
