package uk.bookinghub.calls;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.analytics.AnalyticsEvent;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.TenantResolver;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.JsonBodies;
import uk.bookinghub.phones.Phones;
import uk.bookinghub.security.Secrets;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The steps of {@code POST /webhooks/vapi}: check the shared secret, read the server message,
 * and for each message type turn it into a durable write or a reply.
 */
public final class VapiWebhook {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(VapiWebhook.class);

    private static final Map<String, Integer> STATUS_RANK = Map.of("scheduled", 10, "queued", 20, "ringing", 30,
            "in-progress", 40, "forwarding", 50, "not-found", 90, "deletion-failed", 90, "ended", 100);

    private final String secret;
    private final long maxBodyBytes;
    private final TenantResolver tenants;
    private final CallStore calls;
    private final Clock clock;
    private final Map<String, LongAdder> received = new ConcurrentHashMap<>();
    private final java.util.function.BiFunction<JsonNode, TenantResolver.Resolution, AnalyticsEvent.Recorded<Map<String, Object>>> tools;

    /**
     * @param tools        answers a tool-calls message for the resolved client (the booking tools), with the events of what they committed
     */
    public VapiWebhook(String secret, long maxBodyBytes, TenantResolver tenants, CallStore calls, Clock clock,
                       java.util.function.BiFunction<JsonNode, TenantResolver.Resolution, AnalyticsEvent.Recorded<Map<String, Object>>> tools) {
        this.secret = secret == null || secret.isBlank() ? null : secret;
        this.maxBodyBytes = maxBodyBytes;
        this.tenants = tenants;
        this.calls = calls;
        this.clock = clock;
        this.tools = tools;
    }

    /** Vapi's HMAC credential, when {@code VAPI_WEBHOOK_HMAC_SECRET} is set (see {@link VapiSignature}). */
    private volatile VapiSignature signature;

    public void signature(VapiSignature signature) {
        this.signature = signature;
    }

    /**
     * The front door's {@code vapiSecret} rule: the shared secret header when it is sent (constant-time), else
     * Vapi's HMAC signature over the raw body when an HMAC secret is configured. Nothing configured: every
     * request is refused.
     */
    public void authenticate(String sharedSecret, java.util.function.UnaryOperator<String> header, Object rawBody) {
        VapiSignature hmac = signature;
        boolean hmacOn = hmac != null && hmac.configured();
        if ((sharedSecret != null && !sharedSecret.isEmpty() && secret != null) || !hmacOn) {
            authenticate(sharedSecret);
            return;
        }
        String sig = header.apply(hmac.signatureHeader());
        if ((sig == null || sig.isBlank()) && secret != null) {
            throw HttpProblem.unauthorized("missing Vapi credential: the secret header or the HMAC signature (" + hmac.signatureHeader() + ")");
        }
        uk.bookinghub.http.Upload body = uk.bookinghub.http.Upload.of(rawBody);
        hmac.verify(sig, header.apply(hmac.timestampHeader()), body.array(), body.offset(), body.length());
    }

    /** Constant-time check of the shared secret header; with no secret configured every request is refused. */
    public void authenticate(String given) {
        if (secret == null) {
            throw HttpProblem.unauthorized("Vapi webhook refused: VAPI_WEBHOOK_SECRET is not configured on this hub");
        }
        if (given == null || given.isEmpty()) {
            throw HttpProblem.unauthorized("missing Vapi secret header");
        }
        if (!Secrets.matches(given, secret)) {
            throw HttpProblem.unauthorized("invalid Vapi secret");
        }
    }

    /** Reads {@code {"message":{"type":...}}}; anything else is a 4xx that says what was wrong. */
    public VapiMessage parse(byte[] body, String contentType) {
        JsonNode root = JsonBodies.object(body, contentType, maxBodyBytes);
        JsonNode message = root.get("message");
        if (message == null || !message.isObject()) {
            throw HttpProblem.badRequest("not a Vapi server message: expected {\"message\":{\"type\":...}}");
        }
        JsonNode type = message.get("type");
        if (type == null || !type.isTextual() || type.asText().isBlank()) {
            throw HttpProblem.badRequest("not a Vapi server message: message.type is missing");
        }
        if (uk.bookinghub.http.ControlChars.present(body, false)) { // (nearly every report has none: its tree is not walked)
            clean((com.fasterxml.jackson.databind.node.ObjectNode) message, "message");
        }
        VapiMessage m = new VapiMessage(type.asText(), message);
        received.computeIfAbsent(m.type(), k -> new LongAdder()).increment();
        return m;
    }


