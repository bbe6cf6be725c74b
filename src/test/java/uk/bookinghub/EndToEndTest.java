package uk.bookinghub;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.GoogleCalendarStub;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.TwilioStub;
import uk.bookinghub.support.VapiReports;
import uk.bookinghub.support.VapiStub;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The product's main path on PostgreSQL, every partner a local stand-in: a web-form lead arrives,
 * the dialler calls it through Vapi, during the call the assistant checks availability and books,
 * the confirmation goes out by SMS through Twilio, the event lands in Google Calendar, and the
 * end-of-call report closes the call as booked.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndToEndTest {

    private TestDatabase db;
    private RunningHub hub;
    private VapiStub vapi;
    private TwilioStub twilio;
    private GoogleCalendarStub google;
    private String key;

    @BeforeAll
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRESQL);
        vapi = VapiStub.start("vapi-key");
        twilio = TwilioStub.start("AC0123456789abcdef0123456789abcdef", "twilio-token");
        google = GoogleCalendarStub.start();
        Map<String, String> o = new LinkedHashMap<>();
        o.put("vapi.private-key", "vapi-key");
        o.put("vapi.base-url", vapi.baseUrl());
        o.put("twilio.account-sid", "AC0123456789abcdef0123456789abcdef");
        o.put("twilio.auth-token", "twilio-token");
        o.put("twilio.base-url", twilio.baseUrl());
        o.put("google.base-url", google.baseUrl());
        hub = RunningHub.start(db.hubUrl(), o);
        key = hub.onboard("{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\","
                + "\"vapiAssistantId\":\"asst-leeds\",\"vapiPhoneNumberId\":\"pn-leeds\",\"smsFromNumber\":\"07700 900999\"}");
        HttpResponse<String> s = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/leeds-plumbing/settings")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"googleCalendarId\":\"leeds@calendar\",\"calling\":{\"instantCalling\":true,"
                        + "\"windows\":{\"mon\":[[\"00:00\",\"23:59:59\"]],\"tue\":[[\"00:00\",\"23:59:59\"]],\"wed\":[[\"00:00\",\"23:59:59\"]],"
                        + "\"thu\":[[\"00:00\",\"23:59:59\"]],\"fri\":[[\"00:00\",\"23:59:59\"]],\"sat\":[[\"00:00\",\"23:59:59\"]],"
                        + "\"sun\":[[\"00:00\",\"23:59:59\"]]},\"skipBankHolidays\":false}}"))
                .header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(s.statusCode()).as(s.body()).isEqualTo(200);
    }

    @AfterAll
    void stop() {
        hub.close();
        vapi.close();
        twilio.close();
        google.close();
        db.close();
    }

    @Test
    void aWebFormLeadIsCalledBooksAndIsConfirmed() {
        String phone = "+447700900444";
        // 1. the web form: instant calling is on for this client
        HttpResponse<String> lead = hub.post("/api/leads", "application/json", "{\"name\":\"Ann\",\"phone\":\"07700 900444\",\"email\":\"ann@customer.example\"}",
                "X-API-Key", key);
        assertThat(lead.statusCode()).as(lead.body()).isEqualTo(201);
        long leadId = Jsons.read(lead.body()).get("lead").get("id").asLong();

        // 2. the dialler places the call
        await().atMost(Duration.ofSeconds(10)).until(() -> !vapi.callsTo(phone).isEmpty());
        VapiStub.CallRequest call = vapi.callsTo(phone).get(0);
        String callId = call.callId();
        JsonNode vars = call.body().get("assistantOverrides").get("variableValues");
        assertThat(vars.get("leadId").asText()).isEqualTo(String.valueOf(leadId));

        // 3. during the call the assistant asks for times and books one (Vapi echoes the call's variables)
        LocalDate day = LocalDate.now(ZoneId.of("Europe/London")).plusDays(10).with(TemporalAdjusters.next(DayOfWeek.TUESDAY));
        String callJson = "\"call\":{\"id\":\"" + callId + "\",\"assistantOverrides\":" + call.body().get("assistantOverrides") + ",\"customer\":{\"number\":\"" + phone + "\"}}";
        JsonNode free = tools("{\"message\":{\"type\":\"tool-calls\"," + callJson + ",\"toolCallList\":[{\"id\":\"t1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"checkAvailability\",\"arguments\":\"{\\\"date\\\":\\\"" + day + "\\\"}\"}}]}}");
        assertThat(free.get("result").asText()).contains("9am");
        JsonNode booked = tools("{\"message\":{\"type\":\"tool-calls\"," + callJson + ",\"toolCallList\":[{\"id\":\"t2\",\"type\":\"function\","
                + "\"function\":{\"name\":\"bookAppointment\",\"arguments\":{\"start\":\"" + day + "T10:00\",\"name\":\"Ann\",\"phone\":\"07700 900444\","
                + "\"email\":\"ann@customer.example\"}}}]}}");
        assertThat(booked.get("result").asText()).startsWith("Booked an appointment for Ann");

        // 4. the confirmation SMS reaches Twilio from the client's number; the event reaches Google
        await().atMost(Duration.ofSeconds(10)).until(() -> !twilio.sentTo(phone).isEmpty());
        assertThat(twilio.sentTo(phone).get(0).body()).contains("Leeds Plumbing", "10am");
        assertThat(twilio.sentTo(phone).get(0).from()).isEqualTo("+447700900999");
        await().atMost(Duration.ofSeconds(10)).until(() -> !google.activeEvents("leeds@calendar").isEmpty());

        // 5. the end-of-call report: the call is booked, the lead too
        HttpResponse<String> report = hub.postVapi(VapiReports.endOfCall(callId, "\"assistantOverrides\":" + call.body().get("assistantOverrides"),
                "customer-ended-call", null));
        assertThat(Jsons.read(report.body()).get("outcome").asText()).isEqualTo("booked");
        JsonNode leadNow = Jsons.read(hub.get("/api/leads/" + leadId, "X-API-Key", key).body());
        assertThat(leadNow.toString()).contains("\"booked\"");
        JsonNode appts = Jsons.read(hub.get("/api/appointments?status=booked", "X-API-Key", key).body()).get("items");
        assertThat(appts).hasSize(1);
        assertThat(appts.get(0).get("leadId").asLong()).isEqualTo(leadId);
        assertThat(appts.get(0).get("vapiCallId").asText()).isEqualTo(callId);
        assertThat(vapi.callsTo(phone)).hasSize(1);
    }

    private JsonNode tools(String body) {
        HttpResponse<String> r = hub.postVapi(body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body()).get("results").get(0);
    }
}
