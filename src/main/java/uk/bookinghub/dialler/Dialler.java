package uk.bookinghub.dialler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.Json;
import uk.bookinghub.leads.OptOutStore;
import uk.bookinghub.dialler.DiallerStore.Candidate;
import uk.bookinghub.store.Database;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The dialler's steps ({@code routes/dialler.camel.yaml}). Each tick: the queued leads whose time
 * has come go through the compliance gate ({@link CallingRules}); a block is recorded with its
 * rule (and the lead waits for the next opening, or is skipped for good); an allowed lead, if its
 * client has a free line (calls in flight below the limit), gets its next attempt reserved in the
 * database (unique per lead and attempt: one attempt is never dialled twice) and is placed with
 * Vapi ({@code POST /call}). Calls with no end-of-call report after a while are marked unknown and
 * alerted, never left in progress.
 */
public final class Dialler {

    private static final Logger LOG = LoggerFactory.getLogger(Dialler.class);
    public static final String JOB = "dialJob";

    /** Hub-wide Vapi settings; a client's own assistant / phone number ids win. */
    public record VapiSettings(String privateKey, String assistantId, String phoneNumberId, String baseUrl) {
        boolean configured() {
            return privateKey != null && !privateKey.isBlank();
        }
    }

    /** A reserved attempt, ready to be placed. */
    public record DialJob(long attemptId, long clientId, long leadId, int attemptNo, String phone, String leadName) {
    }

    private final DiallerStore store;
    private final ClientStore clients;
    private final OptOutStore optOuts;
    private final VapiSettings vapi;
    private final Clock clock;
    private final int batch;
    private final Duration callTimeout;
    private volatile boolean warnedNotConfigured;
    private final uk.bookinghub.monitoring.SettingsAlarm alarm;
    private final uk.bookinghub.monitoring.ErrorLog errors;
    /** Reservation failures already written to error_log (lead + error), so a broken lead does not write a row every tick. */
    private final Map<String, Instant> reported = new java.util.concurrent.ConcurrentHashMap<>();

    public Dialler(Database db, ClientStore clients, OptOutStore optOuts, VapiSettings vapi, Clock clock, int batch, Duration callTimeout,
                   uk.bookinghub.monitoring.ErrorLog errors) {
        this.store = new DiallerStore(db);
        this.clients = clients;
        this.optOuts = optOuts;
        this.vapi = vapi;
        this.clock = clock;
        this.batch = batch;
        this.callTimeout = callTimeout;
        this.alarm = new uk.bookinghub.monitoring.SettingsAlarm(errors, clock);
        this.errors = errors;
        DiallerStore leads = this.store;
        this.held = new uk.bookinghub.clients.HeldWork("queued leads", () -> leads.held(clock.instant()));
    }

    private uk.bookinghub.metrics.BusinessMetrics metrics = uk.bookinghub.metrics.BusinessMetrics.NONE;
    /** Erased persons' numbers (hashes); until it is wired nothing is dialled (fail closed). */
    private volatile uk.bookinghub.leads.SuppressionStore suppressions;

    public void suppressions(uk.bookinghub.leads.SuppressionStore suppressions) {
        this.suppressions = suppressions;
    }

    /** Where each decision is counted after its commit ({@code hub_dialler_decisions_total}). */
    public void metrics(uk.bookinghub.metrics.BusinessMetrics metrics) {
        this.metrics = metrics;
    }

    public boolean configured() {
        return vapi.configured();
    }

    public DiallerSettings settings(Client c) {
        return DiallerSettings.fromStored(store.callingSettings(c.id()), ZoneId.of(c.timezone()));
    }

    public void saveSettings(java.sql.Connection conn, Client c, DiallerSettings s) throws java.sql.SQLException {
        store.saveCallingSettings(conn, c.id(), Json.write(s.toJson()));
    }