    /** Stores the end-of-call report (upsert by call id); returns once it is committed. */
    public EndOfCallResult recordEndOfCall(VapiMessage m) {
        JsonNode msg = m.message();
        JsonNode call = requireCall(m);
        String callId = call.get("id").asText();
        TenantResolver.Resolution tenant = tenants.resolve(call, m.type());
        JsonNode analysis = msg.path("analysis");
        JsonNode artifact = msg.path("artifact");
        JsonNode structured = analysis.get("structuredData");
        String endedReason = firstText(msg.get("endedReason"), call.get("endedReason"));
        String outcome = OutcomeMapper.map(endedReason, structured);
        Instant startedAt = instant(firstText(msg.get("startedAt"), call.get("startedAt")));
        Instant endedAt = instant(firstText(msg.get("endedAt"), call.get("endedAt")));
        BigDecimal duration = possible(decimal(msg.get("durationSeconds"), 2), MAX_DURATION_SECONDS, "durationSeconds", callId);
        if (duration == null) {
            BigDecimal ms = decimal(msg.get("durationMs"), 0);
            duration = ms == null ? null : possible(ms.movePointLeft(3).setScale(2, RoundingMode.HALF_UP), MAX_DURATION_SECONDS, "durationMs", callId);
        }
        if (duration == null && startedAt != null && endedAt != null && !endedAt.isBefore(startedAt)) {
            duration = possible(BigDecimal.valueOf(Duration.between(startedAt, endedAt).toMillis()).movePointLeft(3).setScale(2, RoundingMode.HALF_UP),
                    MAX_DURATION_SECONDS, "startedAt..endedAt", callId);
        }
        BigDecimal cost = possible(decimal(msg.has("cost") ? msg.get("cost") : call.get("cost"), 4), MAX_COST, "cost", callId);
        String leadId = leadId(call);
        if (leadId != null && !leadId.matches("\\d{1,18}")) {
            // not a lead id of the hub's (an integrator's own reference): not stored as one, and no alarm
            LOG.debug("[VAPI] call {}: leadId {} is not a hub lead id; not stored", callId, leadId);
            leadId = null;
        }
        Instant now = clock.instant();
        CallWrite.EndOfCall asRead = new CallWrite.EndOfCall(callId, tenant.clientId(), tenant.clientKey(), tenant.rule(),
                leadId, customerNumber(msg, call), endedReason, outcome,
                firstText(analysis.get("successEvaluation")),
                startedAt, endedAt, duration, cost,
                firstText(analysis.get("summary"), msg.get("summary")),
                firstText(artifact.get("transcript"), msg.get("transcript")),
                firstText(artifact.get("recordingUrl"), artifact.path("recording").path("mono").get("combinedUrl"),
                        msg.get("recordingUrl"), artifact.get("stereoRecordingUrl"), msg.get("stereoRecordingUrl")),
                structured != null && structured.isObject() ? structured.toString() : null,
                assistantId(msg, call), now);
        // settled against what the hub knows of the call (a booking made during it, the lead it dialled) in the
        // write's own transaction: one read per batch of reports, none on this thread
        CallStore.Stored stored = calls.writeEndOfCall(asRead, VapiWebhook::settle);
        CallWrite.EndOfCall write = stored.call();
        CallFacts facts = stored.facts();
        outcome = write.outcome();
        leadId = write.leadId();
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("outcome", outcome);
        props.put("endedReason", endedReason);
        props.put("durationSeconds", duration);
        props.put("cost", cost);
        props.put("tenantRule", tenant.rule());
        AnalyticsEvent event = new AnalyticsEvent("call.ended:" + callId, "call.ended", tenant.clientId(), tenant.clientKey(),
                callId, outcome, props, endedAt != null ? endedAt : now, leadId == null ? null : Long.valueOf(leadId), null);
        return new EndOfCallResult(write, facts, event);
    }

