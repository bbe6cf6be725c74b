package uk.bookinghub.monitoring;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One cause, one group: messages the hub really writes (the dialler, dead letters, Vapi refusals,
 * database errors, Twilio and mail failures, the HTTP error handler) fall into one group whatever
 * their ids, numbers, phone numbers, addresses, times and ports, and into different groups when the
 * route, the exception type, the HTTP status or the named constraint differs.
 */
class ErrorFingerprintTest {

    private static void same(String service, String route, String a, String b) {
        assertThat(ErrorFingerprint.of(service, route, a)).as("%s%n  and%n%s%n  normalised: %s | %s", a, b,
                ErrorFingerprint.normalise(a), ErrorFingerprint.normalise(b)).isEqualTo(ErrorFingerprint.of(service, route, b));
    }

    private static void different(String service, String route, String a, String b) {
        assertThat(ErrorFingerprint.of(service, route, a)).as("%s%n  and%n%s%n  normalised: %s", a, b, ErrorFingerprint.normalise(a))
                .isNotEqualTo(ErrorFingerprint.of(service, route, b));
    }

    @Test
    void theSameCauseWithOtherIdsNumbersPhonesAndEmailsIsOneGroup() {
        same("dialler", "dialler", "could not reserve dial attempt 3 of lead 12345: uk.bookinghub.store.StoreException: writing the attempt: "
                        + "ERROR: canceling statement due to statement timeout",
                "could not reserve dial attempt 1 of lead 99: uk.bookinghub.store.StoreException: writing the attempt: "
                        + "ERROR: canceling statement due to statement timeout");
        same("dead-letters", "analytics-record", "retries exhausted: org.apache.camel.http.base.HttpOperationFailedException: HTTP operation failed "
                        + "invoking http://127.0.0.1:39211/call with statusCode: 500",
                "retries exhausted: org.apache.camel.http.base.HttpOperationFailedException: HTTP operation failed invoking http://10.0.4.17:41234/call "
                        + "with statusCode: 500");
        same("vapi", "dial", "Vapi refused POST /call: Vapi 400: customer.number must be a valid phone number in the E.164 format.",
                "Vapi refused POST /call: Vapi 400: customer.number must be a valid phone number in the E.164 format.");
        same("vapi", "dialler-reconcile", "Vapi sent no end-of-call report for call 3f0c4a1e-8d1b-4c9e-9b7a-2f4f2c1d0a11 (lead 12) within 300 s: marked unknown",
                "Vapi sent no end-of-call report for call 00000000-0000-4000-a000-000000000abc (lead 987654321) within 600 s: marked unknown");
        same("messaging", "message-send", "Twilio 400: The 'To' number +447700900123 is not a valid phone number. (code 21211)",
                "Twilio 400: The 'To' number +44 7700 900456 is not a valid phone number. (code 21211)");
        same("messaging", "message-send", "message 42 is dead: SMTP 550 mailbox ann.smith+leads@example.co.uk unavailable",
                "message 7 is dead: SMTP 550 mailbox bob@plumbing.example unavailable");
        same("messaging", "twilio-status", "status callback for SM0123456789abcdef0123456789abcdef: unknown message",
                "status callback for SMfedcba9876543210fedcba9876543210: unknown message");
        same("http", "leads-import", "SQLException: ERROR: duplicate key value violates unique constraint \"leads_pkey\"\n  Detail: Key (id)=(123) already exists.",
                "SQLException: ERROR: duplicate key value violates unique constraint \"leads_pkey\"\n  Detail: Key (id)=(98765) already exists.");
        same("reminders", "reminders", "reminder for appointment 5 at 2026-05-14T13:05:00Z failed: call 07700 900123 back",
                "reminder for appointment 6 at 2026-12-01T09:30:00.123+01:00 failed: call 0113 496 0000 back");
        same("leads", "lead-intake", "leads 1, 2, 3 not found", "leads 40, 41 not found");
        same("http", "appointments-get", "NullPointerException: Cannot invoke \"String.length()\" because \"<local4>\" is null",
                "NullPointerException: Cannot invoke \"String.length()\" because \"<local7>\" is null");
        same("vapi", "vapi-webhooks", "Vapi call ended with an error: pipeline-error-openai-llm-failed", "VAPI call ended with an error:  pipeline-error-openai-llm-failed ");
    }

