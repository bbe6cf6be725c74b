package uk.bookinghub.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Local stand-in for {@code api.vapi.ai} (protocols.md §1.1): serves {@code POST /call} with Vapi's wire format
 * ({@code Authorization: Bearer <private key>}, JSON {@code CreateCallDTO} in, 201 + {@code Call} JSON out, Vapi/NestJS
 * error JSON on failure), records every {@code POST /call}, and can be scripted to fail. Runs on 127.0.0.1, free port.
 *
 * <p>Order of checks per {@code POST /call}: Bearer key (401) → body validation (400: body must be a JSON
 * object; {@code customer.number}, when present, must be E.164 unless {@code customer.numberE164CheckEnabled}
 * is {@code false}) → {@link #createThenFail} (the call is created, the answer is an error) → {@link #failAlways}
 * → {@link #failNext} → 201. A refused request never creates a call.
 *
 * <p>Error bodies: {@code {"message":...,"error":"<reason phrase>","statusCode":<status>}} where {@code message} is
 * an array of strings for 400 (class-validator style) and a plain string otherwise; 401 always uses Vapi's
 * "Invalid Key. Hot tip, ..." text.
 *
 * <p>Extra endpoints: {@code GET /call/{id}} (same Bearer key) returns the stored Call, or 404;
 * {@code GET /call} lists the stored calls (List Calls: assistantId, phoneNumberId, createdAt filters, limit).
 * {@link #delay(Duration)} adds latency to {@code POST /call} without blocking worker threads.
 *
 * <p>Assistants (the section "assistants" at the end): {@code POST /assistant} (201 + the Assistant with {@code id},
 * {@code orgId}, {@code createdAt}, {@code updatedAt}), {@code PATCH /assistant/{id}} (the given top-level fields replace
 * the stored ones; 404 for an unknown id), {@code GET /assistant/{id}}, {@code GET /assistant} (newest first; {@code limit},
 * {@code createdAtGe/Gt/Le/Lt}). Same Bearer check and error bodies; scriptable failures
 * ({@link #failAssistantsNext}, {@link #failAssistantsAlways}) and a slow create ({@link #slowAssistantCreates}: the
 * assistant is created when the request arrives, the answer comes late, as when Vapi answers after the caller's timeout).
 */
public final class VapiStub extends StubServer {

    /** One {@code POST /call}, accepted (httpStatus 201, callId set), refused (callId null), or created but answered with an error (callId set). */
    public record CallRequest(JsonNode body, String authorization, String callId, int httpStatus, Instant at) {
        public boolean accepted() {
            return httpStatus == 201;
        }

        /** {@code customer.number} of the request, or null. */
        public String customerNumber() {
            JsonNode n = body == null ? null : body.path("customer").path("number");
            return n == null || !n.isTextual() ? null : n.asText();
        }
    }

    private record Fault(int httpStatus, String message) {
    }

    public static final String INVALID_KEY_MESSAGE =
            "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CALL = Pattern.compile("^/call/?$");
    private static final Pattern CALL_ID = Pattern.compile("^/call/([^/]+)/?$");
    private static final Pattern E164 = Pattern.compile("^\\+[1-9]\\d{1,14}$");
    /** Vapi timestamps: "2024-09-10T11:14:12.339Z". */
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final String privateKey;
    private final String orgId = UUID.randomUUID().toString();
    private final Recording<CallRequest> calls = new Recording<>(); // record() and reset() also lock it: acceptedCount moves with it
    private final Map<String, String> callsById = new ConcurrentHashMap<>();
    private final AtomicInteger acceptedCount = new AtomicInteger();

    private final Script<Fault> faults = new Script<>();
    /** Faults scripted for one customer number: a retry of another test's call cannot use them up. */
    private final java.util.Map<String, Script<Fault>> faultsTo = new java.util.concurrent.ConcurrentHashMap<>();
    private final Object faultLock = new Object(); // guards the create-then-fail and list-failure counters

    private VapiStub(String privateKey, int port, int threads) throws IOException {
        super("vapi", port, threads, 2);
        this.privateKey = privateKey;
        serve();
    }

    /** Starts on 127.0.0.1, a free port; {@code POST /call} requires {@code Authorization: Bearer <privateKey>}. */
    public static VapiStub start(String privateKey) {
        return start(privateKey, 0);
    }

    /** Starts on 127.0.0.1:{@code port} (0 = free port). */
    public static VapiStub start(String privateKey, int port) {
        try {
            return new VapiStub(privateKey, port, 16);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start Vapi stub", e);
        }
    }

    /** {@code http://127.0.0.1:PORT} — what replaces {@code https://api.vapi.ai}. */
    public String baseUrl() {
        return url("127.0.0.1");
    }

    /** The orgId this stub puts on every Call. */
    public String orgId() {
        return orgId;
    }

    // ---------------------------------------------------------------- recordings

    /** Every {@code POST /call}, accepted or refused, in order of response. */
    public List<CallRequest> calls() {
        return calls.all();
    }

    /** Only the accepted (201) requests. */
    public List<CallRequest> accepted() {
        return calls.where(CallRequest::accepted);
    }

    /** Every request (accepted or refused) whose {@code customer.number} equals {@code e164}. */
    public List<CallRequest> callsTo(String e164) {
        return calls.where(c -> e164.equals(c.customerNumber()));
    }

    public int acceptedCount() {
        return acceptedCount.get();
    }

    /** The stored Call JSON for {@code id} (what {@code GET /call/{id}} returns), or null. */
    public JsonNode call(String id) {
        String json = callsById.get(id);
        return json == null ? null : parse(json);
    }

    /** Clears recordings, stored calls and every script (faults and delay). */
    public void reset() {
        recover();
        delay(Duration.ZERO);
        synchronized (calls) {
            calls.clear();
            acceptedCount.set(0);
        }
        callsById.clear();
        answerHooks.clear();
        resetAssistants();
    }

    // ---------------------------------------------------------------- scripts

    /** The next {@code times} authenticated {@code POST /call}s get this error, then normal behaviour resumes. */
    public void failNext(int times, int httpStatus, String message) {
        faults.next(times, new Fault(httpStatus, message));
    }

    /** The next {@code times} authenticated {@code POST /call}s to customer number {@code e164} get this error. */
    public void failNextTo(String e164, int times, int httpStatus, String message) {
        faultsTo.computeIfAbsent(e164, k -> new Script<>()).next(times, new Fault(httpStatus, message));
    }

    /**
     * The next {@code times} valid {@code POST /call}s create the call (it is stored, listed and can
     * be fetched, as at Vapi) but the caller gets this error instead of the 201: what a gateway
     * timeout or a dropped connection after Vapi accepted the request looks like to the hub.
     */
    public void createThenFail(int times, int httpStatus) {
        synchronized (faultLock) {
            createThenFailStatus = httpStatus;
            createThenFailRemaining = times;
        }
    }

    /** {@link #createThenFail} for the calls to customer number {@code e164} only. */
    public void createThenFailTo(String e164, int times, int httpStatus) {
        synchronized (faultLock) {
            createThenFailTo.put(e164, new int[] {times, httpStatus});
        }
    }

    private int createThenFailStatus;
    private int createThenFailRemaining;
    private final java.util.Map<String, int[]> createThenFailTo = new java.util.HashMap<>();

    private int takeCreateThenFail(String number) {
        synchronized (faultLock) {
            int[] to = createThenFailTo.get(number);
            if (to != null && to[0] > 0) {
                to[0]--;
                return to[1];
            }
            if (createThenFailRemaining > 0) {
                createThenFailRemaining--;
                return createThenFailStatus;
            }
            return 0;
        }
    }

    /** Every authenticated {@code POST /call} gets this error until {@link #recover()}. */
    public void failAlways(int httpStatus, String message) {
        faults.always(new Fault(httpStatus, message));
    }

    /** Ends {@link #failAlways} and any remaining {@link #failNext}. */
    public void recover() {
        synchronized (faultLock) {
            createThenFailRemaining = 0;
            createThenFailTo.clear();
            listFailRemaining = 0;
        }
        faults.clear();
        faultsTo.clear();
    }

    // ---------------------------------------------------------------- HTTP

    @Override
    protected void handle(HttpExchange ex) throws IOException {
        try {
            byte[] raw = readBody(ex);
            String path = ex.getRequestURI().getRawPath();
            String method = ex.getRequestMethod();
            Matcher m;
            if (CALL.matcher(path).matches() && "POST".equals(method)) {
                createCall(ex, raw);
            } else if ((m = CALL_ID.matcher(path)).matches() && "GET".equals(method)) {
                getCall(ex, m.group(1));
            } else if (CALL.matcher(path).matches() && "GET".equals(method)) {
                listCalls(ex);
            } else if (ASSISTANT.matcher(path).matches() || ASSISTANT_ID.matcher(path).matches()) {
                handleAssistant(ex, method, path, raw);
            } else if (PHONE_NUMBER.matcher(path).matches() && "GET".equals(method)) {
                getPhoneNumber(ex, PHONE_NUMBER.matcher(path).replaceFirst("$1"));
            } else {
                respond(ex, 404, errorJson(404, "Cannot " + method + " " + path));
            }
        } catch (Throwable e) { // never leave a client hanging without an answer
            try {
                respond(ex, 500, errorJson(500, "Internal server error"));
            } catch (Throwable ignored) {
                ex.close();
            }
        }
    }

    private void createCall(HttpExchange ex, byte[] raw) {
        String authorization = ex.getRequestHeaders().getFirst("Authorization");
        String text = new String(raw, StandardCharsets.UTF_8);
        JsonNode body = parseOrText(text);

        Fault fault;
        int lost = 0;
        String number = body == null ? "" : body.path("customer").path("number").asText("");
        if (!("Bearer " + privateKey).equals(authorization)) {
            fault = new Fault(401, INVALID_KEY_MESSAGE);
        } else {
            fault = validate(body);
            if (fault == null) {
                lost = takeCreateThenFail(number); // scripted before failNext: "created, then the next ones fail"
            }
            if (fault == null && lost == 0) {
                Script<Fault> to = faultsTo.get(number);
                fault = to == null ? null : to.take();
            }
            if (fault == null && lost == 0) {
                fault = faults.take();
            }
        }
        final int lostStatus = lost;

        final Fault f = fault;
        Runnable reply = () -> {
            try {
                if (f != null) {
                    record(new CallRequest(body, authorization, null, f.httpStatus, Instant.now()));
                    respond(ex, f.httpStatus, errorJson(f.httpStatus, f.message));
                } else {
                    String id = UUID.randomUUID().toString();
                    Instant now = Instant.now();
                    String json = callJson(id, (ObjectNode) body, now);
                    callsById.put(id, json);
                    record(new CallRequest(body, authorization, id, lostStatus == 0 ? 201 : lostStatus, now));
                    if (lostStatus == 0) {
                        JsonNode created = answerHooks.isEmpty() ? null : parse(json);
                        answerHooks.forEach(h -> h.accept(created));
                        respond(ex, 201, json);
                        callCreated(json);
                    } else {
                        respond(ex, lostStatus, errorJson(lostStatus, "Bad Gateway"));
                    }
                }
            } catch (Throwable e) {
                ex.close();
            }
        };
        reply(reply);
    }

    private void getCall(HttpExchange ex, String id) throws IOException {
        if (!("Bearer " + privateKey).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            respond(ex, 401, errorJson(401, INVALID_KEY_MESSAGE));
            return;
        }
        String json = callsById.get(id);
        if (json == null) {
            respond(ex, 404, errorJson(404, "Call not found"));
        } else {
            respond(ex, 200, json);
        }
    }

    /**
     * {@code GET /call} (List Calls): the stored calls, newest first, filtered by {@code assistantId},
     * {@code phoneNumberId}, {@code createdAtGe/Gt/Le/Lt} (ISO-8601) and {@code limit} (default 100),
     * as a JSON array of Call objects.
     */
    private void listCalls(HttpExchange ex) throws IOException {
        if (!("Bearer " + privateKey).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            respond(ex, 401, errorJson(401, INVALID_KEY_MESSAGE));
            return;
        }
        Map<String, String> q = new java.util.HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.put(java.net.URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        listQueries.incrementAndGet();
        synchronized (faultLock) {
            if (listFailRemaining > 0) {
                listFailRemaining--;
                respond(ex, listFailStatus, errorJson(listFailStatus, "Internal server error"));
                return;
            }
        }
        int limit = q.containsKey("limit") ? (int) Double.parseDouble(q.get("limit")) : 100;
        List<JsonNode> out = new ArrayList<>();
        for (String json : callsById.values()) {
            JsonNode call = JSON.readTree(json);
            Instant created = Instant.parse(call.get("createdAt").asText());
            if (q.containsKey("assistantId") && !q.get("assistantId").equals(call.path("assistantId").asText(null))
                    || q.containsKey("phoneNumberId") && !q.get("phoneNumberId").equals(call.path("phoneNumberId").asText(null))
                    || outsideCreatedRange(q, created)) {
                continue;
            }
            out.add(call);
        }
        out.sort((a, b) -> b.get("createdAt").asText().compareTo(a.get("createdAt").asText()));
        respond(ex, 200, JSON.writeValueAsString(out.subList(0, Math.min(limit, out.size()))));
    }

    private final java.util.concurrent.atomic.AtomicInteger listQueries = new java.util.concurrent.atomic.AtomicInteger();
    private int listFailStatus;
    private int listFailRemaining;

    /** The next {@code times} {@code GET /call} list queries get this error. */
    public void failListNext(int times, int httpStatus) {
        synchronized (faultLock) {
            listFailStatus = httpStatus;
            listFailRemaining = times;
        }
    }

    /** How many {@code GET /call} list queries the stub answered. */
    public int listQueries() {
        return listQueries.get();
    }

    private static Fault validate(JsonNode body) {
        if (body == null || !body.isObject()) {
            return new Fault(400, "request body must be a JSON object");
        }
        JsonNode customer = body.path("customer");
        if (customer.isObject() && customer.has("number")
                && !customer.path("numberE164CheckEnabled").asBoolean(true)) {
            return null;
        }
        if (customer.isObject() && customer.has("number")
                && !(customer.get("number").isTextual() && E164.matcher(customer.get("number").asText()).matches())) {
            return new Fault(400, "customer.number must be a valid phone number in the E.164 format.");
        }
        return null;
    }

    private void record(CallRequest c) {
        synchronized (calls) {
            calls.add(c);
            if (c.accepted()) {
                acceptedCount.incrementAndGet();
            }
        }
    }

    /** A {@code Call} shaped like protocols.md §1.1's documented response. */
    private String callJson(String id, ObjectNode req, Instant now) throws IOException {
        ObjectNode call = JsonNodeFactory.instance.objectNode();
        String ts = ISO_MILLIS.format(now);
        call.put("id", id);
        call.put("orgId", orgId);
        call.put("createdAt", ts);
        call.put("updatedAt", ts);
        call.put("type", "outboundPhoneCall");
        call.put("status", "queued");
        for (String echo : List.of("assistantId", "assistant", "squadId", "workflowId", "phoneNumberId", "customerId",
                "customer", "assistantOverrides", "name", "schedulePlan")) {
            if (req.has(echo) && !req.get(echo).isNull()) {
                call.set(echo, req.get(echo).deepCopy());
            }
        }
        call.put("cost", 0);
        call.put("phoneCallProvider", "twilio");
        call.put("phoneCallProviderId", twilioCallSid());
        call.put("phoneCallTransport", "pstn");
        ObjectNode monitor = call.putObject("monitor");
        monitor.put("listenUrl", "ws://127.0.0.1:" + port() + "/" + id + "/listen");
        monitor.put("controlUrl", "http://127.0.0.1:" + port() + "/" + id + "/control");
        return JSON.writeValueAsString(call);
    }

    private static String twilioCallSid() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return "CA" + String.format("%016x%016x", r.nextLong(), r.nextLong());
    }

    /** Vapi's (NestJS) error body; {@code message} is an array for 400, a string otherwise. */
    public static String errorJson(int status, String message) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        if (status == 400) {
            n.putArray("message").add(message);
        } else {
            n.put("message", message);
        }
        n.put("error", reason(status));
        n.put("statusCode", status);
        return n.toString();
    }

    static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 402 -> "Payment Required";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 422 -> "Unprocessable Entity";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "Error";
        };
    }

    // ---------------------------------------------------------------- phone numbers (onboarding's numbers check)

    private static final Pattern PHONE_NUMBER = Pattern.compile("^/phone-number/([^/]+)/?$");
    private final Map<String, String> phoneNumbers = new ConcurrentHashMap<>();

    /**
     * Puts a phone number on the account: {@code GET /phone-number/{id}} (same Bearer key) answers 200 with a
     * Vapi {@code PhoneNumber} ({@code id, orgId, number, provider, name, status, createdAt, updatedAt}); an id not
     * added answers 404 {@code "Phone number not found"}.
     */
    public void addPhoneNumber(String id, String e164) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        String ts = ISO_MILLIS.format(Instant.now());
        n.put("id", id);
        n.put("orgId", orgId);
        n.put("number", e164);
        n.put("provider", "twilio");
        n.put("name", "Line " + e164);
        n.put("status", "active");
        n.put("createdAt", ts);
        n.put("updatedAt", ts);
        phoneNumbers.put(id, n.toString());
    }

    private void getPhoneNumber(HttpExchange ex, String id) throws IOException {
        if (!("Bearer " + privateKey).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            respond(ex, 401, errorJson(401, INVALID_KEY_MESSAGE));
            return;
        }
        String json = phoneNumbers.get(java.net.URLDecoder.decode(id, StandardCharsets.UTF_8));
        if (json == null) {
            respond(ex, 404, errorJson(404, "Phone number not found"));
        } else {
            respond(ex, 200, json);
        }
    }

    // ---------------------------------------------------------------- call listeners (VapiCallSimulator)

    private final List<java.util.function.Consumer<JsonNode>> callListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Told of every call created and answered 201 (the stored Call JSON), after the answer was written. */
    public void onCallCreated(java.util.function.Consumer<JsonNode> listener) {
        callListeners.add(listener);
    }

    private final List<java.util.function.Consumer<JsonNode>> answerHooks = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Run before a created call's 201 is written (the caller is still waiting for it): a test sends Vapi's
     * end-of-call report from here to play a call that ends before the dialler has recorded it. Cleared by reset.
     */
    public void beforeAnswering(java.util.function.Consumer<JsonNode> hook) {
        answerHooks.add(hook);
    }

    private void callCreated(String json) {
        if (!callListeners.isEmpty()) {
            JsonNode call = parse(json);
            callListeners.forEach(l -> l.accept(call));
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Vapi's list filters createdAtGe / Gt / Le / Lt (calls and assistants alike): true when {@code created} is outside them. */
    private static boolean outsideCreatedRange(Map<String, String> q, Instant created) {
        return q.containsKey("createdAtGe") && created.isBefore(Instant.parse(q.get("createdAtGe")))
                || q.containsKey("createdAtGt") && !created.isAfter(Instant.parse(q.get("createdAtGt")))
                || q.containsKey("createdAtLe") && created.isAfter(Instant.parse(q.get("createdAtLe")))
                || q.containsKey("createdAtLt") && !created.isBefore(Instant.parse(q.get("createdAtLt")));
    }

    private static void respond(HttpExchange ex, int status, String json) throws IOException {
        respond(ex, status, "application/json; charset=utf-8", json);
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The body as JSON, or (not JSON / empty) as a text node holding the raw text. */
    private static JsonNode parseOrText(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            return n == null || n.isMissingNode() ? JsonNodeFactory.instance.textNode(text) : n;
        } catch (IOException e) {
            return JsonNodeFactory.instance.textNode(text);
        }
    }

    // ================================================================ assistants (POST/PATCH/GET /assistant)
    // Kept apart from the calls above: the assistant-per-client work (issue 17) owns this section.

    /** One request to {@code /assistant...}: its method, path, body, Authorization header and the status answered. */
    public record AssistantRequest(String method, String path, JsonNode body, String authorization, int httpStatus, Instant at) {
    }

    private static final Pattern ASSISTANT = Pattern.compile("^/assistant/?$");
    private static final Pattern ASSISTANT_ID = Pattern.compile("^/assistant/([^/]+)/?$");
    private final Recording<AssistantRequest> assistantRequests = new Recording<>();
    private final Map<String, ObjectNode> assistantsById = new java.util.concurrent.ConcurrentHashMap<>();
    private final Script<Fault> assistantFaults = new Script<>();
    private volatile Duration assistantCreateDelay = Duration.ZERO;
    private final AtomicInteger slowCreatesLeft = new AtomicInteger();
    private final java.util.concurrent.ScheduledExecutorService assistantDelayer =
            java.util.concurrent.Executors.newScheduledThreadPool(1, daemon("vapi-stub-assistant-delay-"));

    /** Every request to {@code /assistant...}, in order of answer. */
    public List<AssistantRequest> assistantRequests() {
        return assistantRequests.all();
    }

    /** The requests with this method ({@code POST}, {@code PATCH}, {@code GET}). */
    public List<AssistantRequest> assistantRequests(String method) {
        return assistantRequests.where(r -> r.method().equals(method));
    }

    /** The assistants the stub holds (created by POST, changed by PATCH). */
    public List<JsonNode> assistants() {
        return new ArrayList<>(assistantsById.values());
    }

    /** The stored assistant {@code id}, or null. */
    public JsonNode assistant(String id) {
        ObjectNode a = assistantsById.get(id);
        return a == null ? null : a.deepCopy();
    }

    /** The next {@code times} authenticated {@code POST}/{@code PATCH /assistant} requests get this Vapi error; nothing is created or changed. */
    public void failAssistantsNext(int times, int httpStatus, String message) {
        assistantFaults.next(times, new Fault(httpStatus, message));
    }

    /** Every authenticated {@code POST}/{@code PATCH /assistant} gets this error until {@link #recoverAssistants()}. */
    public void failAssistantsAlways(int httpStatus, String message) {
        assistantFaults.always(new Fault(httpStatus, message));
    }

    /** The next {@code times} {@code POST /assistant}s create the assistant at once but answer only after {@code latency}. */
    public void slowAssistantCreates(int times, Duration latency) {
        assistantCreateDelay = latency;
        slowCreatesLeft.set(times);
    }

    /** Ends the assistant failures and slow creates. */
    public void recoverAssistants() {
        assistantFaults.clear();
        slowCreatesLeft.set(0);
    }

    /** Clears the assistants, their recordings and scripts. */
    public void resetAssistants() {
        recoverAssistants();
        assistantsById.clear();
        assistantRequests.clear();
    }

    private void handleAssistant(HttpExchange ex, String method, String path, byte[] raw) throws IOException {
        String authorization = ex.getRequestHeaders().getFirst("Authorization");
        JsonNode body = raw.length == 0 ? null : parseOrText(new String(raw, StandardCharsets.UTF_8));
        Matcher id = ASSISTANT_ID.matcher(path);
        boolean one = id.matches();
        int status;
        String answer;
        Duration late = Duration.ZERO;
        Fault fault = ("Bearer " + privateKey).equals(authorization) ? null : new Fault(401, INVALID_KEY_MESSAGE);
        if (fault == null && ("POST".equals(method) || "PATCH".equals(method))) {
            fault = assistantFaults.take();
        }
        if (fault == null && ("POST".equals(method) || "PATCH".equals(method)) && (body == null || !body.isObject())) {
            fault = new Fault(400, "request body must be a JSON object");
        }
        if (fault != null) {
            status = fault.httpStatus;
            answer = errorJson(fault.httpStatus, fault.message);
        } else if ("POST".equals(method) && !one) {
            ObjectNode a = ((ObjectNode) body).deepCopy();
            String ts = ISO_MILLIS.format(Instant.now());
            a.put("id", UUID.randomUUID().toString());
            a.put("orgId", orgId);
            a.put("createdAt", ts);
            a.put("updatedAt", ts);
            assistantsById.put(a.get("id").asText(), a);
            status = 201;
            answer = a.toString();
            if (slowCreatesLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                late = assistantCreateDelay;
            }
        } else if ("PATCH".equals(method) && one) {
            ObjectNode a = assistantsById.get(id.group(1));
            if (a == null) {
                status = 404;
                answer = errorJson(404, "Couldn't Find Assistant");
            } else {
                synchronized (a) {
                    body.fields().forEachRemaining(e -> a.set(e.getKey(), e.getValue().deepCopy()));
                    a.put("updatedAt", ISO_MILLIS.format(Instant.now()));
                    status = 200;
                    answer = a.toString();
                }
            }
        } else if ("GET".equals(method) && one) {
            ObjectNode a = assistantsById.get(id.group(1));
            status = a == null ? 404 : 200;
            answer = a == null ? errorJson(404, "Couldn't Find Assistant") : a.toString();
        } else if ("GET".equals(method)) {
            status = 200;
            answer = listAssistants(ex.getRequestURI().getRawQuery());
        } else {
            status = 404;
            answer = errorJson(404, "Cannot " + method + " " + path);
        }
        assistantRequests.add(new AssistantRequest(method, path, body, authorization, status, Instant.now()));
        if (late.isZero()) {
            respond(ex, status, answer);
        } else {
            final int s = status;
            final String a = answer;
            assistantDelayer.schedule(() -> workers.execute(() -> {
                try {
                    respond(ex, s, a);
                } catch (Throwable e) {
                    ex.close();
                }
            }), late.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    private String listAssistants(String raw) throws IOException {
        Map<String, String> q = new java.util.HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.put(java.net.URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        int limit = q.containsKey("limit") ? (int) Double.parseDouble(q.get("limit")) : 100;
        List<JsonNode> out = new ArrayList<>();
        for (ObjectNode a : assistantsById.values()) {
            Instant created = Instant.parse(a.get("createdAt").asText());
            if (outsideCreatedRange(q, created)) {
                continue;
            }
            out.add(a);
        }
        out.sort((a, b) -> b.get("createdAt").asText().compareTo(a.get("createdAt").asText()));
        return JSON.writeValueAsString(out.subList(0, Math.min(limit, out.size())));
    }
}
