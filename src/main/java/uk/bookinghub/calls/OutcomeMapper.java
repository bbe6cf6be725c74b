package uk.bookinghub.calls;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;
import java.util.Set;

/**
 * A call's business outcome from Vapi's {@code endedReason} and the assistant's analysis.
 *
 * <p>Order: an explicit outcome in {@code analysis.structuredData} (an {@code outcome} field, or
 * {@code booked}/{@code appointmentBooked}/{@code callbackRequested} flags) wins; then the
 * telephony reason (no answer, voicemail, busy, failure); a conversation that ended normally is
 * {@code completed}. An unknown reason never fails a report: it is {@code failed} when it reads
 * like an error, else {@code completed}.
 */
public final class OutcomeMapper {

    public static final Set<String> OUTCOMES = Set.of("booked", "no_answer", "voicemail", "busy", "not_interested",
            "callback_requested", "completed", "failed");

    private OutcomeMapper() {
    }

    public static String map(String endedReason, JsonNode structuredData) {
        String explicit = fromStructuredData(structuredData);
        String reason = endedReason == null ? "" : endedReason.trim().toLowerCase(Locale.ROOT);
        String telephony = fromReason(reason);
        if (explicit != null) {
            return explicit;
        }
        return telephony;
    }

    static String fromStructuredData(JsonNode d) {
        if (d == null || !d.isObject()) {
            return null;
        }
        if (truthy(d.get("booked")) || truthy(d.get("appointmentBooked"))) {
            return "booked";
        }
        if (truthy(d.get("callbackRequested"))) {
            return "callback_requested";
        }
        JsonNode o = d.get("outcome");
        if (o == null || !o.isTextual()) {
            return null;
        }
        String v = o.asText().trim().toLowerCase(Locale.ROOT).replaceAll("[\\s-]+", "_");
        return switch (v) {
            case "booked", "appointment_booked", "booking_made", "scheduled" -> "booked";
            case "not_interested", "declined", "no_interest" -> "not_interested";
            case "callback_requested", "callback", "call_back", "call_back_later" -> "callback_requested";
            case "no_answer", "voicemail", "busy", "completed", "failed" -> v;
            default -> null;
        };
    }

    /** The telephony outcome of a lower-cased {@code endedReason} alone: no_answer, voicemail, busy, completed (a conversation) or failed. */
    public static String fromReason(String r) {
        if (r.isEmpty()) {
            return "completed";
        }
        if (r.equals("customer-did-not-answer") || r.contains("sip-408") || r.contains("sip-480")
                || r.contains("no-answer") || r.contains("did-not-answer")) {
            return "no_answer";
        }
        if (r.equals("voicemail") || r.contains("voicemail")) {
            return "voicemail";
        }
        if (r.equals("customer-busy") || r.contains("busy")) {
            return "busy";
        }
        if (r.startsWith("customer-ended-call") || r.startsWith("assistant-ended-call") || r.equals("assistant-said-end-call-phrase")
                || r.equals("assistant-forwarded-call") || r.equals("silence-timed-out") || r.equals("exceeded-max-duration")
                || r.equals("call.in-progress.twilio-completed-call")) {
            return "completed";
        }
        if (r.startsWith("call.start.error") || r.startsWith("call.in-progress.error") || r.startsWith("pipeline-error")
                || r.startsWith("assistant-not") || r.startsWith("assistant-request") || r.contains("failed")
                || r.contains("error") || r.contains("fault") || r.equals("worker-shutdown") || r.contains("misdialed")
                || r.equals("phone-call-provider-closed-websocket") || r.equals("manually-canceled")
                || r.equals("scheduled-call-deleted") || r.equals("call-deleted")) {
            return "failed";
        }
        return "completed";
    }

    private static boolean truthy(JsonNode n) {
        return n != null && (n.asBoolean(false) || "yes".equalsIgnoreCase(n.asText()));
    }
}
