package uk.bookinghub.calls;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.monitoring.ErrorLog;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Vapi failures seen on the webhook, recorded in the error log with service {@code vapi} and the
 * call, lead and client in the context (as the original {@code trackVapiFailure} did), severity
 * {@code error}: an end-of-call report whose {@code endedReason} is an error kind
 * ({@link #isErrorReason}), and a webhook no client matched (an unknown assistant or phone number).
 * Each call is recorded once per kind on this instance (Vapi's retried deliveries, and the several
 * messages of one unmatched call, are not logged again). The dialler records its own
 * ({@code POST /call} refused or failing after its retries, a call with no end-of-call report).
 */
public final class VapiFailures {

    public static final String SERVICE = "vapi";
    private static final int REMEMBER = 4096;

    private final ErrorLog errors;
    private final Map<String, Boolean> recorded = java.util.Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBER;
        }
    });

    public VapiFailures(ErrorLog errors) {
        this.errors = errors;
    }

    /**
     * Whether an {@code endedReason} says the call failed at Vapi's or a provider's end (protocols.md
     * §1.9): {@code pipeline-error-*}, {@code assistant-error}, {@code call.start.error-*},
     * {@code call.in-progress.error-*} (vapifault, providerfault), {@code assistant-not-*},
     * {@code assistant-request-*}, {@code assistant-join-timed-out}, any {@code *-error} /
     * {@code *-error-*}, {@code worker-shutdown}, {@code phone-call-provider-closed-websocket},
     * {@code *-failed-to-connect-*}. A carrier's no answer, busy or voicemail (SIP 408 / 480, ...) is
     * the customer's side, not an error.
     */
    public static boolean isErrorReason(String endedReason) {
        if (endedReason == null || endedReason.isBlank()) {
            return false;
        }
        String r = endedReason.trim().toLowerCase(Locale.ROOT);
        String outcome = OutcomeMapper.fromReason(r);
        if (outcome.equals("no_answer") || outcome.equals("busy") || outcome.equals("voicemail")) {
            return false;
        }
        return r.startsWith("pipeline-error") || r.startsWith("assistant-error") || r.startsWith("call.start.error")
                || r.startsWith("call.in-progress.error") || r.startsWith("assistant-not-") || r.startsWith("assistant-request-")
                || r.equals("assistant-join-timed-out") || r.contains("vapifault") || r.contains("providerfault")
                || r.endsWith("-error") || r.contains("-error-") || r.equals("worker-shutdown")
                || r.equals("phone-call-provider-closed-websocket") || r.contains("failed-to-connect");
    }

    /** Step after a stored end-of-call report (routes/vapi-webhooks.camel.yaml): an error kind is logged. */
    public void endOfCall(EndOfCallResult r) {
        CallWrite.EndOfCall w = r.call();
        if (!isErrorReason(w.endedReason()) || !first("report:" + w.vapiCallId())) {
            return;
        }
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("vapiCallId", w.vapiCallId());
        context.put("clientKey", w.clientKey());
        context.put("clientId", w.clientId());
        Long dialled = r.facts() == null ? null : r.facts().dialledLeadId();
        context.put("leadId", w.leadId() != null ? w.leadId() : dialled == null ? null : String.valueOf(dialled));
        context.put("endedReason", w.endedReason());
        context.put("outcome", w.outcome());
        context.put("tenantRule", w.tenantRule());
        context.put("startedAt", w.startedAt() == null ? null : w.startedAt().toString());
        context.put("endedAt", w.endedAt() == null ? null : w.endedAt().toString());
        errors.record("error", SERVICE, "Vapi call ended with an error: " + w.endedReason(), "vapi-webhooks", context);
    }

    /**
     * A webhook no client matched (clients.TenantResolver): logged once per call. The message names
     * the rules that had a value and matched nothing ("matched no client by assistantId": an
     * assistant no client has), the values are in the context.
     */
    public void unmatched(String vapiCallId, String messageType, List<String> triedRules, String detail, JsonNode call) {
        if (vapiCallId != null && !first("unmatched:" + vapiCallId)) {
            return;
        }
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("vapiCallId", vapiCallId);
        context.put("messageType", messageType);
        context.put("assistantId", text(call, "assistantId"));
        context.put("phoneNumberId", text(call, "phoneNumberId"));
        context.put("clientKey", text(call == null ? null : call.path("assistantOverrides").path("variableValues"), "clientKey"));
        context.put("leadId", text(call == null ? null : call.path("assistantOverrides").path("variableValues"), "leadId"));
        context.put("detail", detail);
        String message = triedRules.isEmpty() ? "Vapi webhook matched no client: the call carries no clientKey, phoneNumberId or assistantId"
                : "Vapi webhook matched no client by " + String.join(", ", triedRules);
        errors.record("error", SERVICE, message, "vapi-webhooks", context);
    }

    private boolean first(String key) {
        return recorded.putIfAbsent(key, Boolean.TRUE) == null;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() || v.isContainerNode() ? null : v.asText();
    }
}