    /** One tick: gate the due leads, reserve attempts within each client's line limit, return what to place now. */
    public List<DialJob> due() {
        if (!vapi.configured()) {
            if (!warnedNotConfigured) {
                warnedNotConfigured = true;
                LOG.warn("[DIALLER] VAPI_PRIVATE_KEY is not set: queued leads wait, nothing is dialled");
            }
            return List.of();
        }
        Instant now = clock.instant();
        List<Candidate> candidates = store.due(now, batch);
        held.report();
        List<DialJob> jobs = new ArrayList<>();
        if (candidates.isEmpty()) {
            return jobs;
        }
        java.util.Set<Long> paused;
        try {
            paused = store.pausedClients();
        } catch (RuntimeException e) {
            // fail closed: a client whose pause cannot be read might be paused, so nobody is dialled this tick
            unreadablePause(e, now);
            return jobs;
        }
        Map<Long, java.util.Set<String>> suppressed;
        try {
            suppressed = suppressedAmong(candidates);
        } catch (RuntimeException e) {
            // fail closed: a number that might belong to an erased person is not dialled; nobody is this tick
            unreadable(SUPPRESSIONS_UNREADABLE, "cannot read the suppression list (erased persons)", e, now);
            return jobs;
        }
        Map<Long, Integer> freeLines = new HashMap<>();
        for (Candidate lead : candidates) {
            if (lead.phone() != null && suppressed.getOrDefault(lead.clientId(), java.util.Set.of())
                    .contains(uk.bookinghub.leads.SuppressionStore.phoneHash(lead.phone()))) {
                block(lead, new CallingRules.Decision(false, CallingRules.SUPPRESSED,
                        "the person asked for their data to be erased: never called again", null));
                continue;
            }
            Optional<Client> client = clients.byId(lead.clientId());
            if (client.isEmpty()) {
                continue;
            }
            DiallerSettings s;
            try {
                s = settings(client.get());
            } catch (uk.bookinghub.monitoring.UnreadableSettings e) {
                // fail closed: none of this client's leads is dialled until its calling rules can be read; others carry on
                alarm.raise("dialler", client.get().id(), client.get().clientKey(), e, "dialling");
                continue;
            }
            String optedOut = lead.phone() == null ? null : optOuts.activeReasons(lead.clientId(), List.of(lead.phone())).get(lead.phone());
            CallingRules.Decision d = CallingRules.check(s.rules(), new CallingRules.Lead(lead.phone(), lead.phoneType(), lead.dialable(), optedOut != null,
                    optedOut, lead.tps(), lead.ctps(), consented(lead.consent()), lead.attempts(), lead.lastAbandonedAt()), now);
            if (!d.allowed()) {
                block(lead, d);
                continue;
            }
            if (paused.contains(lead.clientId())) {
                // the abandoned-call pause: recorded once per recheck interval per lead, released at once by the resume
                block(lead, new CallingRules.Decision(false, CallingRules.ABANDONED_RATE, "the client's dialler is paused (abandoned-call rate over the limit) "
                        + "until an admin resumes it", now.plus(pausedRecheck)));
                continue;
            }
            int free = freeLines.computeIfAbsent(lead.clientId(), id -> s.maxConcurrentCalls() - inFlight(id));
            if (free <= 0) {
                continue; // every line busy: next tick
            }
            Optional<DialJob> job = reserve(lead);
            if (job.isPresent()) {
                freeLines.put(lead.clientId(), free - 1);
                jobs.add(job.get());
            }
        }
        return jobs;
    }

    /** The due leads the dialler leaves queued because their client may not call them (logged at most once a minute). */
    private final uk.bookinghub.clients.HeldWork held;

    private static boolean consented(String consent) {
        if (consent == null || consent.isBlank()) {
            return false;
        }
        String c = consent.strip().toLowerCase(java.util.Locale.ROOT);
        return !(c.equals("no") || c.equals("false") || c.equals("0") || c.equals("n") || c.equals("withdrawn"));
    }

    private void unreadablePause(RuntimeException e, Instant now) {
        unreadable(PAUSE_UNREADABLE, "cannot read which diallers are paused", e, now);
    }

