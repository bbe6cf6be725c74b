package uk.bookinghub.reminders;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.http.JsonBodies;
import uk.bookinghub.leads.OptOutStore;
import uk.bookinghub.messaging.MessagesApi;
import uk.bookinghub.monitoring.SettingsAlarm;
import uk.bookinghub.monitoring.UnreadableSettings;
import uk.bookinghub.reminders.FollowUpStore.DueStep;
import uk.bookinghub.store.Database;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Follow-up sequences: an end-of-call report's outcome starts the client's sequence for it, as
 * rows in {@code retry_queue} with due times (one per step and lead: each step runs once). The
 * {@code follow-ups} cron processes due steps: messages through the outbox (with the client's
 * real data), re-calls back to the dialler's queue (and its compliance gate). A sequence stops at
 * once when the lead books, opts out or replies STOP, or the client pauses follow-ups.
 */
public final class FollowUps {

    private static final Logger LOG = LoggerFactory.getLogger(FollowUps.class);
    static final Set<String> OUTCOMES = Set.of("no_answer", "voicemail", "not_interested", "callback_requested");
    static final Set<String> ACTIONS = Set.of("sms", "email", "call");

    /** A step: what to do and how long after the call. */
    public record Step(String action, Duration after) {
    }

    /** A client's sequences by outcome, and whether they are paused. */
    public record Sequences(Map<String, List<Step>> byOutcome, boolean paused) {
        public Map<String, Object> view() {
            Map<String, Object> m = new LinkedHashMap<>();
            byOutcome.forEach((k, steps) -> m.put(k, steps.stream().map(s -> Map.of("action", s.action(), "after", s.after().toString())).toList()));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("sequences", m);
            out.put("paused", paused);
            return out;
        }
    }

    /** no_answer: SMS after 5 min, call after 2 h, call next day; voicemail: SMS after 10 min, call next day; not_interested: email after 30 days; callback_requested: call next day (or when asked). */
    public static Sequences defaults() {
        Map<String, List<Step>> m = new LinkedHashMap<>();
        m.put("no_answer", List.of(new Step("sms", Duration.ofMinutes(5)), new Step("call", Duration.ofHours(2)), new Step("call", Duration.ofDays(1))));
        m.put("voicemail", List.of(new Step("sms", Duration.ofMinutes(10)), new Step("call", Duration.ofDays(1))));
        m.put("not_interested", List.of(new Step("email", Duration.ofDays(30))));
        m.put("callback_requested", List.of(new Step("call", Duration.ofDays(1))));
        return new Sequences(m, false);
    }

    private final FollowUpStore store;
    private final ClientStore clients;
    private final MessagesApi messages;
    private final OptOutStore optOuts;
    private final Clock clock;
    private final long maxBodyBytes;
    private final SettingsAlarm alarm;

    public FollowUps(Database db, ClientStore clients, MessagesApi messages, OptOutStore optOuts, Clock clock, long maxBodyBytes,
                     uk.bookinghub.monitoring.ErrorLog errors) {
        this.store = new FollowUpStore(db);
        this.clients = clients;
        this.messages = messages;
        this.optOuts = optOuts;
        this.clock = clock;
        this.maxBodyBytes = maxBodyBytes;
        this.alarm = new SettingsAlarm(errors, clock);
    }

    // ---- the client's sequences ------------------------------------------------------------

    public Sequences sequences(long clientId) {
        String json = store.sequencesJson(clientId);
        return fromStored(json);
    }

    /** The column the sequences are stored in. */
    public static final String SETTING = "follow_up_sequences";

    /**
     * Stored sequences (validated when saved); none stored = the defaults. A document that cannot be read
     * back fails closed with {@link UnreadableSettings}: no follow-up is started or sent from sequences the
     * hub cannot read (nor from the defaults in their place).
     */
    static Sequences fromStored(String json) {
        if (json == null || json.isBlank()) {
            return defaults();
        }
        return UnreadableSettings.read(SETTING, json, tree -> parse(tree));
    }

