package uk.bookinghub.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Local stand-in for {@code www.googleapis.com} serving the Google Calendar API v3 paths that the
 * google-api-java-client ({@code com.google.api.services.calendar.Calendar}) uses when built with
 * {@code setRootUrl(stub.rootUrl())} (= {@code baseUrl() + "/"}; service path {@code calendar/v3/}, protocols.md §3):
 * <ul>
 *   <li>{@code POST /calendar/v3/freeBusy} — busy blocks set with {@link #busy} plus stored, non-cancelled,
 *       non-{@code transparent} events of that calendar; intervals are clipped to [timeMin, timeMax) and merged,
 *       times written in the request's {@code timeZone} (default UTC). A calendar marked with
 *       {@link #calendarNotFound} comes back with {@code errors:[{domain:global, reason:notFound}]}.</li>
 *   <li>{@code POST   /calendar/v3/calendars/{cal}/events} — events.insert (200; 409 {@code duplicate} for a used id,
 *       also a deleted one; 400 {@code invalid} for an id outside base32hex {@code [a-v0-9]{5,1024}}; 400
 *       {@code required} for missing start/end or a zone-less dateTime without timeZone; 400 {@code timeRangeEmpty}
 *       if end &lt; start).</li>
 *   <li>{@code GET    /calendar/v3/calendars/{cal}/events} — events.list: non-cancelled events in insertion order
 *       (query {@code showDeleted=true} includes cancelled ones; {@code timeMin} = exclusive lower bound for the end,
 *       {@code timeMax} = exclusive upper bound for the start; {@code orderBy=startTime} sorts by start). No paging
 *       and no sync tokens.</li>
 *   <li>{@code GET | PUT | PATCH | DELETE /calendar/v3/calendars/{cal}/events/{eventId}} — get (also returns a
 *       cancelled event, as Google does), update (replace), patch (recursive merge of objects, arrays replaced,
 *       JSON null removes a field), delete (204; marks {@code status:"cancelled"}; 410 {@code deleted} if already
 *       cancelled); unknown id → 404 {@code notFound}.</li>
 * </ul>
 * The Google client's {@code NetHttpTransport} cannot send PATCH, so it sends {@code POST} with
 * {@code X-HTTP-Method-Override: PATCH}; the stub honours that header and records the overridden method. Gzipped
 * request bodies ({@code Content-Encoding: gzip}, the client's default) are inflated.
 *
 * <p>Order of checks per request: {@link #down()} → route (404) → {@code Authorization: Bearer <anything non-blank>}
 * (401 {@code authError}) → {@link #failAlways} → {@link #failNext} → the operation. A refused request changes
 * nothing. Errors use Google's body {@code {"error":{"code":..,"message":..,"errors":[{"domain","reason","message"}]}}}.
 *
 * <p><b>down():</b> while down, every request is read, recorded with {@code status 0}, and its connection is closed
 * without any response (the client sees an I/O error such as "Unexpected end of file from server", not an HTTP
 * status). Note that {@code HttpURLConnection} may silently resend a POST once on such a failure, so one client
 * call can produce two recordings. For an HTTP 503 instead, use {@code failAlways(503, "backendError")}.
 */
public final class GoogleCalendarStub extends StubServer {

    /**
     * One request. {@code path} is the raw request target as sent (path plus {@code ?query} if any);
     * {@code method} is the effective method (after {@code X-HTTP-Method-Override}); {@code body} the (inflated)
     * request body, "" if none; {@code status} the HTTP status answered, 0 when the connection was dropped
     * ({@link #down()}).
     */
    public record Request(String method, String path, String body, String authorization, int status, Instant at) {
        /** The path without the query string. */
        public String pathOnly() {
            int q = path.indexOf('?');
            return q < 0 ? path : path.substring(0, q);
        }

        /** A decoded query parameter (first occurrence), or null. */
        public String query(String name) {
            return queryParams(path).get(name);
        }

        public JsonNode json() {
            return body == null || body.isEmpty() ? JsonNodeFactory.instance.missingNode() : readTree(body);
        }
    }

    private record Fault(int httpStatus, String reason, String message) {
    }

    private record Interval(Instant start, Instant end) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern FREEBUSY = Pattern.compile("^/calendar/v3/freeBusy/?$");
    private static final Pattern EVENTS = Pattern.compile("^/calendar/v3/calendars/([^/]+)/events/?$");
    private static final Pattern EVENT = Pattern.compile("^/calendar/v3/calendars/([^/]+)/events/([^/]+)/?$");
    private static final Pattern EVENT_ID = Pattern.compile("^[a-v0-9]{5,1024}$");
    /** "2026-12-01T09:00:00.000Z", how Google writes created/updated and freeBusy timeMin/timeMax. */
    private static final DateTimeFormatter RFC3339_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter RFC3339_OFFSET = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");
    private static final AtomicLong ETAG = new AtomicLong(3_181_161_784_712_000L);

    private final Recording<Request> requests = new Recording<>(); // reset() also locks it: insertCount moves with it
    private final AtomicInteger insertCount = new AtomicInteger();

    private final Object store = new Object();
    private final Map<String, LinkedHashMap<String, ObjectNode>> events = new HashMap<>(); // guarded by store
    private final Map<String, List<Interval>> busy = new HashMap<>();                       // guarded by store
    private final Set<String> notFoundCalendars = new HashSet<>();                          // guarded by store

    private final Script<Fault> faults = new Script<>();
    private volatile boolean down;

    private GoogleCalendarStub(int port, int threads) throws IOException {
        super("gcal", port, threads, 2);
        serve();
    }

    /** Starts on 127.0.0.1, a free port. */
    public static GoogleCalendarStub start() {
        return start(0);
    }

    /** Starts on 127.0.0.1:{@code port} (0 = free port). */
    public static GoogleCalendarStub start(int port) {
        try {
            return new GoogleCalendarStub(port, 16);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start Google Calendar stub", e);
        }
    }

    /** {@code http://127.0.0.1:PORT} (no trailing slash). */
    public String baseUrl() {
        return url("127.0.0.1");
    }

    /** {@code baseUrl() + "/"} — the value for {@code Calendar.Builder.setRootUrl(..)}. */
    public String rootUrl() {
        return baseUrl() + "/";
    }

    // ---------------------------------------------------------------- test data

    /** Adds a busy block that freeBusy reports for {@code calendarId} (in addition to stored events). */
    public void busy(String calendarId, Instant start, Instant end) {
        synchronized (store) {
            busy.computeIfAbsent(calendarId, k -> new ArrayList<>()).add(new Interval(start, end));
        }
    }

    /** freeBusy answers {@code errors:[{notFound}]} for this calendar, and its event paths answer 404. */
    public void calendarNotFound(String calendarId) {
        synchronized (store) {
            notFoundCalendars.add(calendarId);
        }
    }

    // ---------------------------------------------------------------- recordings

    /** Every request (any path), in order of response. */
    public List<Request> requests() {
        return requests.all();
    }

    /** Recorded requests with this (effective) method whose path (without query) equals {@code path}. */
    public List<Request> requests(String method, String path) {
        return requests.where(r -> r.method().equals(method) && r.pathOnly().equals(path));
    }

    /**
     * The stored events of {@code calendarId} by id, in insertion order (deep copies). Deleted events stay, with
     * {@code "status":"cancelled"}; see {@link #activeEvents(String)}.
     */
    public Map<String, JsonNode> events(String calendarId) {
        synchronized (store) {
            Map<String, JsonNode> copy = new LinkedHashMap<>();
            events.getOrDefault(calendarId, new LinkedHashMap<>()).forEach((id, e) -> copy.put(id, e.deepCopy()));
            return copy;
        }
    }

    /** Like {@link #events(String)} without the cancelled ones. */
    public Map<String, JsonNode> activeEvents(String calendarId) {
        Map<String, JsonNode> all = events(calendarId);
        all.values().removeIf(GoogleCalendarStub::cancelled);
        return all;
    }

    /** Successful events.insert calls. */
    public int insertCount() {
        return insertCount.get();
    }

    /** Clears recordings, stored events, busy blocks, not-found calendars, faults, delay and {@link #down()}. */
    public void reset() {
        recover();
        down = false;
        delay(Duration.ZERO);
        synchronized (store) {
            events.clear();
            busy.clear();
            notFoundCalendars.clear();
        }
        synchronized (requests) {
            requests.clear();
            insertCount.set(0);
        }
    }

    // ---------------------------------------------------------------- scripts

    /**
     * The next {@code times} authenticated requests get this Google error, then normal behaviour resumes.
     * {@code reason} picks domain and message: rateLimitExceeded / userRateLimitExceeded / quotaExceeded
     * (usageLimits), backendError, notFound, forbidden, authError, duplicate, deleted, ... (global).
     */
    public void failNext(int times, int httpStatus, String reason) {
        failNext(times, httpStatus, reason, defaultMessage(reason));
    }

    /** As {@link #failNext(int, int, String)} with an explicit message. */
    public void failNext(int times, int httpStatus, String reason, String message) {
        faults.next(times, new Fault(httpStatus, reason, message));
    }

    /** Every authenticated request gets this Google error until {@link #recover()}. */
    public void failAlways(int httpStatus, String reason) {
        faults.always(new Fault(httpStatus, reason, defaultMessage(reason)));
    }

    /** Ends {@link #failAlways} and any remaining {@link #failNext} (not {@link #down()}). */
    public void recover() {
        faults.clear();
    }

    /** From now on every connection is closed without an answer (see class doc), until {@link #up()}. */
    public void down() {
        down = true;
    }

    public void up() {
        down = false;
    }

    // ---------------------------------------------------------------- HTTP

    private record Answer(int status, String json) {
    }

    @Override
    protected void handle(HttpExchange ex) throws IOException {
        String target = ex.getRequestURI().getRawPath()
                + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
        String method = ex.getRequestMethod();
        String override = ex.getRequestHeaders().getFirst("X-HTTP-Method-Override");
        if ("POST".equals(method) && override != null && !override.isBlank()) {
            method = override.trim().toUpperCase(Locale.ROOT);
        }
        String authorization = ex.getRequestHeaders().getFirst("Authorization");
        String body = "";
        Answer answer;
        try {
            body = new String(readBody(ex), StandardCharsets.UTF_8);
            if (down) {
                record(new Request(method, target, body, authorization, 0, Instant.now()));
                ex.close(); // no response headers sent yet: the JDK server drops the connection
                return;
            }
            answer = route(method, ex.getRequestURI().getRawPath(), ex.getRequestURI().getRawQuery(), body,
                    authorization);
        } catch (Throwable e) { // never leave a client hanging without an answer
            answer = new Answer(500, errorJson(500, "backendError", "Backend Error"));
        }
        final Answer a = answer;
        final String m = method;
        final String b = body;
        Runnable reply = () -> {
            try {
                record(new Request(m, target, b, authorization, a.status, Instant.now()));
                respond(ex, a.status, a.json);
            } catch (Throwable e) {
                ex.close();
            }
        };
        reply(reply);
    }

    private Answer route(String method, String path, String rawQuery, String body, String authorization) {
        Matcher m;
        String cal = null;
        String eventId = null;
        int kind; // 0 freeBusy, 1 events collection, 2 one event
        if (FREEBUSY.matcher(path).matches() && "POST".equals(method)) {
            kind = 0;
        } else if ((m = EVENTS.matcher(path)).matches() && ("POST".equals(method) || "GET".equals(method))) {
            kind = 1;
            cal = decodePath(m.group(1));
        } else if ((m = EVENT.matcher(path)).matches()
                && Set.of("GET", "PUT", "PATCH", "DELETE").contains(method)) {
            kind = 2;
            cal = decodePath(m.group(1));
            eventId = decodePath(m.group(2));
        } else {
            return new Answer(404, errorJson(404, "notFound", "Not Found"));
        }
        if (authorization == null || !authorization.startsWith("Bearer ")
                || authorization.substring(7).isBlank()) {
            return new Answer(401, authErrorJson());
        }
        Fault f = faults.take();
        if (f != null) {
            return new Answer(f.httpStatus, errorJson(f.httpStatus, f.reason, f.message));
        }
        JsonNode json = null;
        if ("POST".equals(method) || "PUT".equals(method) || "PATCH".equals(method)) {
            try {
                json = JSON.readTree(body);
            } catch (IOException e) {
                json = null;
            }
            if (json == null || !json.isObject()) {
                return new Answer(400, errorJson(400, "parseError", "Parse Error"));
            }
        }
        Map<String, String> query = queryParams(rawQuery == null ? "" : "?" + rawQuery);
        synchronized (store) {
            if (cal != null && notFoundCalendars.contains(cal)) {
                return new Answer(404, errorJson(404, "notFound", "Not Found"));
            }
            return switch (kind) {
                case 0 -> freeBusy((ObjectNode) json);
                case 1 -> "POST".equals(method) ? insert(cal, (ObjectNode) json) : list(cal, query);
                default -> switch (method) {
                    case "GET" -> get(cal, eventId);
                    case "PUT" -> update(cal, eventId, (ObjectNode) json, false);
                    case "PATCH" -> update(cal, eventId, (ObjectNode) json, true);
                    default -> delete(cal, eventId);
                };
            };
        }
    }

    // ---------------------------------------------------------------- operations (called under store lock)

    private Answer freeBusy(ObjectNode req) {
        Instant timeMin = parseInstant(req.path("timeMin").asText(null));
        Instant timeMax = parseInstant(req.path("timeMax").asText(null));
        if (timeMin == null) {
            return new Answer(400, errorJson(400, "required", "Missing timeMin.", "parameter", "timeMin"));
        }
        if (timeMax == null) {
            return new Answer(400, errorJson(400, "required", "Missing timeMax.", "parameter", "timeMax"));
        }
        if (!timeMax.isAfter(timeMin)) {
            return new Answer(400, errorJson(400, "timeRangeEmpty", "The specified time range is empty.",
                    "parameter", "timeMax"));
        }
        ZoneId zone = zoneOr(req.path("timeZone").asText(null), ZoneOffset.UTC);
        ObjectNode res = NODES.objectNode();
        res.put("kind", "calendar#freeBusy");
        res.put("timeMin", RFC3339_MILLIS.format(timeMin));
        res.put("timeMax", RFC3339_MILLIS.format(timeMax));
        ObjectNode calendars = res.putObject("calendars");
        for (JsonNode item : req.path("items")) {
            String id = item.path("id").asText("");
            ObjectNode c = calendars.putObject(id);
            if (notFoundCalendars.contains(id)) {
                ArrayNode errors = c.putArray("errors");
                errors.addObject().put("domain", "global").put("reason", "notFound");
                c.putArray("busy");
                continue;
            }
            List<Interval> intervals = new ArrayList<>(busy.getOrDefault(id, List.of()));
            for (ObjectNode e : events.getOrDefault(id, new LinkedHashMap<>()).values()) {
                if (cancelled(e) || "transparent".equals(e.path("transparency").asText())) {
                    continue;
                }
                Instant s = eventInstant(e.path("start"));
                Instant en = eventInstant(e.path("end"));
                if (s != null && en != null) {
                    intervals.add(new Interval(s, en));
                }
            }
            ArrayNode out = c.putArray("busy");
            for (Interval i : merge(intervals, timeMin, timeMax)) {
                out.addObject()
                        .put("start", RFC3339_OFFSET.format(i.start.atZone(zone).toOffsetDateTime()))
                        .put("end", RFC3339_OFFSET.format(i.end.atZone(zone).toOffsetDateTime()));
            }
        }
        return new Answer(200, res.toString());
    }

    private Answer insert(String cal, ObjectNode ev) {
        LinkedHashMap<String, ObjectNode> byId = events.computeIfAbsent(cal, k -> new LinkedHashMap<>());
        String id;
        if (ev.hasNonNull("id")) {
            id = ev.get("id").asText();
            if (!EVENT_ID.matcher(id).matches()) {
                return new Answer(400, errorJson(400, "invalid", "Invalid resource id value."));
            }
            if (byId.containsKey(id)) {
                return new Answer(409, errorJson(409, "duplicate", "The requested identifier already exists."));
            }
        } else {
            id = newEventId();
        }
        Answer invalid = validateTimes(ev);
        if (invalid != null) {
            return invalid;
        }
        ObjectNode stored = ev.deepCopy();
        String now = RFC3339_MILLIS.format(Instant.now());
        stored.put("kind", "calendar#event");
        stored.put("etag", newEtag());
        stored.put("id", id);
        if (!stored.hasNonNull("status") || cancelled(stored)) {
            stored.put("status", "confirmed");
        }
        stored.put("htmlLink", "https://www.google.com/calendar/event?eid=" + Base64.getUrlEncoder()
                .withoutPadding().encodeToString((id + " " + cal).getBytes(StandardCharsets.UTF_8)));
        stored.put("created", now);
        stored.put("updated", now);
        if (!stored.hasNonNull("iCalUID")) {
            stored.put("iCalUID", id + "@google.com");
        }
        if (!stored.has("sequence")) {
            stored.put("sequence", 0);
        }
        byId.put(id, stored);
        insertCount.incrementAndGet();
        return new Answer(200, stored.toString());
    }

    private Answer list(String cal, Map<String, String> query) {
        boolean showDeleted = "true".equalsIgnoreCase(query.get("showDeleted"));
        Instant timeMin = parseInstant(query.get("timeMin"));
        Instant timeMax = parseInstant(query.get("timeMax"));
        List<ObjectNode> items = new ArrayList<>();
        for (ObjectNode e : events.getOrDefault(cal, new LinkedHashMap<>()).values()) {
            if (cancelled(e) && !showDeleted) {
                continue;
            }
            Instant s = eventInstant(e.path("start"));
            Instant en = eventInstant(e.path("end"));
            if (timeMin != null && en != null && !en.isAfter(timeMin)) {
                continue;
            }
            if (timeMax != null && s != null && !s.isBefore(timeMax)) {
                continue;
            }
            items.add(e);
        }
        if ("startTime".equals(query.get("orderBy"))) {
            items.sort(Comparator.comparing((ObjectNode e) -> eventInstant(e.path("start")),
                    Comparator.nullsLast(Comparator.naturalOrder())));
        }
        ObjectNode res = NODES.objectNode();
        res.put("kind", "calendar#events");
        res.put("etag", newEtag());
        res.put("summary", cal);
        res.put("updated", RFC3339_MILLIS.format(Instant.now()));
        res.put("timeZone", query.getOrDefault("timeZone", "UTC"));
        res.put("accessRole", "owner");
        res.putArray("defaultReminders");
        ArrayNode arr = res.putArray("items");
        items.forEach(e -> arr.add(e.deepCopy()));
        return new Answer(200, res.toString());
    }

    private Answer get(String cal, String eventId) {
        ObjectNode e = events.getOrDefault(cal, new LinkedHashMap<>()).get(eventId);
        return e == null ? notFound() : new Answer(200, e.toString());
    }

    private Answer update(String cal, String eventId, ObjectNode change, boolean patch) {
        ObjectNode current = events.getOrDefault(cal, new LinkedHashMap<>()).get(eventId);
        if (current == null) {
            return notFound();
        }
        ObjectNode next;
        if (patch) {
            next = current.deepCopy();
            merge(next, change);
        } else {
            next = change.deepCopy();
            for (String keep : List.of("kind", "htmlLink", "created", "iCalUID", "sequence")) {
                if (current.has(keep)) {
                    next.set(keep, current.get(keep).deepCopy());
                }
            }
            if (!next.hasNonNull("status")) {
                next.put("status", "confirmed");
            }
        }
        next.put("id", eventId);
        Answer invalid = validateTimes(next);
        if (invalid != null) {
            return invalid;
        }
        next.put("etag", newEtag());
        next.put("updated", RFC3339_MILLIS.format(Instant.now()));
        events.get(cal).put(eventId, next);
        return new Answer(200, next.toString());
    }

    private Answer delete(String cal, String eventId) {
        ObjectNode e = events.getOrDefault(cal, new LinkedHashMap<>()).get(eventId);
        if (e == null) {
            return notFound();
        }
        if (cancelled(e)) {
            return new Answer(410, errorJson(410, "deleted", "Resource has been deleted"));
        }
        e.put("status", "cancelled");
        e.put("etag", newEtag());
        e.put("updated", RFC3339_MILLIS.format(Instant.now()));
        return new Answer(204, null);
    }

    private static Answer notFound() {
        return new Answer(404, errorJson(404, "notFound", "Not Found"));
    }

    /** start/end present, zone-resolvable, end not before start. */
    private static Answer validateTimes(ObjectNode ev) {
        for (String field : List.of("start", "end")) {
            JsonNode t = ev.path(field);
            if (!t.hasNonNull("dateTime") && !t.hasNonNull("date")) {
                return new Answer(400, errorJson(400, "required", "Missing " + field + " time."));
            }
            if (t.hasNonNull("dateTime") && !hasOffset(t.get("dateTime").asText())
                    && !t.hasNonNull("timeZone")) {
                return new Answer(400, errorJson(400, "required",
                        "Missing time zone definition for " + field + " time."));
            }
            if (eventInstant(t) == null) {
                return new Answer(400, errorJson(400, "invalid", "Invalid " + field + " time."));
            }
        }
        if (eventInstant(ev.path("end")).isBefore(eventInstant(ev.path("start")))) {
            return new Answer(400, errorJson(400, "timeRangeEmpty", "The specified time range is empty."));
        }
        return null;
    }

    private void record(Request r) {
        synchronized (requests) {
            requests.add(r);
        }
    }

    // ---------------------------------------------------------------- Google error bodies

    /** Google's error body with one error item. */
    public static String errorJson(int code, String reason, String message) {
        return errorJson(code, reason, message, null, null);
    }

    private static String errorJson(int code, String reason, String message, String locationType, String location) {
        ObjectNode root = NODES.objectNode();
        ObjectNode error = root.putObject("error");
        error.put("code", code);
        error.put("message", message);
        ObjectNode item = error.putArray("errors").addObject();
        item.put("domain", domain(reason));
        item.put("reason", reason);
        item.put("message", message);
        if (locationType != null) {
            item.put("locationType", locationType);
            item.put("location", location);
        }
        return root.toString();
    }

    private static String authErrorJson() {
        return errorJson(401, "authError", "Invalid Credentials", "header", "Authorization");
    }

    private static String domain(String reason) {
        return switch (reason) {
            case "rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded" -> "usageLimits";
            case "timeRangeEmpty" -> "calendar";
            default -> "global";
        };
    }

    private static String defaultMessage(String reason) {
        return switch (reason) {
            case "rateLimitExceeded" -> "Rate Limit Exceeded";
            case "userRateLimitExceeded" -> "User Rate Limit Exceeded";
            case "quotaExceeded" -> "Calendar usage limits exceeded.";
            case "backendError" -> "Backend Error";
            case "notFound" -> "Not Found";
            case "forbidden" -> "Forbidden";
            case "authError" -> "Invalid Credentials";
            case "duplicate" -> "The requested identifier already exists.";
            case "deleted" -> "Resource has been deleted";
            case "timeRangeEmpty" -> "The specified time range is empty.";
            default -> reason;
        };
    }

    // ---------------------------------------------------------------- time helpers

    private static boolean hasOffset(String dateTime) {
        try {
            OffsetDateTime.parse(dateTime);
            return true;
        } catch (DateTimeException e) {
            return false;
        }
    }

    /** RFC 3339 with offset → Instant; null if absent or unparseable. */
    private static Instant parseInstant(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** An EventDateTime ({dateTime[,timeZone]} or {date[,timeZone]}) → Instant; null if unusable. */
    private static Instant eventInstant(JsonNode t) {
        String tz = t.path("timeZone").asText(null);
        try {
            if (t.hasNonNull("dateTime")) {
                String dt = t.get("dateTime").asText();
                try {
                    return OffsetDateTime.parse(dt).toInstant();
                } catch (DateTimeException noOffset) {
                    if (tz == null) {
                        return null;
                    }
                    return LocalDateTime.parse(dt).atZone(ZoneId.of(tz)).toInstant();
                }
            }
            if (t.hasNonNull("date")) {
                return LocalDate.parse(t.get("date").asText()).atStartOfDay(zoneOr(tz, ZoneOffset.UTC)).toInstant();
            }
        } catch (DateTimeException e) {
            return null;
        }
        return null;
    }

    private static ZoneId zoneOr(String tz, ZoneId fallback) {
        if (tz == null || tz.isBlank()) {
            return fallback;
        }
        try {
            return ZoneId.of(tz);
        } catch (DateTimeException e) {
            return fallback;
        }
    }

    /** Clips to [min, max), drops empty ones, sorts and merges overlapping/adjacent intervals. */
    private static List<Interval> merge(List<Interval> in, Instant min, Instant max) {
        List<Interval> clipped = new ArrayList<>();
        for (Interval i : in) {
            Instant s = i.start.isBefore(min) ? min : i.start;
            Instant e = i.end.isAfter(max) ? max : i.end;
            if (s.isBefore(e)) {
                clipped.add(new Interval(s, e));
            }
        }
        clipped.sort(Comparator.comparing(Interval::start));
        List<Interval> out = new ArrayList<>();
        for (Interval i : clipped) {
            Interval last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && !i.start.isAfter(last.end)) {
                out.set(out.size() - 1, new Interval(last.start, i.end.isAfter(last.end) ? i.end : last.end));
            } else {
                out.add(i);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- misc helpers

    private static boolean cancelled(JsonNode e) {
        return "cancelled".equals(e.path("status").asText());
    }

    /** Google patch semantics: objects merged recursively, anything else replaced, JSON null removes. */
    private static void merge(ObjectNode target, ObjectNode patch) {
        Iterator<Map.Entry<String, JsonNode>> it = patch.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (v.isNull()) {
                target.remove(f.getKey());
            } else if (v.isObject() && target.get(f.getKey()) instanceof ObjectNode t) {
                merge(t, (ObjectNode) v);
            } else {
                target.set(f.getKey(), v.deepCopy());
            }
        }
    }

    private static String newEventId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        StringBuilder b = new StringBuilder(26);
        for (int i = 0; i < 26; i++) {
            b.append(Character.forDigit(r.nextInt(32), 32)); // 0-9a-v: base32hex
        }
        return b.toString();
    }

    private static String newEtag() {
        return "\"" + ETAG.addAndGet(1000) + "\"";
    }

    /** Percent-decoding of a path segment ('+' stays '+'). */
    private static String decodePath(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static Map<String, String> queryParams(String target) {
        Map<String, String> out = new LinkedHashMap<>();
        int q = target.indexOf('?');
        if (q < 0) {
            return out;
        }
        for (String pair : target.substring(q + 1).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(name, value);
        }
        return out;
    }

    private static JsonNode readTree(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + s, e);
        }
    }

    private static void respond(HttpExchange ex, int status, String json) throws IOException {
        respond(ex, status, "application/json; charset=UTF-8", json);
    }

    /**
     * Runs the stand-in as a process of its own (benchmarks: {@code bench/tools.sh}), on 127.0.0.1.
     * Arguments: {@code --port N} (0 = a free port), {@code --latency-ms N} (added to every Calendar request, see
     * {@link #delay}), {@code --threads N} (HTTP workers, 16). Prints {@code GOOGLE_STUB_URL=http://127.0.0.1:PORT}
     * once it listens. Besides the Calendar paths it serves, under {@code /stub/}:
     * <ul>
     *   <li>{@code GET /stub/stats} — per kind of Calendar request ({@code freeBusy}, {@code insert} = events.insert,
     *       {@code other}): {@code total} and {@code byStatus} since start (or {@code /stub/reset}), and for the current
     *       window (since {@code POST /stub/window}) {@code count} and the stand-in's own service time in ms
     *       ({@code mean}, {@code p50}, {@code p90}, {@code p99}, {@code max}: from the request reaching the handler to
     *       the last byte of the answer written, the added latency included); {@code inserts} = successful
     *       events.insert; per calendar the stored events: {@code events}, {@code active}, {@code distinctRefs}
     *       (distinct "Reference N" in the descriptions), {@code overlaps} (active events starting before an
     *       earlier one ends).</li>
     *   <li>{@code POST /stub/window} — starts a new timing window (also forgets the recorded requests, to bound memory).</li>
     *   <li>{@code POST /stub/reset} — {@link #reset()}; the latency given at start stays.</li>
     *   <li>{@code POST /stub/busy?calendar=ID&start=ISO&end=ISO} — {@link #busy}.</li>
     * </ul>
     */
    public static void main(String[] args) throws Exception {
        int port = 0;
        int threads = 16;
        long latencyMs = 0;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--latency-ms" -> latencyMs = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--port, --latency-ms, --threads)");
            }
        }
        final Duration latency = Duration.ofMillis(latencyMs);
        final GoogleCalendarStub stub = new GoogleCalendarStub(port, threads);
        stub.delay(latency);

        final String[] kinds = {"freeBusy", "insert", "other"};
        final Object timingLock = new Object();
        final long[][] samples = new long[kinds.length][];             // guarded by timingLock: nanos, current window
        final int[] counts = new int[kinds.length];                     // guarded by timingLock
        final List<Map<Integer, Integer>> byStatus = new ArrayList<>(); // guarded by timingLock: since start / reset
        for (int k = 0; k < kinds.length; k++) {
            samples[k] = new long[1024];
            byStatus.add(new java.util.TreeMap<>());
        }

        // the stand-in's own time per request: a filter in front of the Calendar handler, stopped when the answer's
        // body is closed (with a latency the answer is written later, on another thread)
        stub.httpServer().removeContext("/");
        com.sun.net.httpserver.HttpContext calendarContext = stub.httpServer().createContext("/", stub::handle);
        calendarContext.getFilters().add(new com.sun.net.httpserver.Filter() {
            @Override
            public void doFilter(HttpExchange ex, Chain chain) throws IOException {
                final long t0 = System.nanoTime();
                String path = ex.getRequestURI().getRawPath();
                String override = ex.getRequestHeaders().getFirst("X-HTTP-Method-Override");
                boolean post = "POST".equals(ex.getRequestMethod()) && (override == null || override.isBlank());
                final int kind = post && FREEBUSY.matcher(path).matches() ? 0 : post && EVENTS.matcher(path).matches() ? 1 : 2;
                OutputStream original = ex.getResponseBody();
                ex.setStreams(null, new java.io.FilterOutputStream(original) {
                    private boolean done;

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        try {
                            super.close();
                        } finally {
                            if (!done) {
                                done = true;
                                long took = System.nanoTime() - t0;
                                int status = ex.getResponseCode();
                                synchronized (timingLock) {
                                    if (counts[kind] == samples[kind].length) {
                                        samples[kind] = java.util.Arrays.copyOf(samples[kind], samples[kind].length * 2);
                                    }
                                    samples[kind][counts[kind]++] = took;
                                    byStatus.get(kind).merge(status, 1, Integer::sum);
                                }
                            }
                        }
                    }
                });
                chain.doFilter(ex);
            }

            @Override
            public String description() {
                return "service time";
            }
        });

        stub.httpServer().createContext("/stub/", ex -> {
            try {
                String path = ex.getRequestURI().getRawPath();
                String method = ex.getRequestMethod();
                Map<String, String> query = queryParams(ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
                readBody(ex);
                if ("GET".equals(method) && path.equals("/stub/stats")) {
                    ObjectNode res = NODES.objectNode();
                    synchronized (timingLock) {
                        for (int k = 0; k < kinds.length; k++) {
                            ObjectNode o = res.putObject(kinds[k]);
                            int total = 0;
                            ObjectNode st = o.putObject("byStatus");
                            for (Map.Entry<Integer, Integer> e : byStatus.get(k).entrySet()) {
                                st.put(String.valueOf(e.getKey()), e.getValue());
                                total += e.getValue();
                            }
                            o.put("total", total);
                            long[] s = java.util.Arrays.copyOf(samples[k], counts[k]);
                            java.util.Arrays.sort(s);
                            o.put("count", s.length);
                            double sum = 0;
                            for (long v : s) {
                                sum += v;
                            }
                            o.put("mean", s.length == 0 ? 0 : Math.round(sum / s.length / 1e3) / 1e3);
                            for (double q : new double[] {0.50, 0.90, 0.99, 1.0}) {
                                long v = s.length == 0 ? 0 : s[Math.max(0, (int) Math.ceil(q * s.length) - 1)];
                                o.put(q == 1.0 ? "max" : "p" + Math.round(q * 100), Math.round(v / 1e3) / 1e3);
                            }
                        }
                    }
                    res.put("inserts", stub.insertCount());
                    res.put("latencyMs", stub.delay().toMillis());
                    ObjectNode cals = res.putObject("calendars");
                    List<String> ids;
                    synchronized (stub.store) {
                        ids = new ArrayList<>(stub.events.keySet());
                    }
                    for (String id : ids) {
                        Map<String, JsonNode> all = stub.events(id);
                        List<Interval> active = new ArrayList<>();
                        Set<String> refs = new HashSet<>();
                        int withRef = 0;
                        Pattern ref = Pattern.compile("Reference (\\d+)");
                        for (JsonNode e : all.values()) {
                            if (cancelled(e)) {
                                continue;
                            }
                            Matcher m = ref.matcher(e.path("description").asText(""));
                            if (m.find()) {
                                withRef++;
                                refs.add(m.group(1));
                            }
                            Instant s = eventInstant(e.path("start"));
                            Instant en = eventInstant(e.path("end"));
                            if (s != null && en != null) {
                                active.add(new Interval(s, en));
                            }
                        }
                        active.sort(Comparator.comparing(Interval::start));
                        int overlaps = 0;
                        Instant maxEnd = null;
                        for (Interval i : active) {
                            if (maxEnd != null && i.start().isBefore(maxEnd)) {
                                overlaps++;
                            }
                            maxEnd = maxEnd == null || i.end().isAfter(maxEnd) ? i.end() : maxEnd;
                        }
                        ObjectNode c = cals.putObject(id);
                        c.put("events", all.size());
                        c.put("active", all.values().stream().filter(e -> !cancelled(e)).count());
                        c.put("withRef", withRef);
                        c.put("distinctRefs", refs.size());
                        c.put("overlaps", overlaps);
                    }
                    respond(ex, 200, res.toString());
                } else if ("POST".equals(method) && path.equals("/stub/window")) {
                    synchronized (timingLock) {
                        java.util.Arrays.fill(counts, 0);
                    }
                    synchronized (stub.requests) {
                        stub.requests.clear();
                    }
                    respond(ex, 200, "{\"ok\":true}");
                } else if ("POST".equals(method) && path.equals("/stub/reset")) {
                    stub.reset();
                    stub.delay(latency);
                    synchronized (timingLock) {
                        java.util.Arrays.fill(counts, 0);
                        byStatus.forEach(Map::clear);
                    }
                    respond(ex, 200, "{\"ok\":true}");
                } else if ("POST".equals(method) && path.equals("/stub/busy")) {
                    Instant s = parseInstant(query.get("start"));
                    Instant e = parseInstant(query.get("end"));
                    String cal = query.get("calendar");
                    if (cal == null || s == null || e == null || !e.isAfter(s)) {
                        respond(ex, 400, "{\"error\":\"calendar, start and end (RFC 3339, end after start) required\"}");
                    } else {
                        stub.busy(cal, s, e);
                        respond(ex, 200, "{\"ok\":true}");
                    }
                } else {
                    respond(ex, 404, "{\"error\":\"unknown stub path\"}");
                }
            } catch (Throwable t) {
                respond(ex, 500, NODES.objectNode().put("error", String.valueOf(t)).toString());
            }
        });
        System.out.println("GOOGLE_STUB_URL=" + stub.baseUrl() + " (latency " + latencyMs + " ms, " + threads + " threads)");
        System.out.flush();
        new java.util.concurrent.CountDownLatch(1).await();
    }
}