    /** Something every dial needs could not be read: nothing is dialled this tick; logged every tick, an error row every 15 minutes. */
    private void unreadable(String key, String what, RuntimeException e, Instant now) {
        LOG.error("[DIALLER] {} ({}): nothing is dialled until it can be read", what, e.toString());
        Instant last = reported.get(key);
        if (last == null || Duration.between(last, now).toMinutes() >= 15) {
            reported.put(key, now);
            errors.record("error", "dialler", what + ": nothing is dialled until it can be read: " + e, "dialler", Map.of());
        }
    }

    /** Of the candidates' numbers, the suppressed ones (hashes) per client: one read per tick. */
    private Map<Long, java.util.Set<String>> suppressedAmong(List<Candidate> candidates) {
        uk.bookinghub.leads.SuppressionStore s = suppressions;
        if (s == null) {
            throw new IllegalStateException("the suppression list is not wired");
        }
        Map<Long, List<String>> hashes = new HashMap<>();
        for (Candidate c : candidates) {
            if (c.phone() != null) {
                hashes.computeIfAbsent(c.clientId(), k -> new ArrayList<>()).add(uk.bookinghub.leads.SuppressionStore.phoneHash(c.phone()));
            }
        }
        return s.suppressed(hashes);
    }

    private static final String PAUSE_UNREADABLE = "pause-state";
    private static final String SUPPRESSIONS_UNREADABLE = "suppressions";

    // ---- the abandoned-call pause -----------------------------------------------------------------

    private Duration pausedRecheck = Duration.ofHours(1);

    /** How long a lead held back by the pause waits before it is looked at (and recorded as blocked) again; the resume releases it at once. */
    public void pausedRecheck(Duration d) {
        this.pausedRecheck = d;
    }

    /** A client's dialler: paused (since when, why) or running, and when an admin last resumed it. */
    public record PauseState(boolean paused, Instant pausedAt, String reason, Instant resumedAt) {
    }

    public PauseState pauseState(long clientId) {
        DiallerStore.PauseRow r = store.pauseOf(clientId);
        return new PauseState(r.pausedAt() != null, r.pausedAt(), r.reason(), r.resumedAt());
    }

    /**
     * Pauses the client's dialler until an admin resumes it (the quality pass, on an abandoned-call rate
     * over the limit). Recorded in the error log (severity error, service dialler) by the instance
     * whose update landed; true for that one, false when the dialler already was paused.
     */
    public boolean pause(Client client, String reason, Map<String, Object> context) {
        boolean now = store.pause(client.id(), reason, clock.instant());
        if (now) {
            LOG.error("[DIALLER] dialler of {} paused until an admin resumes it: {}", client.clientKey(), reason);
            Map<String, Object> ctx = new java.util.LinkedHashMap<>(context);
            ctx.put("clientKey", client.clientKey());
            errors.record("error", "dialler", "dialler of " + client.clientKey() + " paused until an admin resumes it: " + reason, "quality-run", ctx);
        }
        return now;
    }

    /** Every paused dialler (clientKey, pausedAt, reason), for the admin's quality view. */
    public List<Map<String, Object>> pausedDiallers() {
        return store.pausedList();
    }

    /** {@code GET /api/dialler}: the client's dialler, paused or running. */
    public Map<String, Object> status(Client client) {
        PauseState p = pauseState(client.id());
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("clientKey", client.clientKey());
        out.put("paused", p.paused());
        out.put("pausedAt", p.pausedAt() == null ? null : p.pausedAt().toString());
        out.put("reason", p.reason());
        out.put("resumedAt", p.resumedAt() == null ? null : p.resumedAt().toString());
        return out;
    }

