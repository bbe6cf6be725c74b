package uk.bookinghub.clients;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.api.Params;
import uk.bookinghub.http.JsonBodies;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Matches a Vapi webhook to its client, in this order: {@code assistantOverrides.variableValues.clientKey},
 * {@code metadata.clientKey} (on the call or its overrides), the call's {@code phoneNumberId}, its
 * {@code assistantId}. Keeps the latest resolutions, and counts by rule, for
 * {@code GET /monitor/tenant-resolution}.
 */
public final class TenantResolver {

    /** The outcome: the client (empty when unmatched), the rule that matched, and why others did not. */
    public record Resolution(Optional<Client> client, String rule, String detail) {
        public Long clientId() {
            return client.map(Client::id).orElse(null);
        }

        public String clientKey() {
            return client.map(Client::clientKey).orElse(null);
        }
    }

    /** Told of every webhook no client matched: the rules that had a value (and matched nothing), and why. */
    @FunctionalInterface
    public interface Unmatched {
        void seen(String vapiCallId, String messageType, List<String> triedRules, String detail, JsonNode call);
    }

    public static final String UNMATCHED = "unmatched";
    private volatile Unmatched unmatched = (id, type, tried, detail, call) -> {
    };
    private final ClientStore clients;
    private final Clock clock;
    private final int keep;
    private final Deque<Map<String, Object>> recent = new ArrayDeque<>();
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    public TenantResolver(ClientStore clients, Clock clock, int keep) {
        this.clients = clients;
        this.clock = clock;
        this.keep = keep;
    }

    /** Where an unmatched webhook is reported (the Vapi failures of the error log). */
    public void onUnmatched(Unmatched listener) {
        this.unmatched = listener;
    }

    public Resolution resolve(JsonNode call, String messageType) {
        List<String> misses = new ArrayList<>();
        List<String> tried = new ArrayList<>();
        JsonNode overrides = call == null ? null : call.get("assistantOverrides");
        String varKey = JsonBodies.text(overrides == null ? null : overrides.get("variableValues"), "clientKey");
        String metaKey = JsonBodies.text(call == null ? null : call.get("metadata"), "clientKey");
        if (metaKey == null) {
            metaKey = JsonBodies.text(overrides == null ? null : overrides.get("metadata"), "clientKey");
        }
        Resolution r = tryRule("variableValues.clientKey", varKey, clients::byKey, misses, tried);
        if (r == null) {
            r = tryRule("metadata.clientKey", metaKey, clients::byKey, misses, tried);
        }
        if (r == null) {
            r = tryRule("phoneNumberId", JsonBodies.text(call, "phoneNumberId"), clients::byVapiPhoneNumberId, misses, tried);
        }
        if (r == null) {
            r = tryRule("assistantId", JsonBodies.text(call, "assistantId"), clients::byVapiAssistantId, misses, tried);
        }
        if (r == null) {
            r = new Resolution(Optional.empty(), UNMATCHED, misses.isEmpty()
                    ? "the call carries no clientKey, phoneNumberId or assistantId" : String.join("; ", misses));
        }
        String callId = call == null ? null : JsonBodies.text(call, "id");
        remember(r, callId, messageType);
        if (r.client().isEmpty()) {
            unmatched.seen(callId, messageType, tried, r.detail(), call);
        }
        return r;
    }

    private static Resolution tryRule(String rule, String value, java.util.function.Function<String, Optional<Client>> lookup, List<String> misses,
                                      List<String> tried) {
        if (value == null) {
            return null;
        }
        tried.add(rule);
        Optional<Client> c = lookup.apply(value);
        if (c.isPresent()) {
            return new Resolution(c, rule, rule + " = " + value);
        }
        misses.add(rule + " '" + value + "' matches no client");
        return null;
    }

    private void remember(Resolution r, String callId, String messageType) {
        counts.computeIfAbsent(r.rule(), k -> new LongAdder()).increment();
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("at", clock.instant().toString());
        entry.put("vapiCallId", callId);
        entry.put("messageType", messageType);
        entry.put("matched", r.client().isPresent());
        entry.put("rule", r.rule());
        entry.put("clientKey", r.clientKey());
        entry.put("detail", r.detail());
        synchronized (recent) {
            recent.addFirst(entry);
            while (recent.size() > keep) {
                recent.removeLast();
            }
        }
    }

    /**
     * For {@code GET /monitor/tenant-resolution?limit=&unmatched=}: counts by rule since start and the latest
     * {@code limit} (default 50) resolutions, newest first, or only the unmatched ones.
     */
    public Map<String, Object> report(Params params) {
        Long limit = params.whole("limit");
        Boolean unmatchedOnly = params.flag("unmatched");
        int n = limit == null || limit <= 0 ? 50 : (int) Math.min(limit, keep);
        List<Map<String, Object>> list = new ArrayList<>();
        synchronized (recent) {
            for (Map<String, Object> e : recent) {
                if (Boolean.TRUE.equals(unmatchedOnly) && Boolean.TRUE.equals(e.get("matched"))) {
                    continue;
                }
                if (list.size() >= n) {
                    break;
                }
                list.add(e);
            }
        }
        Map<String, Long> byRule = new LinkedHashMap<>();
        counts.forEach((k, v) -> byRule.put(k, v.sum()));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rules", List.of("variableValues.clientKey", "metadata.clientKey", "phoneNumberId", "assistantId"));
        out.put("countsSinceStart", byRule);
        out.put("recent", list);
        return out;
    }
}
