package uk.bookinghub.support;

/** Vapi server messages shaped as Vapi sends them (see shared/reference/protocols.md). */
public final class VapiReports {
    private VapiReports() {
    }

    /** An end-of-call report with every field the hub stores; {@code callFields} are extra JSON members of {@code call}. */
    public static String endOfCall(String callId, String callFields, String endedReason, String structuredData) {
        return endOfCall(callId, callFields, endedReason, structuredData, "2024-05-14T13:02:11.512Z", "2024-05-14T13:03:44.912Z");
    }

    /** The same, started and ended when given (ISO-8601 instants). */
    public static String endOfCall(String callId, String callFields, String endedReason, String structuredData, String startedAt, String endedAt) {
        return """
                {"message":{"type":"end-of-call-report","endedReason":"%s",
                 "call":{"id":"%s","orgId":"org-1","type":"outboundPhoneCall","customer":{"number":"07700 900123"}%s},
                 "startedAt":"%s","endedAt":"%s",
                 "cost":0.21,"costBreakdown":{"llm":0.09},
                 "analysis":{"summary":"Agreed to a survey on Thursday.","structuredData":%s,"successEvaluation":"true"},
                 "artifact":{"transcript":"AI: Hello\\nUser: Hi","recordingUrl":"https://storage.example.com/rec.wav"}}}
                """.formatted(endedReason, callId, callFields == null || callFields.isEmpty() ? "" : "," + callFields, startedAt, endedAt,
                structuredData == null ? "{}" : structuredData);
    }

    public static String forClient(String callId, String clientKey) {
        return endOfCall(callId, "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"" + clientKey + "\",\"leadId\":\"lead-7\"}}",
                "customer-ended-call", "{\"outcome\":\"booked\"}");
    }
}
