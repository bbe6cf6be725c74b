package uk.bookinghub.calls;

import java.math.BigDecimal;
import java.time.Instant;

/** A write to the {@code calls} table that a Vapi webhook carries. */
public sealed interface CallWrite permits CallWrite.EndOfCall, CallWrite.Status, CallStore.Report {

    String vapiCallId();

    /** An end-of-call report: every field of the call, final. {@code assistantId}: Vapi's {@code call.assistantId}, or null. */
    record EndOfCall(String vapiCallId, Long clientId, String clientKey, String tenantRule, String leadId, String customerNumber,
                     String endedReason, String outcome, String successEvaluation, Instant startedAt, Instant endedAt,
                     BigDecimal durationSeconds, BigDecimal cost, String summary, String transcript, String recordingUrl,
                     String structuredData, String assistantId, Instant receivedAt) implements CallWrite {
    }

    /** A status update: moves the call's status forward only (callbacks can arrive out of order); {@code assistantId} as above. */
    record Status(String vapiCallId, Long clientId, String tenantRule, String customerNumber, String status, int statusRank,
                  String endedReason, String assistantId, Instant receivedAt) implements CallWrite {
    }
}