    /**
     * The report as stored: outcome {@code booked} when the booking tool made an appointment during the call that
     * still stands; the lead id kept only when it is the lead the hub dialled for this client or one of the
     * matched client's leads (another client's lead is never stored on this call).
     */
    static CallWrite.EndOfCall settle(CallWrite.EndOfCall r, CallFacts facts, CallStore.LeadCheck leads) throws java.sql.SQLException {
        String outcome = !"booked".equals(r.outcome()) && facts.booked() ? "booked" : r.outcome();
        String leadId = r.leadId();
        boolean dialled = leadId != null && facts.dialledLeadId() != null && leadId.equals(String.valueOf(facts.dialledLeadId()))
                && r.clientId() != null && r.clientId().equals(facts.dialledClientId()); // known without another read
        if (leadId != null && !dialled && (r.clientId() == null || !leads.leadOfClient(r.clientId(), leadId))) {
            LOG.warn("[VAPI] call {}: leadId {} dropped: not a lead of {}", r.vapiCallId(), leadId,
                    r.clientId() == null ? "any client this report matched" : "client " + r.clientKey());
            leadId = null;
        }
        if (java.util.Objects.equals(outcome, r.outcome()) && java.util.Objects.equals(leadId, r.leadId())) {
            return r;
        }
        return new CallWrite.EndOfCall(r.vapiCallId(), r.clientId(), r.clientKey(), r.tenantRule(), leadId, r.customerNumber(),
                r.endedReason(), outcome, r.successEvaluation(), r.startedAt(), r.endedAt(), r.durationSeconds(), r.cost(),
                r.summary(), r.transcript(), r.recordingUrl(), r.structuredData(), r.assistantId(), r.receivedAt());
    }

    public Map<String, Object> endOfCallReply(EndOfCallResult r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ok", true);
        out.put("callId", r.call().vapiCallId());
        out.put("outcome", r.call().outcome());
        out.put("clientKey", r.call().clientKey());
        out.put("tenantRule", r.call().tenantRule());
        return out;
    }

    /** Moves the call's status forward (never back: Vapi's messages can arrive out of order). */
    public Map<String, Object> recordStatus(VapiMessage m) {
        JsonNode call = requireCall(m);
        String status = firstText(m.message().get("status"), call.get("status"));
        if (status == null) {
            throw HttpProblem.badRequest("status-update without message.status");
        }
        TenantResolver.Resolution tenant = tenants.resolve(call, m.type());
        calls.write(new CallWrite.Status(call.get("id").asText(), tenant.clientId(), tenant.rule(),
                customerNumber(m.message(), call), status, STATUS_RANK.getOrDefault(status, 35),
                firstText(m.message().get("endedReason"), call.get("endedReason")), assistantId(m.message(), call), clock.instant()));
        return Map.of("ok", true, "callId", call.get("id").asText(), "status", status);
    }

    /**
     * Answers tool calls (the booking tools), in call order, with HTTP 200 as Vapi requires; the
     * route wire-taps the events of what they committed, then replies with the answers.
     */
    public AnalyticsEvent.Recorded<Map<String, Object>> toolCalls(VapiMessage m) {
        JsonNode call = m.message().path("call");
        TenantResolver.Resolution tenant = tenants.resolve(call, m.type());
        return tools.apply(m.message(), tenant);
    }

    /** The caller's lead at a client, for an inbound call: its id and name. */
    public record KnownCaller(long leadId, String name) {
    }

    private volatile String defaultAssistantId;
    private volatile java.util.function.BiFunction<Long, String, Optional<KnownCaller>> callers = (client, number) -> Optional.empty();

    /**
     * For inbound calls: the hub's own assistant when a client has none, and how to find the caller
     * among the client's leads (by number).
     */
    public void inboundCalls(String defaultAssistantId, java.util.function.BiFunction<Long, String, Optional<KnownCaller>> callers) {
        this.defaultAssistantId = defaultAssistantId == null || defaultAssistantId.isBlank() ? null : defaultAssistantId;
        this.callers = callers;
    }

