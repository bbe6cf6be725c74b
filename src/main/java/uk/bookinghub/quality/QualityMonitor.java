package uk.bookinghub.quality;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.alerts.AlertSignal;
import uk.bookinghub.alerts.AlertSink;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.dialler.Dialler;
import uk.bookinghub.http.Json;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The hourly quality pass ({@code routes/quality.camel.yaml}): for an hour, per client and per
 * assistant ({@value #ALL} = all the client's calls), the figures of that hour ({@value #HOUR}) and of
 * the 24 hours to its end ({@value #DAY}) are counted ({@link Figures}) and stored, one row per key, so
 * a rerun or a second instance replaces them. Then each is judged against its threshold
 * ({@link QualitySettings}): a crossing is {@code alerts.condition(..., true)} for the group
 * {@code quality:<clientKey>:<assistant>:<metric>}, anything else {@code false}, so a group resolves when
 * its figure is back (or too few calls remain to judge it). An abandoned-call rate over the limit also
 * pauses the client's dialler until an admin resumes it ({@link Dialler#pause}).
 *
 * <p>What is judged on what: connect rate, tool-call error rate, p95 tool-call latency and Vapi
 * failure rate per assistant on the hour (a breakage shows within the hour); the abandoned-call rate
 * per client on the 24 hours (Ofcom: per campaign over 24 hours; the client's dialler is its campaign),
 * counting only calls dialled since the dialler was last resumed.
 */
public final class QualityMonitor {

    private static final Logger LOG = LoggerFactory.getLogger(QualityMonitor.class);
    /** The assistant of a client's row that covers all its assistants. */
    public static final String ALL = "*";
    /** The assistant of a dial when neither the call, the client nor the hub names one. */
    static final String NONE = "none";
    static final String HOUR = "1h";
    static final String DAY = "24h";

    static final String CONNECT = "connect_rate";
    static final String ABANDONED = "abandoned_rate";
    static final String TOOL_ERRORS = "tool_error_rate";
    static final String TOOL_P95 = "tool_p95_ms";
    static final String VAPI_FAILURES = "vapi_failure_rate";

    private record Key(long clientId, String assistantId, String period) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = Long.compare(clientId, o.clientId);
            if (c == 0) {
                c = assistantId.compareTo(o.assistantId);
            }
            return c != 0 ? c : period.compareTo(o.period);
        }
    }

    private final QualityStore store;
    private final ClientStore clients;
    private final Dialler dialler;
    private final AlertSink alerts;
    private final QualitySettings settings;
    private final Clock clock;

    QualityMonitor(QualityStore store, ClientStore clients, Dialler dialler, AlertSink alerts, QualitySettings settings, Clock clock) {
        this.store = store;
        this.clients = clients;
        this.dialler = dialler;
        this.alerts = alerts;
        this.settings = settings;
        this.clock = clock;
    }

    QualitySettings settings() {
        return settings;
    }

    /** The scheduled pass: the last complete hour (UTC). */
    public Map<String, Object> runLastHour() {
        return run(clock.instant().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(1)));
    }

    /** Counts, stores and judges the hour starting at {@code hour} (a whole UTC hour); says what it stored, what fires and which diallers it paused. */
    public Map<String, Object> run(Instant hour) {
        long started = System.nanoTime();
        Instant to = hour.plus(Duration.ofHours(1));
        Instant from = to.minus(Duration.ofHours(24));
        Map<Key, Figures> figures = new TreeMap<>();
        Map<Long, Optional<Client>> known = new HashMap<>();

        List<QualityStore.Dial> dials = store.dials(from, to);
        Map<String, String> callAssistants = new HashMap<>();
        for (QualityStore.Dial d : dials) {
            String assistant = d.assistantId() != null ? d.assistantId() : defaultAssistant(known, d.clientId());
            if (d.vapiCallId() != null) {
                callAssistants.put(d.vapiCallId(), assistant);
            }
            add(figures, d.clientId(), assistant, !d.at().isBefore(hour), f -> f.dial(d));
        }
        for (QualityStore.Tool t : store.toolCalls(from, to)) {
            String assistant = t.assistantId() != null ? t.assistantId() : defaultAssistant(known, t.clientId());
            boolean error = isError(t.answer());
            add(figures, t.clientId(), assistant, !t.at().isBefore(hour), f -> f.tool(error, t.durationMs()));
        }
        countVapiFailures(store.vapiErrors(from, to), hour, figures, known, callAssistants);

        List<QualityStore.Snapshot> rows = new ArrayList<>();
        figures.forEach((k, f) -> rows.add(new QualityStore.Snapshot(hour, k.clientId(), k.assistantId(), k.period(), f.dials, f.answered, f.abandoned,
                f.toolCalls, f.toolErrors, f.p95(), f.vapiFailures)));
        store.save(rows, clock.instant());

        Judgement j = new Judgement();
        Set<Long> judgedClients = new HashSet<>();
        for (Key k : figures.keySet()) {
            Optional<Client> client = client(known, k.clientId());
            if (client.isEmpty() || !DAY.equals(k.period())) {
                continue;
            }
            if (ALL.equals(k.assistantId())) {
                judgedClients.add(k.clientId());
                judgeAbandoned(client.get(), dials, from, to, j);
            } else {
                judgeAssistant(client.get(), k.assistantId(), figures.getOrDefault(new Key(k.clientId(), k.assistantId(), HOUR), new Figures()), hour, j);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("hour", hour.toString());
        out.put("from", from.toString());
        out.put("to", to.toString());
        out.put("clients", judgedClients.size());
        out.put("snapshots", rows.size());
        out.put("judged", j.judged);
        out.put("firing", j.firing);
        out.put("paused", j.paused);
        out.put("millis", (System.nanoTime() - started) / 1_000_000);
        LOG.info("[QUALITY] hour {}: {} figure rows for {} clients, {} conditions firing, {} dialler(s) paused", hour, rows.size(), judgedClients.size(),
                j.firing.size(), j.paused.size());
        return out;
    }

    /** The Vapi failures naming a client ({@code context.clientKey}); their assistant is their call's ({@code context.callId}), else the client's. */
    private void countVapiFailures(List<QualityStore.VapiError> errors, Instant hour, Map<Key, Figures> figures, Map<Long, Optional<Client>> known,
                                   Map<String, String> callAssistants) {
        record Failure(Client client, String callId, boolean inHour) {
        }
        List<Failure> failures = new ArrayList<>();
        Set<String> unknownCalls = new HashSet<>();
        for (QualityStore.VapiError e : errors) {
            JsonNode ctx = context(e.context());
            String key = text(ctx, "clientKey");
            Optional<Client> client = key == null ? Optional.empty() : clients.byKey(key);
            if (client.isEmpty()) {
                continue; // a Vapi failure no client can be charged with (an unknown assistant, a webhook for nobody)
            }
            known.putIfAbsent(client.get().id(), client);
            String callId = text(ctx, "callId");
            if (callId != null && !callAssistants.containsKey(callId)) {
                unknownCalls.add(callId);
            }
            failures.add(new Failure(client.get(), callId, !e.at().isBefore(hour)));
        }
        Map<String, String> looked = unknownCalls.isEmpty() ? Map.of() : store.assistantsOf(unknownCalls);
        for (Failure f : failures) {
            String assistant = f.callId() == null ? null : callAssistants.getOrDefault(f.callId(), looked.get(f.callId()));
            add(figures, f.client().id(), assistant != null ? assistant : defaultAssistant(known, f.client().id()), f.inHour(), Figures::vapiFailure);
        }
    }

    private static void add(Map<Key, Figures> figures, long clientId, String assistant, boolean inHour, Consumer<Figures> count) {
        count.accept(figures.computeIfAbsent(new Key(clientId, assistant, DAY), k -> new Figures()));
        count.accept(figures.computeIfAbsent(new Key(clientId, ALL, DAY), k -> new Figures()));
        if (inHour) {
            count.accept(figures.computeIfAbsent(new Key(clientId, assistant, HOUR), k -> new Figures()));
            count.accept(figures.computeIfAbsent(new Key(clientId, ALL, HOUR), k -> new Figures()));
        }
    }

    private Optional<Client> client(Map<Long, Optional<Client>> known, long clientId) {
        return known.computeIfAbsent(clientId, clients::byId);
    }

    /** The assistant of a dial or tool call whose call names none: the client's, else the hub's, else {@value #NONE}. */
    private String defaultAssistant(Map<Long, Optional<Client>> known, long clientId) {
        String a = client(known, clientId).map(dialler::assistantFor).orElse(null);
        return a == null || a.isBlank() ? NONE : a;
    }

    private static boolean isError(String answer) {
        JsonNode n = context(answer);
        return n == null || n.hasNonNull("error") || !n.hasNonNull("result");
    }

    private static JsonNode context(String json) {
        if (json == null || json.isBlank()) {
            return null;
        }
        try {
            JsonNode n = Json.MAPPER.readTree(json);
            return n != null && n.isObject() ? n : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() || v.isContainerNode() || v.asText().isBlank() ? null : v.asText();
    }

    // ---- judging ----------------------------------------------------------------------------------

    /** What the judging found: conditions judged, those firing, diallers paused now. */
    private static final class Judgement {
        int judged;
        final List<Map<String, Object>> firing = new ArrayList<>();
        final List<String> paused = new ArrayList<>();
    }

    private void judgeAssistant(Client c, String assistant, Figures f, Instant hour, Judgement j) {
        String in = " in the hour from " + hour;
        BigDecimal connect = Figures.percent(f.answered, f.dials);
        judge(c, assistant, CONNECT, HOUR, "warning", f.dials >= settings.minCalls() && connect.compareTo(settings.minConnectPercent()) < 0,
                connect, settings.minConnectPercent(), f.answered,
                "Connect rate " + connect + " % for " + c.clientKey() + " / " + assistant + " (min " + settings.minConnectPercent() + " %)",
                f.answered + " of " + f.dials + " dials answered by a person" + in, j);
        BigDecimal toolErrors = Figures.percent(f.toolErrors, f.toolCalls);
        judge(c, assistant, TOOL_ERRORS, HOUR, "warning", f.toolCalls >= settings.minCalls() && toolErrors.compareTo(settings.maxToolErrorPercent()) > 0,
                toolErrors, settings.maxToolErrorPercent(), f.toolErrors,
                "Tool-call errors " + toolErrors + " % for " + c.clientKey() + " / " + assistant + " (max " + settings.maxToolErrorPercent() + " %)",
                f.toolErrors + " of " + f.toolCalls + " tool calls answered with an error" + in, j);
        Integer p95 = f.p95();
        judge(c, assistant, TOOL_P95, HOUR, "warning", f.toolCalls >= settings.minCalls() && p95 != null && p95 > settings.maxToolP95Ms(),
                p95, settings.maxToolP95Ms(), f.toolCalls,
                "Tool-call p95 latency " + p95 + " ms for " + c.clientKey() + " / " + assistant + " (max " + settings.maxToolP95Ms() + " ms)",
                "p95 of " + f.toolCalls + " tool calls" + in, j);
        BigDecimal vapi = Figures.percent(f.vapiFailures, f.dials);
        judge(c, assistant, VAPI_FAILURES, HOUR, "warning", f.dials >= settings.minCalls() && vapi.compareTo(settings.maxVapiFailurePercent()) > 0,
                vapi, settings.maxVapiFailurePercent(), f.vapiFailures,
                "Vapi failures " + vapi + " % for " + c.clientKey() + " / " + assistant + " (max " + settings.maxVapiFailurePercent() + " %)",
                f.vapiFailures + " Vapi failures for " + f.dials + " dials" + in, j);
    }

    /**
     * The client's abandoned-call rate over the 24 hours to {@code to}, counting only calls dialled since
     * its dialler was last resumed (an admin has dealt with the ones before); over the limit, with
     * enough live-answered calls, it fires and pauses the dialler.
     */
    private void judgeAbandoned(Client c, List<QualityStore.Dial> dials, Instant from, Instant to, Judgement j) {
        Dialler.PauseState state = dialler.pauseState(c.id());
        Instant since = state.resumedAt() != null && state.resumedAt().isAfter(from) ? state.resumedAt() : from;
        Figures f = new Figures();
        for (QualityStore.Dial d : dials) {
            if (d.clientId() == c.id() && !d.at().isBefore(since)) {
                f.dial(d);
            }
        }
        BigDecimal rate = Figures.percent(f.abandoned, f.answered);
        boolean over = f.answered >= settings.minCalls() && rate.compareTo(settings.maxAbandonedPercent()) > 0;
        String window = since.equals(from) ? "in the 24 h to " + to : "between the dialler's resume at " + since + " and " + to;
        String detail = f.abandoned + " of " + f.answered + " live-answered calls abandoned " + window + " (Ofcom persistent misuse: at most "
                + settings.maxAbandonedPercent() + " %); the dialler is paused until an admin resumes it: POST /api/admin/clients/" + c.clientKey()
                + "/dialler/resume";
        judge(c, ALL, ABANDONED, DAY, "critical", over, rate, settings.maxAbandonedPercent(), f.abandoned,
                "Abandoned calls " + rate + " % for " + c.clientKey() + " (max " + settings.maxAbandonedPercent() + " %)", detail, j);
        if (over && !state.paused()) {
            Map<String, Object> ctx = new LinkedHashMap<>();
            ctx.put("abandoned", f.abandoned);
            ctx.put("answered", f.answered);
            ctx.put("abandonedPercent", rate);
            ctx.put("since", since.toString());
            ctx.put("to", to.toString());
            if (dialler.pause(c, "abandoned-call rate " + rate + " % (" + f.abandoned + " of " + f.answered + " live-answered calls " + window
                    + "; max " + settings.maxAbandonedPercent() + " %)", ctx)) {
                j.paused.add(c.clientKey());
            }
        }
    }

    /**
     * One condition: {@code alerts.condition(signal, active)}, where {@code active} is {@code over} (which
     * is false when too few calls were made to judge). The alert engine's trouble never stops the pass.
     */
    private void judge(Client c, String assistant, String metric, String period, String severity, boolean over, Object value, Object threshold, long count,
                       String title, String detail, Judgement j) {
        String group = "quality:" + c.clientKey() + ":" + assistant + ":" + metric;
        j.judged++;
        try {
            alerts.condition(new AlertSignal(group, "quality-" + metric.replace('_', '-'), severity, title, detail, "quality", "quality-run", null,
                    c.clientKey(), count), over);
        } catch (RuntimeException e) {
            LOG.error("[QUALITY] the alert of {} could not be raised: {}", group, e.toString());
        }
        if (over) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("group", group);
            m.put("clientKey", c.clientKey());
            m.put("assistantId", assistant);
            m.put("metric", metric);
            m.put("period", period);
            m.put("value", value);
            m.put("threshold", threshold);
            m.put("count", count);
            j.firing.add(m);
        }
    }
}
