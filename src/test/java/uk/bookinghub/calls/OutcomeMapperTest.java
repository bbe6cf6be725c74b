package uk.bookinghub.calls;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import uk.bookinghub.support.Jsons;

import static org.assertj.core.api.Assertions.assertThat;

/** endedReason and the assistant's analysis map to one business outcome; nothing unknown is an error. */
class OutcomeMapperTest {

    private static String map(String reason, String structured) {
        JsonNode d = structured == null ? null : Jsons.read(structured);
        return OutcomeMapper.map(reason, d);
    }

    @Test
    void telephonyReasons() {
        assertThat(map("customer-did-not-answer", null)).isEqualTo("no_answer");
        assertThat(map("call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable", null)).isEqualTo("no_answer");
        assertThat(map("voicemail", null)).isEqualTo("voicemail");
        assertThat(map("customer-busy", null)).isEqualTo("busy");
        assertThat(map("twilio-failed-to-connect-call", null)).isEqualTo("failed");
        assertThat(map("pipeline-error-openai-llm-failed", null)).isEqualTo("failed");
        assertThat(map("customer-ended-call", null)).isEqualTo("completed");
        assertThat(map("assistant-said-end-call-phrase", null)).isEqualTo("completed");
    }

    @Test
    void analysisWinsOverTheReason() {
        assertThat(map("customer-ended-call", "{\"outcome\":\"Booked\"}")).isEqualTo("booked");
        assertThat(map("assistant-ended-call", "{\"outcome\":\"not interested\"}")).isEqualTo("not_interested");
        assertThat(map("customer-ended-call", "{\"callbackRequested\":true}")).isEqualTo("callback_requested");
        assertThat(map("customer-ended-call", "{\"appointmentBooked\":\"yes\"}")).isEqualTo("booked");
        assertThat(map("customer-ended-call", "{\"outcome\":\"something odd\"}")).isEqualTo("completed");
    }

    @Test
    void unknownOrMissingReasonsMapToASafeDefault() {
        assertThat(map("a-reason-vapi-adds-next-year", null)).isEqualTo("completed");
        assertThat(map("call.start.error-something-new", null)).isEqualTo("failed");
        assertThat(map(null, null)).isEqualTo("completed");
        assertThat(map("hangup", "[1,2]")).isEqualTo("completed");
    }
}