    @Test
    void aDifferentRouteExceptionTypeStatusOrConstraintIsAnotherGroup() {
        String m = "writing the attempt: connection refused";
        same("dialler", "dialler", m, m + " ");
        assertThat(ErrorFingerprint.of("dialler", "dialler", m)).as("another route").isNotEqualTo(ErrorFingerprint.of("dialler", "dial", m));
        assertThat(ErrorFingerprint.of("dialler", "dialler", m)).as("another service").isNotEqualTo(ErrorFingerprint.of("vapi", "dialler", m));
        different("http", "leads-list", "StoreException: reading leads failed", "IllegalStateException: reading leads failed");
        different("http", "leads-list", "retries exhausted: java.net.SocketTimeoutException: Read timed out",
                "retries exhausted: java.net.ConnectException: Read timed out");
        different("vapi", "dial", "Vapi refused POST /call: Vapi 400: bad request", "Vapi refused POST /call: Vapi 401: bad request");
        different("dead-letters", "analytics-record", "HTTP operation failed invoking http://127.0.0.1:1/call with statusCode: 500",
                "HTTP operation failed invoking http://127.0.0.1:1/call with statusCode: 503");
        different("messaging", "message-send", "Twilio 400: invalid number (code 21211)", "Twilio 400: invalid number (code 21614)");
        different("http", "x", "duplicate key value violates unique constraint \"leads_pkey\"", "duplicate key value violates unique constraint \"calls_pkey\"");
        different("vapi", "vapi-webhooks", "Vapi call ended with an error: call.in-progress.error-providerfault-outbound-sip-503-service-unavailable",
                "Vapi call ended with an error: call.in-progress.error-providerfault-outbound-sip-486-busy-here");
        different("vapi", "vapi-webhooks", "Vapi call ended with an error: pipeline-error-openai-llm-failed",
                "Vapi call ended with an error: pipeline-error-deepgram-transcriber-failed");
        different("vapi", "vapi-webhooks", "Vapi webhook matched no client by assistantId", "Vapi webhook matched no client by phoneNumberId");
    }

    @Test
    void theNormalisedFormShowsWhatWasStripped() {
        assertThat(ErrorFingerprint.normalise("Timeout after 3000 ms calling lead 12345 (+447700900123, ann@example.com) at 2026-05-14T13:02:11.512Z?x=1"))
                .isEqualTo("timeout after <n> ms calling lead <n> (<phone>, <email>) at <time>?<query>");
        assertThat(ErrorFingerprint.normalise("retries exhausted: org.apache.camel.http.base.HttpOperationFailedException: HTTP operation failed"))
                .isEqualTo("retries exhausted: httpoperationfailedexception: http operation failed");
        assertThat(ErrorFingerprint.normalise("assistantId 'asst-3f0c4a1e' matches no client; clientKey 'acme' matches no client"))
                .isEqualTo("assistantid <value> matches no client; clientkey 'acme' matches no client");
        assertThat(ErrorFingerprint.normalise(null)).isEmpty();
    }

    @Test
    void theExceptionTypeIsFoundAnywhereWithoutItsPackage() {
        assertThat(ErrorFingerprint.exceptionType("StoreException: writing")).isEqualTo("StoreException");
        assertThat(ErrorFingerprint.exceptionType("retries exhausted: org.apache.camel.http.base.HttpOperationFailedException: HTTP 500"))
                .isEqualTo("HttpOperationFailedException");
        assertThat(ErrorFingerprint.exceptionType("could not reserve dial attempt 3 of lead 5: uk.bookinghub.store.StoreException: x")).isEqualTo("StoreException");
        assertThat(ErrorFingerprint.exceptionType("ERROR: relation does not exist")).isEmpty();
        assertThat(ErrorFingerprint.of("s", "r", "x")).matches("[0-9a-f]{16}");
        assertThat(ErrorFingerprint.valid(ErrorFingerprint.of("s", "r", "x"))).isTrue();
        assertThat(ErrorFingerprint.valid("XYZ")).isFalse();
    }
}