    /**
     * {@code POST /api/admin/clients/{clientKey}/dialler/resume}: the dialler dials again; the leads the
     * pause held back are due at once. Recorded in the error log (severity warning, service dialler,
     * the pause it ended in the context). A dialler that was not paused answers {@code resumed: false}.
     */
    public Map<String, Object> resume(uk.bookinghub.api.Params params, uk.bookinghub.audit.Audit audit) {
        String key = params.text("clientKey");
        Client client = clients.byKey(key).orElseThrow(() -> uk.bookinghub.http.HttpProblem.notFound("no client " + key));
        audit.client(client.id(), client.clientKey()).target("dialler:" + client.clientKey()).detail("resumed", true);
        Optional<DiallerStore.Resumed> r = store.resume(client.id(), clock.instant(), audit);
        if (r.isEmpty()) {
            audit.detail("resumed", false); // was not paused: nothing changed (its row is written after the route)
        }
        r.ifPresent(was -> {
            Map<String, Object> ctx = new java.util.LinkedHashMap<>();
            ctx.put("clientKey", client.clientKey());
            ctx.put("pausedAt", was.pausedAt().toString());
            ctx.put("reason", was.reason());
            ctx.put("released", was.released());
            LOG.warn("[DIALLER] dialler of {} resumed by an admin (paused since {}: {}); {} lead(s) released", client.clientKey(), was.pausedAt(),
                    was.reason(), was.released());
            errors.record("warning", "dialler", "dialler of " + client.clientKey() + " resumed by an admin after a pause since " + was.pausedAt()
                    + ": " + was.reason(), "dialler-resume", ctx);
        });
        Map<String, Object> out = status(client);
        out.put("resumed", r.isPresent());
        out.put("released", r.map(DiallerStore.Resumed::released).orElse(0));
        r.ifPresent(was -> {
            out.put("wasPausedAt", was.pausedAt().toString());
            out.put("wasReason", was.reason());
        });
        return out;
    }

    private int inFlight(long clientId) {
        return store.inFlight(clientId);
    }

    /** A blocked dial: recorded with its rule; the lead waits for {@code notBefore}, or is skipped for good. */
    private void block(Candidate lead, CallingRules.Decision d) {
        Instant now = clock.instant();
        store.block(lead, d.rule(), d.detail(), d.notBefore(), now);
        metrics.diallerDecision("blocked", d.rule());
        LOG.info("[DIALLER] lead {} not dialled ({}): {}", lead.id(), d.rule(), d.detail());
    }

    /** Reserves the lead's next attempt; empty when another instance took it (the unique attempt number). */
    private Optional<DialJob> reserve(Candidate lead) {
        Instant now = clock.instant();
        int attemptNo = lead.attempts() + 1;
        try {
            return store.reserve(lead, attemptNo, now)
                    .map(id -> new DialJob(id, lead.clientId(), lead.id(), attemptNo, lead.phone(), lead.name()));
        } catch (RuntimeException e) {
            if (uk.bookinghub.store.Dialect.isUniqueViolation(e)) {
                // the unique (lead, attempt) key: another instance reserved this attempt first
                LOG.info("[DIALLER] lead {} attempt {} already taken: {}", lead.id(), attemptNo, e.getMessage());
                return Optional.empty();
            }
            // anything else is a failure, not a race: the lead stays queued (the transaction rolled back) and is tried next tick
            LOG.error("[DIALLER] lead {} attempt {}: could not reserve the attempt: {}", lead.id(), attemptNo, e.toString());
            String key = lead.id() + "/" + e.getMessage();
            Instant last = reported.get(key);
            if (last == null || Duration.between(last, now).toMinutes() >= 15) {
                if (reported.size() > 10_000) {
                    reported.clear();
                }
                reported.put(key, now);
                Map<String, Object> context = new java.util.LinkedHashMap<>();
                context.put("clientId", lead.clientId());
                context.put("leadId", lead.id());
                context.put("attemptNo", attemptNo);
                errors.record("error", "dialler", "could not reserve dial attempt " + attemptNo + " of lead " + lead.id() + ": " + e,
                        "dialler", context);
            }
            return Optional.empty();
        }
    }

    // ---- placing the call (POST {vapi.base-url}/call) ---------------------------------------