    /** {@code GET /api/follow-up-sequences}; unreadable stored sequences are a 409 that says so (a PUT replaces them). */
    public Map<String, Object> get(Client client) {
        try {
            return sequences(client.id()).view();
        } catch (UnreadableSettings e) {
            alarm.raise("follow-ups", client.id(), client.clientKey(), e, "follow-ups");
            throw new HttpProblem(409, e.getMessage() + "; follow-ups are stopped for this client: PUT new sequences to replace them");
        }
    }

    /** {@code PUT /api/follow-up-sequences}: validated; pausing cancels every pending step at once. */
    public Map<String, Object> put(Client client, byte[] body, String contentType, uk.bookinghub.audit.Audit audit) {
        Sequences s = parse(JsonBodies.object(body, contentType, maxBodyBytes));
        audit.target("follow_up_sequences:" + client.clientKey()).detail("paused", s.paused());
        store.database().inTransaction("saving follow-up sequences", c -> {
            store.saveSequences(c, client.id(), Json.write(s.view()));
            if (s.paused()) {
                cancel(c, "client_id = ?", client.id(), "follow-ups paused by the client");
            }
            audit.write(c, 200);
            return null;
        });
        return s.view();
    }

    /** {"sequences": {"no_answer": [{"action": "sms", "after": "PT5M"}, ...], ...}, "paused": false}; outcomes left out keep their defaults. */
    static Sequences parse(JsonNode in) {
        List<String> problems = new ArrayList<>();
        Map<String, List<Step>> m = new LinkedHashMap<>(defaults().byOutcome());
        JsonNode seqs = in.has("sequences") ? in.get("sequences") : in;
        if (seqs != null && seqs.isObject()) {
            seqs.fieldNames().forEachRemaining(outcome -> {
                if (outcome.equals("paused")) {
                    return;
                }
                if (!OUTCOMES.contains(outcome)) {
                    problems.add(outcome + ": not an outcome with a sequence (" + String.join(", ", new java.util.TreeSet<>(OUTCOMES)) + ")");
                    return;
                }
                JsonNode steps = seqs.get(outcome);
                if (!steps.isArray() || steps.size() > 10) {
                    problems.add(outcome + ": a list of at most 10 steps {action, after} ([] = no follow-up)");
                    return;
                }
                List<Step> list = new ArrayList<>();
                for (int i = 0; i < steps.size(); i++) {
                    JsonNode st = steps.get(i);
                    String action = st.path("action").asText("");
                    if (!ACTIONS.contains(action)) {
                        problems.add(outcome + "[" + i + "].action: sms, email or call");
                    }
                    Duration after = null;
                    JsonNode a = st.get("after");
                    try {
                        after = a == null ? null : a.isIntegralNumber() ? Duration.ofMinutes(a.asLong()) : Duration.parse(a.asText());
                    } catch (DateTimeParseException e) {
                        after = null;
                    }
                    if (after == null || after.isNegative() || after.compareTo(Duration.ofDays(365)) > 0) {
                        problems.add(outcome + "[" + i + "].after: minutes, or an ISO-8601 duration such as PT5M, PT2H, P1D, up to a year");
                    } else {
                        list.add(new Step(action, after));
                    }
                }
                m.put(outcome, List.copyOf(list));
            });
        } else if (seqs != null && !seqs.isNull()) {
            problems.add("sequences: an object of outcome -> steps");
        }
        JsonNode paused = in.get("paused");
        if (paused != null && !paused.isNull() && !paused.isBoolean()) {
            problems.add("paused: true or false");
        }
        if (!problems.isEmpty()) {
            throw HttpProblem.badRequest("invalid follow-up sequences: " + String.join("; ", problems), Map.of("problems", problems));
        }
        return new Sequences(m, paused != null && paused.asBoolean(false));
    }

    // ---- starting a sequence (end-of-call report) ---------------------------------------------

