package uk.bookinghub.onboarding;

import com.fasterxml.jackson.databind.JsonNode;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The onboarding wizard's API, each step through the real hub and the stand-in providers: a step's good
 * input is saved and the status says so, bad input is a 400 naming the field with nothing saved; the
 * calendar check shows the busy blocks Google reported (or why not); the numbers check asks Vapi and
 * Twilio and saves only numbers both know; the test call is placed to the owner's phone, the stand-in
 * Vapi books by voice through the real booking tools, the confirmation reaches Twilio and is reported
 * delivered, the report arrives, the hub cancels the test booking and the status is complete. Another
 * client sees none of it and cannot take the first one's numbers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OnboardingApiTest {

    static final String HOURS = "{\"businessHours\":{\"mon\":[[\"09:00\",\"17:00\"]],\"tue\":[[\"09:00\",\"17:00\"]],\"wed\":[[\"09:00\",\"17:00\"]],"
            + "\"thu\":[[\"09:00\",\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]],\"sat\":[[\"09:00\",\"13:00\"]],\"sun\":[]},"
            + "\"slotMinutes\":60,\"minNoticeMinutes\":60,\"services\":[{\"name\":\"Boiler service\",\"minutes\":60,\"bufferMinutes\":15}]}";

    OnboardingFixture f;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        f = new OnboardingFixture(kind(), Map.of());
    }

    @AfterAll
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void theBusinessStepSavesProfileServicesAndPricesOrNamesWhatIsWrong() {
        String key = f.business("Biz Step Plumbing", "0113 496 0111");
        assertThat(f.step(key, "business").get("done").asBoolean()).isFalse();

        HttpResponse<String> bad = f.put("/api/onboarding/business", "{\"businessName\":\"Biz Step Plumbing\",\"industry\":\"plumbing\","
                + "\"timezone\":\"Mars/Olympus\",\"services\":[{\"name\":\"Boiler service\",\"minutes\":60},{\"name\":\"Repair\",\"minutes\":7,\"price\":80}]}", key);
        assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
        JsonNode fields = Jsons.read(bad.body()).path("fields");
        assertThat(fields.has("services[0].price")).as(bad.body()).isTrue();
        assertThat(fields.has("timezone")).as(bad.body()).isTrue();
        assertThat(fields.has("slotMinutes") || fields.has("services[1]") || fields.has("services[1].minutes")).as(bad.body()).isTrue();
        assertThat(f.get("/api/onboarding/business", key).body()).contains("\"services\":[]");

        HttpResponse<String> ok = f.put("/api/onboarding/business", "{\"businessName\":\"Biz Step Plumbing & Heating\",\"industry\":\"plumbing\","
                + "\"timezone\":\"Europe/London\",\"services\":[{\"name\":\"Boiler service\",\"minutes\":60,\"bufferMinutes\":15,\"price\":120},"
                + "{\"name\":\"Repair\",\"minutes\":90,\"price\":80.50}]}", key);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode saved = Jsons.read(ok.body());
        assertThat(saved.get("businessName").asText()).isEqualTo("Biz Step Plumbing & Heating");
        assertThat(saved.get("services")).hasSize(2);
        JsonNode settings = Jsons.read(f.get("/api/clients/biz-step-plumbing/settings", key).body());
        assertThat(settings.get("services").get(0).get("bufferMinutes").asInt()).isEqualTo(15);
        assertThat(settings.get("services").get(1).get("minutes").asInt()).isEqualTo(90);
        assertThat(settings.get("analytics").get("averageJobValue").decimalValue()).isEqualByComparingTo("100.25");
        assertThat(settings.get("analytics").get("services").get("Repair").decimalValue()).isEqualByComparingTo("80.50");
        assertThat(f.get("/api/clients/me", key).body()).contains("\"industry\":\"plumbing\"").contains("Biz Step Plumbing & Heating");
        assertThat(f.step(key, "business").get("done").asBoolean()).isTrue();
    }

    @Test
    void hoursAreTheSettingsAndThePreviewShowsTheSlotsTheToolsWouldOffer() {
        String key = f.business("Hours Heating", "0113 496 0112");
        assertThat(f.step(key, "hours").get("missing").toString()).contains("opening hours not saved yet");
        HttpResponse<String> put = f.put("/api/clients/hours-heating/settings", HOURS, key);
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(f.step(key, "hours").get("done").asBoolean()).isTrue();

        LocalDate monday = LocalDate.now(ZoneId.of("Europe/London")).plusDays(7).with(java.time.DayOfWeek.MONDAY);
        HttpResponse<String> r = f.get("/api/onboarding/slots-preview?from=" + monday + "&days=7", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode days = Jsons.read(r.body()).get("days");
        assertThat(days).hasSize(7);
        assertThat(days.get(0).get("date").asText()).isEqualTo(monday.toString());
        assertThat(days.get(0).get("times").get(0).asText()).isEqualTo("09:00");
        assertThat(days.get(0).get("times")).hasSize(8);   // 09:00 .. 16:00, 60-minute slots
        assertThat(days.get(5).get("times")).hasSize(4);   // Saturday 09:00 .. 12:00
        assertThat(days.get(6).get("times")).isEmpty();    // Sunday closed

        HttpResponse<String> tooMany = f.get("/api/onboarding/slots-preview?days=30", key);
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(tooMany.body()).contains("days");
        HttpResponse<String> badDate = f.get("/api/onboarding/slots-preview?from=next-monday", key);
        assertThat(badDate.statusCode()).isEqualTo(400);
        assertThat(badDate.body()).contains("from");
    }

    @Test
    void theCalendarCheckShowsTheBusyBlocksGoogleReportedOrWhyNot() {
        String key = f.business("Cal Clinic", "0113 496 0113");
        HttpResponse<String> none = f.post("/api/onboarding/calendar-check", "", key);
        assertThat(none.statusCode()).as(none.body()).isEqualTo(400);
        assertThat(none.body()).contains("googleCalendarId");

        Instant start = Instant.now().plus(Duration.ofDays(2)).truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        f.google.busy("owner@cal-clinic.example", start, start.plus(Duration.ofHours(2)));
        assertThat(f.put("/api/clients/cal-clinic/settings", "{\"googleCalendarId\":\"owner@cal-clinic.example\"}", key).statusCode()).isEqualTo(200);
        assertThat(f.step(key, "calendar").get("missing").toString()).contains("not checked");
        HttpResponse<String> ok = f.post("/api/onboarding/calendar-check", "", key);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode check = Jsons.read(ok.body());
        assertThat(check.get("ok").asBoolean()).as(ok.body()).isTrue();
        assertThat(check.get("busy")).hasSize(1);
        assertThat(Instant.parse(java.time.OffsetDateTime.parse(check.get("busy").get(0).get("start").asText()).toInstant().toString())).isEqualTo(start);
        assertThat(check.get("serviceAccountEmail").asText()).isEqualTo(OnboardingFixture.SERVICE_ACCOUNT);
        assertThat(f.step(key, "calendar").get("done").asBoolean()).isTrue();

        f.google.calendarNotFound("private@cal-clinic.example");
        f.put("/api/clients/cal-clinic/settings", "{\"googleCalendarId\":\"private@cal-clinic.example\"}", key);
        JsonNode refused = Jsons.read(f.post("/api/onboarding/calendar-check", "", key).body());
        assertThat(refused.get("ok").asBoolean()).isFalse();
        assertThat(refused.get("reason").asText()).contains("share it with");
        assertThat(f.step(key, "calendar").get("missing").toString()).contains("check failed");
    }

    @Test
    void theNumbersCheckAsksVapiAndTwilioAndSavesOnlyNumbersBothKnow() {
        String key = f.business("Numbers Salon", "0113 496 0114");
        f.vapi.addPhoneNumber("pn-numbers-salon", "+441134960500");
        f.twilio.addIncomingNumber("+441134960500");

        HttpResponse<String> malformed = f.post("/api/onboarding/numbers-check", "{\"smsFromNumber\":\"call me\"}", key);
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(Jsons.read(malformed.body()).path("fields").has("smsFromNumber")).as(malformed.body()).isTrue();

        HttpResponse<String> unknown = f.post("/api/onboarding/numbers-check", "{\"vapiPhoneNumberId\":\"pn-nobody\",\"smsFromNumber\":\"0113 496 0501\"}", key);
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(200);
        JsonNode u = Jsons.read(unknown.body());
        assertThat(u.get("ok").asBoolean()).isFalse();
        assertThat(u.get("vapi").get("reason").asText()).contains("no phone number pn-nobody");
        assertThat(u.get("twilio").get("reason").asText()).contains("not a number of the hub's Twilio account");
        assertThat(f.get("/api/clients/me", key).body()).contains("\"vapiPhoneNumberId\":null");
        assertThat(f.step(key, "assistant").get("done").asBoolean()).isFalse();

        HttpResponse<String> ok = f.post("/api/onboarding/numbers-check", "{\"vapiPhoneNumberId\":\"pn-numbers-salon\",\"smsFromNumber\":\"0113 496 0500\"}", key);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode o = Jsons.read(ok.body());
        assertThat(o.get("ok").asBoolean()).as(ok.body()).isTrue();
        assertThat(o.get("vapi").get("number").asText()).isEqualTo("+441134960500");
        assertThat(o.get("twilio").get("sid").asText()).startsWith("PN");
        assertThat(f.get("/api/clients/me", key).body()).contains("\"vapiPhoneNumberId\":\"pn-numbers-salon\"").contains("\"smsFromNumber\":\"+441134960500\"");
        assertThat(f.step(key, "assistant").get("done").asBoolean()).as(f.status(key).toString()).isTrue();

        // another business cannot take them: its calls and replies could not be told apart
        String other = f.business("Numbers Copycat", "0113 496 0115");
        HttpResponse<String> taken = f.post("/api/onboarding/numbers-check", "{\"vapiPhoneNumberId\":\"pn-numbers-salon\"}", other);
        assertThat(taken.statusCode()).isEqualTo(400);
        assertThat(Jsons.read(taken.body()).path("fields").get("vapiPhoneNumberId").asText()).contains("another business");
    }

    @Test
    void theTemplatePreviewChecksAsPutDoesAndFillsSampleData() {
        String key = f.business("Preview Barbers", "0113 496 0116");
        HttpResponse<String> ok = f.post("/api/templates/preview", "{\"kind\":\"confirmation\",\"channel\":\"sms\","
                + "\"body\":\"Hi {{customerName}}, see you {{appointmentDate}} at {{appointmentTime}} for your {{service}}. {{businessName}}\"}", key);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        String rendered = Jsons.read(ok.body()).get("rendered").get("body").asText();
        assertThat(rendered).startsWith("Hi Sam Sample, see you ").contains(" at 10am for your appointment. Preview Barbers");
        HttpResponse<String> bad = f.post("/api/templates/preview", "{\"kind\":\"confirmation\",\"channel\":\"sms\",\"body\":\"Hi {{firstName}}\"}", key);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("unknown placeholder {{firstName}}");
        HttpResponse<String> noKind = f.post("/api/templates/preview", "{\"channel\":\"sms\",\"body\":\"Hi\"}", key);
        assertThat(noKind.statusCode()).isEqualTo(400);
        assertThat(Jsons.read(noKind.body()).path("fields").has("kind")).isTrue();
        // the default follow-ups invite to the booking link: until there is one, the messages step says so
        assertThat(f.step(key, "messages").get("missing").toString()).contains("booking link");
        assertThat(f.put("/api/onboarding/business", "{\"businessName\":\"Preview Barbers\",\"industry\":\"barber\",\"services\":[{\"name\":\"Cut\","
                + "\"minutes\":30,\"price\":20}],\"bookingLink\":\"https://preview-barbers.example/book\"}", key).statusCode()).isEqualTo(200);
        assertThat(f.step(key, "messages").get("done").asBoolean()).as(f.status(key).toString()).isTrue();
    }

    @Test
    void aTestCallBooksByVoiceConfirmsByTextAndTheHubCancelsTheTestBooking() throws Exception {
        String owner = "+447700900417";
        String key = f.business("Test Call Plumbing", "07700 900417");
        f.simulator.answer(owner);
        HttpResponse<String> early = f.post("/api/onboarding/test-call", "", key);
        // with the hub's shared Vapi number the call can go at once; the business's own steps are what the status asks for
        assertThat(early.statusCode()).as(early.body()).isEqualTo(201);
        JsonNode placed = Jsons.read(early.body());
        long testId = placed.get("testId").asLong();
        String vapiCallId = placed.get("vapiCallId").asText();
        assertThat(f.vapi.callsTo(owner)).hasSize(1);
        JsonNode sent = f.vapi.callsTo(owner).get(0).body();
        assertThat(sent.get("assistantId").asText()).isEqualTo("asst-test-call-plumbing");
        assertThat(sent.get("phoneNumberId").asText()).isEqualTo("pn-default");
        assertThat(sent.path("assistantOverrides").path("variableValues").path("onboardingTestId").asText()).isEqualTo(String.valueOf(testId));

        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> f.step(key, "test").path("lastTestCall").path("status").asText(), s -> s.equals("finished") || s.equals("failed"));
        JsonNode test = f.step(key, "test");
        assertThat(test.get("done").asBoolean()).as(test.toString()).isTrue();
        JsonNode result = test.get("lastTestCall").get("result");
        assertThat(result.get("booked").asBoolean()).isTrue();
        assertThat(result.get("confirmation").asText()).isIn("sent", "delivered");
        long appointmentId = result.get("appointmentIds").get(0).asLong();

        // the booking was made through the real tools during that call, its confirmation went to the owner, then it was cancelled
        JsonNode appointment = Jsons.read(f.get("/api/appointments/" + appointmentId, key).body());
        assertThat(appointment.get("status").asText()).isEqualTo("cancelled");
        assertThat(f.twilio.sentTo(owner)).isNotEmpty();
        assertThat(f.twilio.sentTo(owner).get(0).body()).contains("Test Call Plumbing");
        assertThat(f.simulator.conversations().get(vapiCallId)).extracting(VapiCallSimulatorView::type)
                .containsExactly("status-update", "tool-calls", "tool-calls", "status-update", "end-of-call-report");
        // each step is an event of the client's stream
        try (Connection c = f.db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select step from onboarding_test_steps where test_call_id = " + testId + " order by id")) {
            StringBuilder steps = new StringBuilder();
            while (rs.next()) {
                steps.append(rs.getString(1)).append(' ');
            }
            assertThat(steps.toString()).contains("placed").contains("tool_call").contains("report").contains("finished");
        }
        try (Connection c = f.db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from events where type = 'onboarding_test'")) {
            rs.next();
            assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(5);
        }
        // a second test call while none is under way is allowed; the business's other steps still decide completeness
        assertThat(f.status(key).get("complete").asBoolean()).isFalse();

        // another business sees nothing of it
        String other = f.business("Test Call Bystander", "0113 496 0118");
        assertThat(f.step(other, "test").get("done").asBoolean()).isFalse();
        assertThat(f.get("/api/appointments/" + appointmentId, other).statusCode()).isEqualTo(404);
    }

    @Test
    void aTestCallThatCannotBePlacedSaysWhy() {
        // a business that signed itself up has no assistant until it makes one (step 4)
        String none = f.signUpAndVerify("No Assistant Yet", "o@no-assistant.example", "07700 900419");
        assertThat(f.get("/api/clients/me", none).body()).contains("\"state\":\"trial\"");
        assertThat(f.status(none).get("state").asText()).isEqualTo("trial");
        HttpResponse<String> noAssistant = f.post("/api/onboarding/test-call", "", none);
        assertThat(noAssistant.statusCode()).isEqualTo(409);
        assertThat(Jsons.read(noAssistant.body()).path("fields").has("assistant")).as(noAssistant.body()).isTrue();
        assertThat(f.vapi.callsTo("+447700900419")).isEmpty();

        String key = f.business("Refused Call Salon", "07700 900420");
        f.vapi.failNextTo("+447700900420", 1, 400, "phoneNumberId must be a valid phone number id");
        HttpResponse<String> refused = f.post("/api/onboarding/test-call", "", key);
        assertThat(refused.statusCode()).isEqualTo(502);
        assertThat(refused.body()).contains("Vapi refused the call (400)");
        JsonNode test = f.step(key, "test");
        assertThat(test.get("done").asBoolean()).isFalse();
        assertThat(test.get("lastTestCall").get("status").asText()).isEqualTo("failed");
        assertThat(test.get("missing").toString()).contains("Vapi refused the call");
    }

    @Test
    void everyStepThroughTheApiMakesTheStatusComplete() {
        String owner = "+447700900418";
        String key = f.business("Complete Dental", "07700 900418");
        f.simulator.answer(owner);
        assertThat(f.status(key).get("complete").asBoolean()).isFalse();
        assertThat(f.put("/api/onboarding/business", "{\"businessName\":\"Complete Dental\",\"industry\":\"dentist\",\"timezone\":\"Europe/London\","
                + "\"services\":[{\"name\":\"Check-up\",\"minutes\":30,\"price\":45}],\"bookingLink\":\"https://complete-dental.example\"}", key)
                .statusCode()).isEqualTo(200);
        assertThat(f.put("/api/clients/complete-dental/settings", "{\"businessHours\":{\"mon\":[[\"08:00\",\"18:00\"]],\"tue\":[[\"08:00\",\"18:00\"]],"
                + "\"wed\":[[\"08:00\",\"18:00\"]],\"thu\":[[\"08:00\",\"18:00\"]],\"fri\":[[\"08:00\",\"18:00\"]],\"sat\":[[\"08:00\",\"18:00\"]],"
                + "\"sun\":[[\"08:00\",\"18:00\"]]},\"slotMinutes\":30,\"services\":[{\"name\":\"Check-up\",\"minutes\":30}],"
                + "\"googleCalendarId\":\"diary@complete-dental.example\"}", key).statusCode()).isEqualTo(200);
        assertThat(Jsons.read(f.post("/api/onboarding/calendar-check", "", key).body()).get("ok").asBoolean()).isTrue();
        f.vapi.addPhoneNumber("pn-complete-dental", "+441134960600");
        f.twilio.addIncomingNumber("+441134960600");
        assertThat(Jsons.read(f.post("/api/onboarding/numbers-check", "{\"vapiPhoneNumberId\":\"pn-complete-dental\",\"smsFromNumber\":\"+441134960600\"}",
                key).body()).get("ok").asBoolean()).isTrue();
        assertThat(f.post("/api/onboarding/test-call", "", key).statusCode()).isEqualTo(201);
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> f.step(key, "test").path("lastTestCall").path("status").asText(), x -> x.equals("finished") || x.equals("failed"));
        assertThat(f.status(key).get("complete").asBoolean()).as(f.status(key).toString()).isTrue();
        JsonNode status = f.status(key);
        for (JsonNode s : status.get("steps")) {
            assertThat(s.get("done").asBoolean()).as(s.toString()).isTrue();
        }
        assertThat(status.get("hub").get("webhooks").get("vapiServerUrl").asText()).endsWith("/webhooks/vapi");
        assertThat(status.get("hub").get("dashboardUrl").asText()).endsWith("/dashboard");
        // the call went from the business's own number, the confirmation from its own sender
        assertThat(f.vapi.callsTo(owner).get(0).body().get("phoneNumberId").asText()).isEqualTo("pn-complete-dental");
    }

    /** The conversation's message types. */
    interface VapiCallSimulatorView {
        static String type(uk.bookinghub.support.VapiCallSimulator.Exchanged e) {
            return e.type();
        }
    }
}