    /**
     * {@code assistant-request}: a customer rings a client's Vapi number that has no assistant of its
     * own. Answered at once (Vapi allows 7.5 s) with the client's assistant and the variables the
     * booking tools need ({@code clientKey}, {@code businessName}, and the caller's {@code name} and
     * {@code leadId} when the number is one of the client's leads); a number the hub cannot tie to a
     * client gets an {@code error} that Vapi speaks to the caller.
     */
    public Map<String, Object> assistantRequest(VapiMessage m) {
        JsonNode call = m.message().path("call");
        TenantResolver.Resolution tenant = tenants.resolve(call, m.type());
        if (tenant.client().isEmpty()) {
            return Map.of("error", "Sorry, this number is not taking calls at the moment. Please try again later.");
        }
        Client client = tenant.client().get();
        String assistant = client.vapiAssistantId() != null && !client.vapiAssistantId().isBlank() ? client.vapiAssistantId() : defaultAssistantId;
        if (assistant == null) {
            return Map.of("error", "Sorry, " + client.businessName() + " cannot take calls on this line at the moment. Please try again later.");
        }
        String caller = customerNumber(m.message(), call);
        Optional<KnownCaller> known = caller == null ? Optional.empty() : callers.apply(client.id(), caller);
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("name", known.map(KnownCaller::name).filter(n -> n != null).orElse(""));
        vars.put("businessName", client.businessName());
        vars.put("clientKey", client.clientKey());
        known.ifPresent(k -> vars.put("leadId", String.valueOf(k.leadId())));
        vars.put("direction", "inbound");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("assistantId", assistant);
        out.put("assistantOverrides", Map.of("variableValues", vars));
        return out;
    }

    /** Any other message type: acknowledged and counted. */
    public Map<String, Object> acknowledge(VapiMessage m) {
        return Map.of("ok", true, "ignored", m.type());
    }