    /** The outcome of a call to a known lead starts the client's sequence for it (once per step and lead). */
    /** Step after a stored end-of-call report (routes/vapi-webhooks.camel.yaml): starts the outcome's sequence. */
    public void callEnded(uk.bookinghub.calls.EndOfCallResult r) {
        var w = r.call();
        callEnded(w.clientId(), w.vapiCallId(), w.leadId(), r.facts().dialledLeadId(), w.outcome(), w.endedAt(), w.structuredData());
    }

    public void callEnded(Long clientId, String vapiCallId, String leadIdText, Long dialledLeadId, String outcome, Instant endedAt, String structuredData) {
        if (clientId == null || outcome == null || !OUTCOMES.contains(outcome)) {
            return;
        }
        Long leadId = leadId(clientId, leadIdText, dialledLeadId);
        if (leadId == null) {
            return;
        }
        Sequences s;
        try {
            s = sequences(clientId);
        } catch (UnreadableSettings e) {
            alarm.raise("follow-ups", clientId, clients.byId(clientId).map(Client::clientKey).orElse(null), e, "follow-ups");
            LOG.error("[FOLLOW-UP] lead {}: no {} sequence started after call {}: {}", leadId, outcome, vapiCallId, e.getMessage());
            return;
        }
        if (s.paused()) {
            return;
        }
        List<Step> steps = s.byOutcome().getOrDefault(outcome, List.of());
        // from when the hub learnt the outcome: a report that arrives late (retried by Vapi) does not fire every step at once
        Instant base = clock.instant();
        Instant callback = "callback_requested".equals(outcome) ? callbackAt(structuredData) : null;
        Instant now = clock.instant();
        List<FollowUpStore.NewStep> rows = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            Step st = steps.get(i);
            Instant due = callback != null && i == 0 && "call".equals(st.action()) && callback.isAfter(now) ? callback : base.plus(st.after());
            rows.add(new FollowUpStore.NewStep(i + 1, st.action(), due));
        }
        store.start(clientId, leadId, vapiCallId, outcome, rows, now);
        LOG.info("[FOLLOW-UP] lead {}: {} sequence started ({} steps) after call {}", leadId, outcome, steps.size(), vapiCallId);
    }

    /** "callbackAt" / "callbackTime" in the report's structured data, ISO-8601 with an offset. */
    static Instant callbackAt(String structuredData) {
        if (structuredData == null) {
            return null;
        }
        try {
            JsonNode n = Json.MAPPER.readTree(structuredData);
            for (String f : List.of("callbackAt", "callbackTime", "callback_at")) {
                if (n.hasNonNull(f)) {
                    return OffsetDateTime.parse(n.get(f).asText()).toInstant();
                }
            }
        } catch (Exception e) {
            return null;
        }
        return null;
    }

    /** The lead the call was about: the leadId variable (if it is this client's lead), else the lead the dialler dialled. */
    private Long leadId(long clientId, String leadIdText, Long dialledLeadId) {
        if (leadIdText == null || !leadIdText.matches("\\d{1,18}")) {
            return dialledLeadId;
        }
        Long named = store.leadOfClient(clientId, Long.parseLong(leadIdText));
        return named != null ? named : dialledLeadId;
    }

    // ---- stopping --------------------------------------------------------------------------

    /** Cancels pending steps matching the condition (in the caller's transaction). */
    public int cancel(Connection c, String where, long id, String reason) throws SQLException {
        return store.cancel(c, where, id, reason, clock.instant());
    }

    // ---- the follow-ups cron ------------------------------------------------------------------

    private uk.bookinghub.metrics.BusinessMetrics metrics = uk.bookinghub.metrics.BusinessMetrics.NONE;

    /** Where each batch's duration is recorded ({@code hub_batch_duration_seconds}). */
    public void metrics(uk.bookinghub.metrics.BusinessMetrics metrics) {
        this.metrics = metrics;
    }

    /** One pass: claims due steps and carries them out (or stops them); returns the counts. */
    public Map<String, Object> run() {
        long started = System.nanoTime();
        try {
            return pass();
        } finally {
            metrics.followUpsBatch(System.nanoTime() - started);
        }
    }

    private Map<String, Object> pass() {
        Instant now = clock.instant();
        // clients whose stored sequences cannot be read: their steps stay pending (none is sent, none is
        // cancelled) until the sequences are saved again, and they do not take the batch from other clients
        List<Long> held = unreadableSequences();
        List<DueStep> due = store.claim(now, held);
        int done = 0;
        int stopped = 0;
        for (DueStep d : due) {
            String result;
            try {
                result = store.database().inTransaction("running a follow-up step", c -> step(c, d));
            } catch (UnreadableSettings e) {
                // the sequences broke between the claim and the step: the step waits, untouched
                alarm.raise("follow-ups", d.clientId(), clients.byId(d.clientId()).map(Client::clientKey).orElse(null), e, "follow-ups");
                store.hold(d.id());
                continue;
            }
            if ("done".equals(result)) {
                done++;
            } else {
                stopped++;
            }
        }
        // steps left 'running' by an instance that stopped mid-pass are taken again after 10 minutes
        store.releaseStale(now.minus(Duration.ofMinutes(10)));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("stepsDone", done);
        out.put("stepsStopped", stopped);
        return out;
    }

    private String step(Connection c, DueStep d) throws SQLException {
        Client client = clients.byId(d.clientId()).orElse(null);
        String stop = null;
        FollowUpStore.LeadState lead = store.lead(c, d.leadId());
        String phone = lead == null ? null : lead.phone();
        String status = lead == null ? null : lead.status();
        if (client == null || status == null) {
            stop = "lead or client gone";
        } else if ("booked".equals(status) || store.booked(c, d.leadId())) {
            stop = "the lead booked";
        } else if (phone != null && !optOuts.activeReasons(c, d.clientId(), List.of(phone)).isEmpty()) {
            stop = "the lead opted out";
        } else if (sequencesPaused(c, d.clientId())) {
            stop = "follow-ups paused by the client";
        }
        if (stop != null) {
            finish(c, d.id(), "cancelled", stop);
            LOG.info("[FOLLOW-UP] lead {} step {} stopped: {}", d.leadId(), d.stepKey(), stop);
            return "stopped";
        }
        switch (d.action()) {
            case "call" -> {
                store.requeueLead(c, d.leadId(), clock.instant());
            }
            default -> messages.queue(c, client, new MessagesApi.Request("follow_up", List.of(d.action()), d.leadId(), null, null, null, null, null,
                    null, "followup:" + d.stepKey(), null));
        }
        finish(c, d.id(), "done", null);
        LOG.info("[FOLLOW-UP] lead {} step {}: {} {}", d.leadId(), d.stepKey(), d.action(), "call".equals(d.action()) ? "queued for the dialler" : "queued");
        return "done";
    }

    /** Whether the client paused follow-ups; {@link UnreadableSettings} when its stored sequences cannot be read (never "not paused"). */
    private boolean sequencesPaused(Connection c, long clientId) throws SQLException {
        return fromStored(store.sequencesJson(c, clientId)).paused();
    }

    /** Clients whose stored sequences cannot be read (each alerted). */
    private List<Long> unreadableSequences() {
        List<FollowUpStore.StoredSequences> stored = store.storedSequences();
        List<Long> held = new ArrayList<>();
        for (FollowUpStore.StoredSequences row : stored) {
            try {
                fromStored(row.json());
            } catch (UnreadableSettings e) {
                held.add(row.clientId());
                alarm.raise("follow-ups", row.clientId(), row.clientKey(), e, "follow-ups");
            }
        }
        return held;
    }

    private void finish(Connection c, long id, String status, String reason) throws SQLException {
        store.finish(c, id, status, reason, clock.instant());
    }

    /** For the API: a lead's follow-up steps. */
    public List<Map<String, Object>> steps(long clientId, long leadId) {
        return store.steps(clientId, leadId);
    }

    Optional<Client> client(long id) {
        return clients.byId(id);
    }
}
