package uk.bookinghub.booking;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.http.JsonBodies;
import uk.bookinghub.monitoring.UnreadableSettings;
import uk.bookinghub.security.Caller;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
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

    private static final Set<String> STATUSES = Set.of("booked", "cancelled");
    private final BookingStore store;
    private final BookingTools tools;
    private final ClientStore clients;
    private final Clock clock;
    private final long maxBodyBytes;
    private final String toolServerUrl;
    private volatile uk.bookinghub.dialler.Dialler dialler;

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

    public Map<String, Object> toolSchemas() {
        return Map.of("tools", BookingTools.schemas(toolServerUrl),
                "note", "add these as function tools of the client's Vapi assistant; pass clientKey in assistantOverrides.variableValues");
    }

    public Map<String, Object> list(Client client, String status, String from, String to, String page, String pageSize) {
        if (status != null && !status.isBlank() && !STATUSES.contains(status)) {
            throw HttpProblem.badRequest("status must be booked or cancelled");
        }
        ZoneId zone = ZoneId.of(client.timezone());
        int pg = uk.bookinghub.http.QueryParams.positive(page, 1, "page", Integer.MAX_VALUE);
        int size = uk.bookinghub.http.QueryParams.positive(pageSize, 50, "pageSize", 500);
        List<Map<String, Object>> items = store.list(client.id(), status == null || status.isBlank() ? null : status, day(from, "from", zone),
                day(to, "to", zone), size, (pg - 1) * size).stream().map(a -> a.view(zone)).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", items);
        out.put("page", pg);
        out.put("pageSize", size);
        return out;
    }

    public Map<String, Object> get(Client client, String id) {
        return appointment(client, id).view(ZoneId.of(client.timezone()));
    }

    /** {"status":"cancelled"} or {"start":"2026-12-01T10:00"}. */
    public Map<String, Object> patch(Client client, String id, byte[] body, String contentType) {
        Appointment a = appointment(client, id);
        JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
        String status = JsonBodies.text(in, "status");
        String start = JsonBodies.text(in, "start");
        if ((status == null) == (start == null)) {
            throw HttpProblem.badRequest("send either {\"status\":\"cancelled\"} or {\"start\":\"<new ISO-8601 start>\"}");
        }
        if (!"booked".equals(a.status())) {
            throw new HttpProblem(409, "appointment " + a.id() + " is " + a.status());
        }
        ZoneId zone = ZoneId.of(client.timezone());
        Appointment after;
        if (status != null) {
            if (!"cancelled".equals(status)) {
                throw HttpProblem.badRequest("status can only be changed to cancelled");
            }
            store.database().inTransaction("cancelling an appointment", c -> {
                tools.cancel(c, a);
                return null;
            });
        } else {
            Instant at;
            try {
                at = BookingTools.dateTime(in, "start", zone);
            } catch (BookingTools.Problem p) {
                throw HttpProblem.badRequest(p.getMessage());
            }
            try {
                store.database().inTransaction("moving an appointment", c -> tools.move(c, client, a, at));
            } catch (BookingTools.OutOfRange p) {
                throw HttpProblem.badRequest(p.getMessage(), Map.of("fields", List.of(Map.of("field", "start", "reason", p.getMessage()))));
            } catch (BookingTools.Problem p) {
                throw new HttpProblem(409, p.getMessage());
            }
        }
        after = store.byId(client.id(), a.id()).orElseThrow();
        return after.view(zone);
    }

    private Appointment appointment(Client client, String id) {
        try {
            return store.byId(client.id(), Long.parseLong(id.trim())).orElseThrow(() -> HttpProblem.notFound("no appointment " + id));
        } catch (NumberFormatException e) {
            throw HttpProblem.notFound("no appointment " + id);
        }
    }

    // ---- settings --------------------------------------------------------------------------

    public Map<String, Object> settings(Caller caller, String clientKey) {
        Client c = target(caller, clientKey);
        BookingSettings s;
        try {
            s = BookingSettings.fromJson(store.settingsJson(c.id()));
        } catch (UnreadableSettings e) {
            s = null; // shown as unreadable; a PUT replaces it
        }
        return view(c, s);
    }

    public Map<String, Object> saveSettings(Caller caller, String clientKey, byte[] body, String contentType) {
        Client c = target(caller, clientKey);
        JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
        BookingSettings s;
        uk.bookinghub.dialler.DiallerSettings calling = null;
        Map<String, Object> problems = new LinkedHashMap<>();
        com.fasterxml.jackson.databind.node.ObjectNode booking = ((com.fasterxml.jackson.databind.node.ObjectNode) in).deepCopy();
        JsonNode callingIn = booking.remove("calling");
        try {
            s = BookingSettings.parse(booking);
        } catch (HttpProblem p) {
            problems.putAll(p.details());
            s = null;
        }
        if (callingIn != null && !callingIn.isNull()) {
            try {
                calling = uk.bookinghub.dialler.DiallerSettings.parse(callingIn, ZoneId.of(c.timezone()));
            } catch (HttpProblem p) {
                problems.put("calling", p.details().get("fields"));
            }
        }
        if (!problems.isEmpty()) {
            throw HttpProblem.badRequest("invalid settings", problems);
        }
        store.saveSettings(c.id(), Json.write(s.view()));
        if (calling != null) {
            dialler.saveSettings(c, calling);
        }
        return view(c, s);
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
        if (!unreadable.isEmpty()) {
            out.put("unreadable", unreadable);
        }
        return out;
    }

    /** A client may read and change only its own settings; an admin any client's. */
    private Client target(Caller caller, String clientKey) {
        if (!caller.admin() && !caller.client().clientKey().equals(clientKey)) {
            throw new HttpProblem(403, "a client key may only read or change its own settings");
        }
        return clients.byKey(clientKey).orElseThrow(() -> HttpProblem.notFound("no client " + clientKey));
    }

    private static Instant day(String s, String name, ZoneId zone) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return LocalDate.parse(s.trim()).atStartOfDay(zone).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(s.trim());
            } catch (DateTimeParseException e2) {
                throw HttpProblem.badRequest(name + " must be a date (YYYY-MM-DD) or an ISO-8601 instant");
            }
        }
    }

}