    /** The JSON body and headers of Vapi's create-call request for the job in the body. */
    public void prepare(Exchange exchange) {
        DialJob job = exchange.getMessage().getBody(DialJob.class);
        exchange.setProperty(JOB, job);
        Client client = clients.byId(job.clientId()).orElseThrow();
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("assistantId", assistantFor(client));
        body.put("phoneNumberId", present(client.vapiPhoneNumberId()) ? client.vapiPhoneNumberId() : vapi.phoneNumberId());
        ObjectNode customer = body.putObject("customer");
        customer.put("number", job.phone());
        if (present(job.leadName())) {
            customer.put("name", job.leadName());
        }
        ObjectNode vars = body.putObject("assistantOverrides").putObject("variableValues");
        vars.put("name", present(job.leadName()) ? job.leadName() : "");
        vars.put("businessName", client.businessName());
        vars.put("clientKey", client.clientKey());
        vars.put("leadId", String.valueOf(job.leadId()));
        vars.put("attempt", String.valueOf(job.attemptNo()));
        exchange.setProperty(SENT_AT, clock.instant());
        exchange.setProperty(REQUEST, body);
        var m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_METHOD, "POST");
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setHeader("Authorization", "Bearer " + vapi.privateKey());
        m.setBody(body.toString());
    }

    /** The assistant the dialler asks Vapi for: the client's own, else the hub's ({@code VAPI_ASSISTANT_ID}); null when neither is set. */
    public String assistantFor(Client client) {
        return present(client.vapiAssistantId()) ? client.vapiAssistantId() : vapi.assistantId();
    }

    private static final String SENT_AT = "hubDialSentAt";
    private static final String REQUEST = "hubDialRequest";

    /**
     * Before each retry of {@code POST /call} (the dial route's onRedelivery): a request that failed
     * with a 5xx, a timeout or a dropped connection may still have created the call at Vapi, and
     * Vapi's create-call has no idempotency key. So the retry first asks Vapi (List Calls: this
     * assistant and phone number, created since the first try) for a call to this lead's number
     * carrying this lead and attempt in its variables; if there is one, the retry fetches that call
     * ({@code GET /call/{id}}) instead of creating another, and it is recorded as placed. If the
     * look-up itself fails, the retry creates the call as before.
     */
    public org.apache.camel.Processor beforeRetry() {
        return exchange -> {
            DialJob job = exchange.getProperty(JOB, DialJob.class);
            ObjectNode request = exchange.getProperty(REQUEST, ObjectNode.class);
            Instant sentAt = exchange.getProperty(SENT_AT, Instant.class);
            if (job == null || request == null || sentAt == null || vapi.baseUrl() == null) {
                return;
            }
            try {
                Optional<String> existing = createdBefore(job, request, sentAt);
                if (existing.isPresent()) {
                    var m = exchange.getMessage();
                    m.setHeader(Exchange.HTTP_METHOD, "GET");
                    m.setHeader(Exchange.HTTP_URI, vapi.baseUrl() + "/call/" + existing.get());
                    m.removeHeader(Exchange.CONTENT_TYPE);
                    m.setBody(null);
                    LOG.warn("[DIALLER] lead {} attempt {}: Vapi created call {} although the request failed; taken, not dialled again",
                            job.leadId(), job.attemptNo(), existing.get());
                }
            } catch (Exception e) {
                LOG.warn("[DIALLER] lead {} attempt {}: could not ask Vapi whether the failed request created the call ({}); retrying it",
                        job.leadId(), job.attemptNo(), e.toString());
            }
        };
    }

    private volatile org.apache.camel.ProducerTemplate partner;

    /** The route that asks Vapi (routes/dialler.camel.yaml, vapi-list-calls): a visible partner call with its own metrics. */
    public void camel(org.apache.camel.CamelContext camel) {
        this.partner = camel.createProducerTemplate();
    }

    /** The id of a call Vapi created for this job since {@code sentAt} (a minute's clock skew allowed), if any. */
    private Optional<String> createdBefore(DialJob job, ObjectNode request, Instant sentAt) throws Exception {
        StringBuilder query = new StringBuilder("limit=100&createdAtGe=")
                .append(java.net.URLEncoder.encode(sentAt.minusSeconds(60).toString(), java.nio.charset.StandardCharsets.UTF_8));
        for (String f : List.of("assistantId", "phoneNumberId")) {
            if (request.hasNonNull(f)) {
                query.append('&').append(f).append('=').append(java.net.URLEncoder.encode(request.get(f).asText(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        if (partner == null) {
            throw new IllegalStateException("the vapi-list-calls route is not wired");
        }
        Map<String, Object> headers = new HashMap<>();
        headers.put(Exchange.HTTP_METHOD, "GET");
        headers.put(Exchange.HTTP_QUERY, query.toString());
        headers.put("Authorization", "Bearer " + vapi.privateKey());
        String listed;
        try {
            listed = partner.requestBodyAndHeaders("direct:vapi-list-calls", null, headers, String.class);
        } catch (org.apache.camel.CamelExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        for (JsonNode call : Json.MAPPER.readTree(listed)) {
            JsonNode vars = call.path("assistantOverrides").path("variableValues");
            if (job.phone().equals(call.path("customer").path("number").asText(null))
                    && String.valueOf(job.leadId()).equals(vars.path("leadId").asText(null))
                    && String.valueOf(job.attemptNo()).equals(vars.path("attempt").asText(null))
                    && call.hasNonNull("id")) {
                return Optional.of(call.get("id").asText());
            }
        }
        return Optional.empty();
    }

    /** Vapi answered 201 with the call: record its id on the attempt and open the call row. */
    public void placed(Exchange exchange) throws Exception {
        DialJob job = exchange.getProperty(JOB, DialJob.class);
        JsonNode call = Json.MAPPER.readTree(exchange.getMessage().getBody(String.class));
        recordPlaced(job, call.path("id").asText(null), call.path("status").asText("queued"), call.path("assistantId").asText(null));
    }

    /** {@code assistantId}: the one Vapi's answer names, else the one the dialler asked for. */
    private void recordPlaced(DialJob job, String vapiId, String status, String assistantId) {
        Instant now = clock.instant();
        Client client = clients.byId(job.clientId()).orElseThrow();
        Optional<DiallerStore.EarlyReport> early = store.placed(job, vapiId, status, present(assistantId) ? assistantId : assistantFor(client), now);
        metrics.diallerDecision("placed", null);
        LOG.info("[DIALLER] lead {} attempt {} placed for {}: Vapi call {}", job.leadId(), job.attemptNo(), client.clientKey(), vapiId);
        early.ifPresent(r -> {
            LOG.info("[DIALLER] Vapi call {} had already reported its end ({}): attempt closed", vapiId, r.endedReason());
            callEnded(job.leadId(), vapiId, r.outcome(), r.endedReason(), r.startedAt(), r.endedAt());
        });
    }

    /** Vapi refused the call for good (4xx): the attempt fails with Vapi's words; the lead waits for a person to look. */
    public boolean isPermanent(Exchange exchange) {
        Throwable t = exchange.getException() != null ? exchange.getException() : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        HttpOperationFailedException h = http(t);
        return h != null && h.getStatusCode() >= 400 && h.getStatusCode() < 500 && h.getStatusCode() != 429 && h.getStatusCode() != 408;
    }

    public void failed(Exchange exchange) {
        Throwable t = exchange.getException() != null ? exchange.getException() : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        DialJob job = exchange.getProperty(JOB, DialJob.class);
        finishFailed(job, describe(t), "failed");
        vapiFailure(job, exchange.getProperty(REQUEST, ObjectNode.class), "Vapi refused POST /call: " + describe(t), t);
    }

    /** Retries exhausted (429, 5xx, timeouts): the attempt failed; the lead is queued again in 15 minutes. */
    public void dead(Exchange exchange) {
        DialJob job = exchange.getProperty(JOB, DialJob.class);
        ObjectNode request = exchange.getProperty(REQUEST, ObjectNode.class);
        Instant sentAt = exchange.getProperty(SENT_AT, Instant.class);
        if (job != null && request != null && sentAt != null && vapi.baseUrl() != null) {
            // before giving up: did one of the failed requests create the call after all?
            try {
                Optional<String> existing = createdBefore(job, request, sentAt);
                if (existing.isPresent()) {
                    LOG.warn("[DIALLER] lead {} attempt {}: every request failed, but Vapi created call {}; taken, not dialled again",
                            job.leadId(), job.attemptNo(), existing.get());
                    recordPlaced(job, existing.get(), "queued", null);
                    return;
                }
            } catch (Exception e) {
                LOG.warn("[DIALLER] lead {} attempt {}: could not ask Vapi whether a failed request created the call ({})",
                        job.leadId(), job.attemptNo(), e.toString());
            }
        }
        Throwable t = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        finishFailed(job, "retries exhausted: " + describe(t), "queued");
        vapiFailure(job, request, "POST /call failed after every retry: " + describe(t), t);
    }

    /**
     * A {@code POST /call} Vapi refused or that failed after every retry, in the error log (service
     * {@code vapi}, route {@code dial}) with the lead, the attempt and the client in the context. The
     * message holds the cause only (Vapi's status and words), so each cause is one group.
     */
    private void vapiFailure(DialJob job, ObjectNode request, String message, Throwable t) {
        Map<String, Object> context = new java.util.LinkedHashMap<>();
        if (job != null) {
            context.put("clientId", job.clientId());
            context.put("clientKey", clients.byId(job.clientId()).map(Client::clientKey).orElse(null));
            context.put("leadId", job.leadId());
            context.put("attemptId", job.attemptId());
            context.put("attemptNo", job.attemptNo());
        }
        HttpOperationFailedException h = http(t);
        context.put("httpStatus", h == null ? null : h.getStatusCode());
        if (request != null) {
            context.put("assistantId", request.path("assistantId").asText(null));
            context.put("phoneNumberId", request.path("phoneNumberId").asText(null));
        }
        errors.record("error", "vapi", message, "dial", context);
    }

    private void finishFailed(DialJob job, String why, String leadStatus) {
        if (job == null) {
            LOG.error("[DIALLER] a dial failed before its job was known: {}", why);
            return;
        }
        Instant now = clock.instant();
        store.failed(job, why, leadStatus.equals("queued"), now);
        metrics.diallerDecision("failed", null);
        LOG.error("[DIALLER] lead {} attempt {} failed: {}", job.leadId(), job.attemptNo(), why);
    }

    private static HttpOperationFailedException http(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
            if (x instanceof HttpOperationFailedException h) {
                return h;
            }
        }
        return null;
    }

    private static String describe(Throwable t) {
        HttpOperationFailedException h = http(t);
        if (h != null) {
            String msg = h.getResponseBody();
            try {
                JsonNode n = Json.MAPPER.readTree(msg);
                JsonNode m = n.get("message");
                msg = m == null ? msg : m.isArray() ? String.join("; ", Json.MAPPER.convertValue(m, List.class)) : m.asText();
            } catch (Exception ignored) {
                // not JSON: Vapi's text as it came
            }
            return "Vapi " + h.getStatusCode() + ": " + msg;
        }
        return t == null ? "unknown" : t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    // ---- GET /api/dial-attempts ----------------------------------------------------------------

    static final java.util.Set<String> ATTEMPT_STATUSES = java.util.Set.of("dialling", "placed", "failed", "blocked", "unknown", "ended");

    /**
     * What the dialler decided for the client's leads, newest first: each call placed (Vapi's call
     * id), each call that failed, and each dial the compliance gate blocked with the rule that did.
     */
    public Map<String, Object> attempts(Client client, uk.bookinghub.api.Params params) {
        String st = params.word("status");
        if (st != null && !ATTEMPT_STATUSES.contains(st)) {
            throw uk.bookinghub.http.HttpProblem.badRequest("status must be one of " + new java.util.TreeSet<>(ATTEMPT_STATUSES));
        }
        ZoneId zone = ZoneId.of(client.timezone());
        uk.bookinghub.store.ListQuery q = new uk.bookinghub.store.ListQuery("client_id = ?", client.id())
                .and("lead_id = ?", params.whole("leadId")).and("status = ?", st)
                .and("rule = ?", params.word("rule"))
                .and("created_at >= ?", params.instant("since", zone))
                .and("created_at < ?", params.instant("until", zone));
        uk.bookinghub.api.Params.Page page = params.page(50, 500);
        int pg = page.number();
        int size = page.size();
        return store.attempts(q, pg, size);
    }

    // ---- after the call -----------------------------------------------------------------------

    /**
     * Vapi's end-of-call report for a dialled call: the attempt ended, the lead was contacted (or an
     * abandoned call noted). {@code leadId} is the dial attempt's lead ({@link uk.bookinghub.calls.CallFacts}),
     * null for a call this hub did not place: nothing to do then, no transaction.
     */
    /** Step after a stored end-of-call report (routes/vapi-webhooks.camel.yaml): closes the attempt the dialler placed. */
    public void callEnded(uk.bookinghub.calls.EndOfCallResult r) {
        var w = r.call();
        Long dialled = r.facts().dialledLeadId();
        if (dialled == null && w.leadId() != null) {
            // The report names one of the client's leads, and no dial attempt had this call id when the report was
            // read: the dialler may have been recording the 201 of its POST /call meanwhile. Read again now that the
            // report is committed: whichever of the two commits last sees the other (placed() reads the report), so
            // a call that ends at once is closed by one of them, never by neither.
            dialled = store.dialledLead(w.vapiCallId()).orElse(null);
        }
        callEnded(dialled, w.vapiCallId(), w.outcome(), w.endedReason(), w.startedAt(), w.endedAt());
    }

    public void callEnded(Long leadId, String vapiCallId, String outcome, String endedReason, Instant startedAt, Instant endedAt) {
        if (leadId == null) {
            return; // not a call this hub placed (inbound, or placed elsewhere)
        }
        Instant now = clock.instant();
        boolean abandoned = isAbandoned(endedReason, startedAt, endedAt);
        Instant contactedAt = endedAt != null ? endedAt : now;
        store.ended(leadId, vapiCallId, outcome + (endedReason == null ? "" : " (" + endedReason + ")"), "booked".equals(outcome) ? "booked" : "contacted",
                contactedAt, abandoned ? contactedAt : null, now);
    }

    /**
     * The hub's one definition of an abandoned call (Ofcom persistent misuse): the person answered
     * (the call started) and no agent took it - the assistant's pipeline or the assistant failed, or
     * the call ended on silence within 5 seconds. The dialler's 72 h redial wait and the quality
     * figures' abandoned-call rate both use it.
     */
    public static boolean isAbandoned(String endedReason, Instant startedAt, Instant endedAt) {
        if (startedAt == null || endedReason == null) {
            return false;
        }
        return endedReason.startsWith("pipeline-error") || endedReason.startsWith("assistant-error")
                || endedReason.contains("silence-timed-out") && endedAt != null && Duration.between(startedAt, endedAt).toSeconds() < 5;
    }

    /** Calls placed longer ago than the timeout with no end-of-call report: unknown, alerted, the line freed. */
    public int reconcile() {
        Instant cutoff = clock.instant().minus(callTimeout);
        List<DiallerStore.Stale> stale = store.stale(cutoff);
        Instant now = clock.instant();
        for (DiallerStore.Stale s : stale) {
            store.unknown(s, "no end-of-call report within " + callTimeout.toSeconds() + " s", "Vapi sent no end-of-call report for call " + s.vapiCallId(), now);
            // critical: the error log writes the [CRITICAL ALERT] line and raises the alert
            Map<String, Object> context = new java.util.LinkedHashMap<>();
            context.put("vapiCallId", s.vapiCallId());
            context.put("clientId", s.clientId());
            context.put("clientKey", clients.byId(s.clientId()).map(Client::clientKey).orElse(null));
            context.put("leadId", s.leadId());
            context.put("attemptId", s.attemptId());
            context.put("timeoutSeconds", callTimeout.toSeconds());
            errors.record("critical", "vapi", "Vapi sent no end-of-call report for call " + s.vapiCallId() + " (lead " + s.leadId() + ") within "
                    + callTimeout.toSeconds() + " s: marked unknown", "dialler-reconcile", context);
        }
        return stale.size();
    }

    private static boolean present(String s) {
        return s != null && !s.isBlank();
    }
}