    /** Messages received since start, by type. */
    public Map<String, Long> receivedByType() {
        Map<String, Long> out = new LinkedHashMap<>();
        received.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private static JsonNode requireCall(VapiMessage m) {
        JsonNode call = m.call();
        if (call == null || firstText(call.get("id")) == null) {
            throw HttpProblem.badRequest(m.type() + " without message.call.id");
        }
        return call;
    }

    private static String leadId(JsonNode call) {
        return firstText(call.path("assistantOverrides").path("variableValues").get("leadId"),
                call.path("metadata").get("leadId"), call.path("assistantOverrides").path("metadata").get("leadId"));
    }

    /** The assistant that handled the call: {@code call.assistantId}, else the message's {@code assistant.id}; null when neither is given. */
    private static String assistantId(JsonNode msg, JsonNode call) {
        return firstText(call.get("assistantId"), msg.path("assistant").get("id"), call.path("assistant").get("id"));
    }

    private static String customerNumber(JsonNode msg, JsonNode call) {
        String raw = firstText(msg.path("customer").get("number"), call.path("customer").get("number"));
        if (raw == null) {
            return null;
        }
        return Phones.toE164(raw, "GB").orElse(raw);
    }

    private static String firstText(JsonNode... nodes) {
        for (JsonNode n : nodes) {
            if (n != null && !n.isNull() && !n.isMissingNode() && !n.isContainerNode()) {
                String s = n.asText();
                if (!s.isBlank()) {
                    return s;
                }
            }
        }
        return null;
    }

    private static Instant instant(String s) {
        Instant t = parsedInstant(s);
        if (t != null && (t.isBefore(EARLIEST) || t.isAfter(LATEST))) {
            LOG.warn("[VAPI] impossible timestamp {} dropped; the report is stored without it", s);
            return null;
        }
        return t;
    }

    private static final Instant EARLIEST = Instant.parse("2000-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("2100-01-01T00:00:00Z");

    private static Instant parsedInstant(String s) {
        if (s == null) {
            return null;
        }
        try {
            return uk.bookinghub.http.IsoInstants.parse(s);
        } catch (RuntimeException e) {
            try {
                return Instant.ofEpochMilli(Long.parseLong(s));
            } catch (RuntimeException nfe) {
                return null; // Vapi's data; an odd timestamp must not lose the report
            }
        }
    }

    private static BigDecimal decimal(JsonNode n, int scale) {
        if (n == null || !n.isNumber()) {
            return null;
        }
        if ((n.isDouble() || n.isFloat()) && !Double.isFinite(n.doubleValue())) {
            return INFINITE; // 1e400: past what a double holds
        }
        BigDecimal d = n.decimalValue();
        if (d.precision() - d.scale() > 30) {
            return INFINITE; // 1e15 and up: no call lasts or costs that; not worth a huge number
        }
        return d.setScale(scale, RoundingMode.HALF_UP);
    }

    /** Stands for a number too large to carry (dropped by {@link #possible}). */
    private static final BigDecimal INFINITE = BigDecimal.valueOf(-1, 0).movePointRight(40);

    /** A call lasts at most a week (Vapi's limit is hours). */
    static final BigDecimal MAX_DURATION_SECONDS = BigDecimal.valueOf(7L * 24 * 3600);
    /** No call costs ten thousand (Vapi's costs are cents to a few units). */
    static final BigDecimal MAX_COST = BigDecimal.valueOf(10_000);

    /**
     * The value when a call could have it (0 to {@code max}); an impossible one (negative, past the max,
     * infinite) is dropped with a WARN: the report is stored without it rather than lost.
     */
    private static BigDecimal possible(BigDecimal v, BigDecimal max, String field, String callId) {
        if (v == null) {
            return null;
        }
        if (v == INFINITE || v.signum() < 0 || v.compareTo(max) > 0) {
            LOG.warn("[VAPI] call {}: impossible {} {} dropped (kept 0 to {}); the report is stored without it", callId, field,
                    v == INFINITE ? "(too large)" : v.toPlainString(), max.toPlainString());
            return null;
        }
        return v;
    }

    // ---- control characters ------------------------------------------------------------------

    /** Fields that identify something (ids, numbers, keys): a control character in them is refused, never stripped. */
    static final Set<String> IDENTIFIERS = Set.of("id", "callId", "toolCallId", "number", "phoneNumber", "phoneNumberId", "assistantId", "squadId",
            "workflowId", "orgId", "customerId", "clientKey", "leadId", "twilioPhoneNumber", "sipUri");

    /**
     * NUL and the other C0 control characters (but tab, newline and CR) are stripped from every text of
     * the message (transcript, summary, messages, structured data, ...: PostgreSQL refuses NUL in text,
     * SQLite would store it, and neither is anything a person said); in an identifier they are a 400 naming
     * the field. Both databases then store the same thing.
     */
    static void clean(com.fasterxml.jackson.databind.node.ObjectNode o, String path) {
        List<String> renamed = null;
        var fields = o.fields();
        while (fields.hasNext()) {
            var f = fields.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (strippable(name)) {
                (renamed == null ? renamed = new ArrayList<>() : renamed).add(name);
            }
            if (v.isTextual()) {
                String t = v.textValue();
                if (IDENTIFIERS.contains(name) && hasControl(t)) {
                    throw HttpProblem.badRequest(path + "." + name + ": an identifier with a control character (" + describeControl(t) + ") is refused",
                            Map.of("fields", List.of(Map.of("field", path + "." + name, "reason", "contains a control character"))));
                }
                if (strippable(t)) {
                    f.setValue(com.fasterxml.jackson.databind.node.TextNode.valueOf(strip(t)));
                }
            } else if (v.isObject()) {
                clean((com.fasterxml.jackson.databind.node.ObjectNode) v, path + "." + name);
            } else if (v.isArray()) {
                clean((com.fasterxml.jackson.databind.node.ArrayNode) v, path + "." + name);
            }
        }
        if (renamed != null) {
            for (String name : renamed) {
                o.set(strip(name), o.remove(name));
            }
        }
    }

    private static void clean(com.fasterxml.jackson.databind.node.ArrayNode a, String path) {
        for (int i = 0; i < a.size(); i++) {
            JsonNode v = a.get(i);
            if (v.isTextual() && strippable(v.textValue())) {
                a.set(i, com.fasterxml.jackson.databind.node.TextNode.valueOf(strip(v.textValue())));
            } else if (v.isObject()) {
                clean((com.fasterxml.jackson.databind.node.ObjectNode) v, path + "[" + i + "]");
            } else if (v.isArray()) {
                clean((com.fasterxml.jackson.databind.node.ArrayNode) v, path + "[" + i + "]");
            }
        }
    }

    /** A C0 control other than tab, newline and CR. */
    private static boolean strippable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                return true;
            }
        }
        return false;
    }

    private static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < 0x20) {
                return true;
            }
        }
        return false;
    }

    /** Without C0 controls except tab, newline and CR (in an identifier even those are refused, by {@link #clean}). */
    static String strip(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String describeControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < 0x20) {
                return String.format("U+%04X at character %d", (int) s.charAt(i), i + 1);
            }
        }
        return "none";
    }
}
