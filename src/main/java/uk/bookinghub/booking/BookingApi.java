package uk.bookinghub.booking;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.analytics.AnalyticsEvent;
import uk.bookinghub.analytics.AnalyticsFacts;
import uk.bookinghub.api.Params;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.http.JsonBodies;
import uk.bookinghub.monitoring.UnreadableSettings;
import uk.bookinghub.security.Caller;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The client API around bookings: {@code GET /api/appointments}, {@code GET/PATCH
 * /api/appointments/{id}} (cancel, or move to a new start: the same rules as the assistant's
 * tools), {@code GET/PUT /api/clients/{clientKey}/settings} (opening hours, slot length,
 * services), and {@code GET /api/vapi/tools} (the tools' JSON schemas).
 */
public final class BookingApi {

    private static final Set<String> STATUSES = Set.of("booked", "cancelled", "completed", "no_show");
    private final BookingStore store;
    private final BookingTools tools;
    private final ClientStore clients;
    private final Clock clock;
    private final long maxBodyBytes;
    private final String toolServerUrl;
    private volatile uk.bookinghub.dialler.Dialler dialler;
    private volatile uk.bookinghub.analytics.AnalyticsStore analytics;

    public BookingApi(BookingStore store, BookingTools tools, ClientStore clients, Clock clock, long maxBodyBytes, String toolServerUrl) {
        this.store = store;
        this.tools = tools;
        this.clients = clients;
        this.clock = clock;
        this.maxBodyBytes = maxBodyBytes;
        this.toolServerUrl = toolServerUrl;
    }

    /** The calling rules live in the same settings document ({@code "calling": {...}}). */
    public void callingSettings(uk.bookinghub.dialler.Dialler dialler) {
        this.dialler = dialler;
    }

    /** So are the analytics settings ({@code "analytics": {...}}: job values, USD rate, weekly report). */
    public void analyticsSettings(uk.bookinghub.analytics.AnalyticsStore analytics) {
        this.analytics = analytics;
    }

    public Map<String, Object> toolSchemas() {
        return Map.of("tools", BookingTools.schemas(toolServerUrl),
                "note", "add these as function tools of the client's Vapi assistant; pass clientKey in assistantOverrides.variableValues");
    }

    public Map<String, Object> list(Client client, Params params) {
        String status = params.text("status");
        if (status != null && !STATUSES.contains(status)) {
            throw HttpProblem.badRequest("status must be booked, cancelled, completed or no_show");
        }
        ZoneId zone = ZoneId.of(client.timezone());
        Params.Page page = params.page(50, 500);
        List<Map<String, Object>> items = store.list(client.id(), status, params.instant("from", zone),
                params.instant("to", zone), page.size(), page.offset()).stream().map(a -> a.view(zone)).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", items);
        out.put("page", page.number());
        out.put("pageSize", page.size());
        return out;
    }

    public Map<String, Object> get(Client client, Params params) {
        return appointment(client, params.whole("id")).view(ZoneId.of(client.timezone()));
    }

    /**
     * {@code {"status":"cancelled"}}, {@code {"start":"2026-12-01T10:00"}} (move), or once its start
     * has passed {@code {"status":"completed"}} / {@code {"status":"no_show"}} (booked -> completed,
     * booked -> no_show, completed -> no_show as a correction); anything else is a 409 that says why.
     * The answer is the appointment as it is now, with the analytics event of the change.
     */
    public AnalyticsEvent.Recorded<Map<String, Object>> patch(Client client, Params params, byte[] body, String contentType,
                                                              uk.bookinghub.audit.Audit audit) {
        Appointment a = appointment(client, params.whole("id"));
        audit.target("appointment:" + a.id());
        JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
        String status = JsonBodies.text(in, "status");
        String start = JsonBodies.text(in, "start");
        if ((status == null) == (start == null)) {
            throw HttpProblem.badRequest("send either {\"status\":\"cancelled\"|\"completed\"|\"no_show\"} or {\"start\":\"<new ISO-8601 start>\"}");
        }
        if (status != null && !PATCH_STATUSES.contains(status)) {
            throw HttpProblem.badRequest("status can only be changed to cancelled, completed or no_show, not '" + status + "'");
        }
        ZoneId zone = ZoneId.of(client.timezone());
        audit.detail("change", status != null ? status : "moved");
        if ("completed".equals(status) || "no_show".equals(status)) {
            return attendance(client, a, status, zone, audit);
        }
        if (!"booked".equals(a.status())) {
            throw new HttpProblem(409, "appointment " + a.id() + " is " + a.status());
        }
        Appointment after;
        AnalyticsEvent event;
        if (status != null) {
            store.database().inTransaction("cancelling an appointment", c -> {
                tools.cancel(c, a);
                audit.write(c, 200);
                return null;
            });
            tools.metrics().booking("cancelled");
            after = store.byId(client.id(), a.id()).orElseThrow();
            event = BookingTools.cancelled(client, after);
        } else {
            Instant at;
            try {
                at = BookingTools.dateTime(in, "start", zone);
            } catch (BookingTools.Problem p) {
                throw HttpProblem.badRequest(p.getMessage());
            }
            try {
                after = store.database().inTransaction("moving an appointment", c -> {
                    Appointment moved = tools.move(c, client, a, at);
                    audit.write(c, 200);
                    return moved;
                });
                tools.metrics().booking("moved");
            } catch (BookingTools.OutOfRange p) {
                throw HttpProblem.badRequest(p.getMessage(), Map.of("fields", List.of(Map.of("field", "start", "reason", p.getMessage()))));
            } catch (BookingTools.Problem p) {
                throw new HttpProblem(409, p.getMessage());
            }
            event = BookingTools.moved(client, a, after);
        }
        return AnalyticsEvent.Recorded.of(after.view(zone), List.of(event));
    }

    private static final Set<String> PATCH_STATUSES = Set.of("cancelled", "completed", "no_show");

    /** Marks an appointment whose start has passed completed or no_show (the client's word on it). */
    private AnalyticsEvent.Recorded<Map<String, Object>> attendance(Client client, Appointment a, String to, ZoneId zone,
                                                                    uk.bookinghub.audit.Audit audit) {
        String previous = attendanceFrom(a, to);
        Instant now = clock.instant();
        if (now.isBefore(a.start())) {
            throw new HttpProblem(409, "appointment " + a.id() + " starts at " + a.start().atZone(zone).toLocalDateTime()
                    + " (" + zone.getId() + "): it can be marked " + to + " once its start has passed");
        }
        boolean marked = store.database().inTransaction("marking attendance", c -> {
            boolean done = store.markAttendance(c, a.id(), a.status(), to, now, "client");
            if (done) {
                audit.write(c, 200);
            }
            return done;
        });
        Appointment after = store.byId(client.id(), a.id()).orElseThrow();
        if (!marked) {
            throw new HttpProblem(409, "appointment " + a.id() + " changed meanwhile: it is now " + after.status());
        }
        boolean completed = "completed".equals(to);
        AnalyticsEvent event = AnalyticsFacts.appointmentAttended(to, after.id(), client.id(), client.clientKey(), after.leadId(), after.service(),
                after.start(), completed ? after.completedAt() : after.noShowAt(), completed ? after.completedBy() : after.noShowBy(),
                "completed".equals(previous) ? previous : null);
        return AnalyticsEvent.Recorded.of(after.view(zone), List.of(event));
    }

    /** The status an appointment may be marked {@code to} from: booked, or completed for a no-show (a correction); else a 409 naming why. */
    static String attendanceFrom(Appointment a, String to) {
        String from = a.status();
        if (from.equals(to)) {
            throw new HttpProblem(409, "appointment " + a.id() + " is already " + to);
        }
        if ("booked".equals(from) || ("completed".equals(from) && "no_show".equals(to))) {
            return from;
        }
        throw new HttpProblem(409, switch (from) {
            case "cancelled" -> "appointment " + a.id() + " was cancelled: only a booked appointment can be marked " + to;
            case "no_show" -> "appointment " + a.id() + " is marked no_show: a no-show is not changed back to completed";
            default -> "appointment " + a.id() + " is " + from + ": it cannot be marked " + to;
        });
    }

    private Appointment appointment(Client client, long id) {
        return store.byId(client.id(), id).orElseThrow(() -> HttpProblem.notFound("no appointment " + id));
    }

    // ---- settings --------------------------------------------------------------------------

    public Map<String, Object> settings(Caller caller, Params params) {
        Client c = target(caller, params.text("clientKey"));
        BookingSettings s;
        try {
            s = BookingSettings.fromJson(store.settingsJson(c.id()));
        } catch (UnreadableSettings e) {
            s = null; // shown as unreadable; a PUT replaces it
        }
        return view(c, s);
    }

    /** The keys a settings document may have: the booking rules, {@code calling}, {@code timezone} (and {@code clientKey} as GET shows it). */
    static final List<String> SETTINGS_KEYS = List.of("businessHours", "slotMinutes", "services", "minNoticeMinutes", "horizonDays", "googleCalendarId",
            "reminders", "serviceEmailsAfterOptOut", "calling", "analytics", "timezone", "clientKey");

    /**
     * {@code PUT /api/clients/{clientKey}/settings}: every problem is named (a list of {@code field} and
     * {@code reason}: an unknown key, a bad value, a time zone that is not an IANA id, calling rules that are
     * not an object, ...) and nothing is saved when anything is wrong.
     */
    /** {@code PUT /api/clients/{clientKey}/settings}: every part and its audit row ({@code settings_update}: the fields sent) in one transaction. */
    public Map<String, Object> saveSettings(Caller caller, Params params, byte[] body, String contentType, uk.bookinghub.audit.Audit audit) {
        Client c = target(caller, params.text("clientKey"));
        JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
        List<Map<String, Object>> problems = new java.util.ArrayList<>();
        in.fieldNames().forEachRemaining(k -> {
            if (!SETTINGS_KEYS.contains(k)) {
                problem(problems, k, "unknown setting; the settings are " + String.join(", ", SETTINGS_KEYS));
            }
        });
        JsonNode key = in.get("clientKey");
        if (key != null && !key.isNull() && !(key.isTextual() && key.asText().equals(c.clientKey()))) {
            problem(problems, "clientKey", "is " + c.clientKey() + " and cannot be changed");
        }
        String timezone = null;
        JsonNode tz = in.get("timezone");
        if (tz != null && !tz.isNull()) {
            if (!tz.isTextual()) {
                problem(problems, "timezone", "an IANA time zone such as Europe/London, as text");
            } else {
                try {
                    timezone = ZoneId.of(tz.asText().strip()).getId();
                    if (!java.time.zone.ZoneRulesProvider.getAvailableZoneIds().contains(timezone)) {
                        throw new java.time.DateTimeException("not a region");
                    }
                } catch (java.time.DateTimeException e) {
                    problem(problems, "timezone", "not an IANA time zone (such as Europe/London): " + tz.asText());
                    timezone = null;
                }
            }
        }
        com.fasterxml.jackson.databind.node.ObjectNode booking = ((com.fasterxml.jackson.databind.node.ObjectNode) in).deepCopy();
        booking.remove(List.of("calling", "analytics", "timezone", "clientKey"));
        booking.retain(SETTINGS_KEYS); // unknown keys are reported above
        BookingSettings s = null;
        try {
            s = BookingSettings.parse(booking);
        } catch (HttpProblem p) {
            Object fields = p.details().get("fields");
            if (fields instanceof Map<?, ?> m) {
                m.forEach((f, why) -> problem(problems, String.valueOf(f), String.valueOf(why)));
            } else {
                problem(problems, "(settings)", p.getMessage());
            }
        }
        uk.bookinghub.dialler.DiallerSettings calling = null;
        JsonNode callingIn = in.get("calling");
        ZoneId zone = ZoneId.of(timezone != null ? timezone : c.timezone());
        if (callingIn != null && !callingIn.isNull()) {
            if (!callingIn.isObject()) {
                problem(problems, "calling", "the calling rules as a JSON object, e.g. {\"requireConsent\": true}");
            } else {
                try {
                    calling = uk.bookinghub.dialler.DiallerSettings.parse(callingIn, zone);
                } catch (HttpProblem p) {
                    Object fields = p.details().get("fields");
                    if (fields instanceof List<?> list) {
                        for (Object f : list) {
                            String text = String.valueOf(f);
                            int colon = text.indexOf(": ");
                            String field = colon < 0 ? "" : text.substring(0, colon);
                            problem(problems, field.isEmpty() || field.equals("(root)") ? "calling" : "calling." + field,
                                    colon < 0 ? text : text.substring(colon + 2));
                        }
                    } else {
                        problem(problems, "calling", p.getMessage());
                    }
                }
            }
        }
        uk.bookinghub.analytics.AnalyticsSettings analyticsIn = null;
        JsonNode analyticsNode = in.get("analytics");
        if (analyticsNode != null && !analyticsNode.isNull()) {
            try {
                analyticsIn = uk.bookinghub.analytics.AnalyticsSettings.parse(analyticsNode);
            } catch (HttpProblem p) {
                Object fields = p.details().get("fields");
                if (fields instanceof Map<?, ?> m) {
                    m.forEach((f, why) -> problem(problems, "analytics." + f, String.valueOf(why)));
                } else {
                    problem(problems, "analytics", p.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            List<String> said = problems.stream().map(p -> p.get("field") + ": " + p.get("reason")).toList();
            throw HttpProblem.badRequest("invalid settings: " + String.join("; ", said), Map.of("problems", problems));
        }
        // everything checked: now saved, all parts and the audit row in one transaction (the calling rules were read in the new zone)
        Client client = c;
        String newZone = timezone != null && !timezone.equals(c.timezone()) ? timezone : null;
        uk.bookinghub.dialler.DiallerSettings newCalling = calling;
        uk.bookinghub.analytics.AnalyticsSettings newAnalytics = analyticsIn;
        List<String> parts = new java.util.ArrayList<>(in.size());
        in.fieldNames().forEachRemaining(parts::add);
        BookingSettings saved = s;
        audit.client(c.id(), c.clientKey()).target("settings:" + c.clientKey()).detail("fields", parts);
        store.database().inTransaction("saving settings", conn -> {
            if (newZone != null) {
                clients.updateTimezone(conn, client.id(), newZone);
            }
            store.saveSettings(conn, client.id(), Json.write(saved.view()));
            if (newCalling != null) {
                dialler.saveSettings(conn, client, newCalling);
            }
            if (newAnalytics != null) {
                analytics.saveSettings(conn, client.id(), Json.write(newAnalytics.view()));
            }
            audit.write(conn, 200);
            return null;
        });
        store.forgetSettings(c.id());
        if (newZone != null) {
            clients.forgetCached();
            c = clients.byId(c.id()).orElse(c);
        }
        return view(c, s);
    }

    private static void problem(List<Map<String, Object>> problems, String field, String reason) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("field", field);
        p.put("reason", reason);
        problems.add(p);
    }

    /** The settings as stored; a part that cannot be read back is listed under {@code unreadable} (a PUT of that part replaces it). */
    private Map<String, Object> view(Client c, BookingSettings s) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map<String, Object>> unreadable = new java.util.ArrayList<>();
        out.put("clientKey", c.clientKey());
        out.put("timezone", c.timezone());
        if (s != null) {
            out.putAll(s.view());
        } else {
            try {
                BookingSettings.fromJson(store.settingsJson(c.id()));
            } catch (UnreadableSettings e) {
                unreadable.add(Map.of("setting", e.setting(), "reason", e.reason(), "stopped", "booking and reminders"));
            }
        }
        if (dialler != null) {
            try {
                out.put("calling", Json.MAPPER.convertValue(dialler.settings(c).toJson(), Map.class));
            } catch (UnreadableSettings e) {
                out.put("calling", null);
                unreadable.add(Map.of("setting", e.setting(), "reason", e.reason(), "stopped", "dialling"));
            }
        }
        if (analytics != null) {
            try {
                out.put("analytics", uk.bookinghub.analytics.AnalyticsSettings.fromJson(analytics.settingsJson(c.id())).view());
            } catch (UnreadableSettings e) {
                out.put("analytics", null);
                unreadable.add(Map.of("setting", e.setting(), "reason", e.reason(), "stopped", "analytics and the weekly report"));
            }
        }
        if (!unreadable.isEmpty()) {
            out.put("unreadable", unreadable);
        }
        return out;
    }

    /** A client may read and change only its own settings; an admin any client's. */
    private Client target(Caller caller, String clientKey) {
        if (!caller.admin() && !caller.client().clientKey().equals(clientKey)) {
            throw HttpProblem.notFound("no client " + clientKey); // another client's settings: a wrong guess is a 404, never a 403 that says it exists
        }
        return clients.byKey(clientKey).orElseThrow(() -> HttpProblem.notFound("no client " + clientKey));
    }

}
