package uk.bookinghub.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.api.client.googleapis.json.GoogleJsonResponseException;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.client.util.DateTime;
import com.google.api.services.calendar.Calendar;
import com.google.api.services.calendar.model.Event;
import com.google.api.services.calendar.model.EventDateTime;
import com.google.api.services.calendar.model.FreeBusyRequest;
import com.google.api.services.calendar.model.FreeBusyRequestItem;
import com.google.api.services.calendar.model.FreeBusyResponse;
import com.google.api.services.calendar.model.TimePeriod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Drives {@link GoogleCalendarStub} with the real google-api-java-client and {@link VapiStub} with java.net.http. */
class PartnerStubsTest {

    private static final String VAPI_KEY = "vapi-private-key-123";
    private static final String CUSTOMER = "+447700900123";
    private static final String ASSISTANT = "5b0a4a08-133c-4146-9315-0984f8c6be80";
    private static final String PHONE_NUMBER = "42b4b25d-031e-4786-857f-63b346c9580f";
    private static final Instant DAY_START = Instant.parse("2026-12-01T09:00:00Z");
    private static final Instant DAY_END = Instant.parse("2026-12-01T17:00:00Z");

    private GoogleCalendarStub google;
    private VapiStub vapi;
    private Calendar calendar;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() {
        google = GoogleCalendarStub.start();
        vapi = VapiStub.start(VAPI_KEY);
        calendar = new Calendar.Builder(new NetHttpTransport(), GsonFactory.getDefaultInstance(),
                req -> req.getHeaders().setAuthorization("Bearer x"))
                .setRootUrl(google.baseUrl() + "/").setApplicationName("test").build();
    }

    @AfterEach
    void stop() {
        google.close();
        vapi.close();
    }

    // ------------------------------------------------------------------ Google Calendar, real client

    @Test
    void freeBusyReportsScriptedBlocksAndStoredEventsThroughTheRealClient() throws IOException {
        google.busy("primary", Instant.parse("2026-12-01T10:00:00Z"), Instant.parse("2026-12-01T10:30:00Z"));
        google.busy("primary", Instant.parse("2026-12-01T08:00:00Z"), Instant.parse("2026-12-01T09:15:00Z")); // clipped
        calendar.events().insert("primary", event("fbevent00001", "2026-12-01T10:30:00Z", "2026-12-01T11:00:00Z"))
                .execute(); // adjacent to the 10:00 block → merged

        FreeBusyResponse res = calendar.freebusy().query(new FreeBusyRequest()
                .setTimeMin(new DateTime(DAY_START.toEpochMilli()))
                .setTimeMax(new DateTime(DAY_END.toEpochMilli()))
                .setTimeZone("UTC")
                .setItems(List.of(new FreeBusyRequestItem().setId("primary"),
                        new FreeBusyRequestItem().setId("other@example.com")))).execute();

        List<TimePeriod> busy = res.getCalendars().get("primary").getBusy();
        assertThat(busy).hasSize(2);
        assertThat(busy.get(0).getStart().getValue()).isEqualTo(DAY_START.toEpochMilli());
        assertThat(busy.get(0).getEnd().getValue()).isEqualTo(Instant.parse("2026-12-01T09:15:00Z").toEpochMilli());
        assertThat(busy.get(1).getStart().getValue()).isEqualTo(Instant.parse("2026-12-01T10:00:00Z").toEpochMilli());
        assertThat(busy.get(1).getEnd().getValue()).isEqualTo(Instant.parse("2026-12-01T11:00:00Z").toEpochMilli());
        assertThat(res.getCalendars().get("other@example.com").getBusy()).isEmpty();
        assertThat(res.getKind()).isEqualTo("calendar#freeBusy");

        GoogleCalendarStub.Request req = google.requests("POST", "/calendar/v3/freeBusy").get(0);
        assertThat(req.authorization()).isEqualTo("Bearer x");
        assertThat(req.status()).isEqualTo(200);
        assertThat(req.json().path("items").get(0).path("id").asText()).isEqualTo("primary");
    }

    @Test
    void freeBusyReportsNotFoundCalendarsInsideThe200() throws IOException {
        google.calendarNotFound("gone@example.com");
        FreeBusyResponse res = calendar.freebusy().query(new FreeBusyRequest()
                .setTimeMin(new DateTime(DAY_START.toEpochMilli())).setTimeMax(new DateTime(DAY_END.toEpochMilli()))
                .setItems(List.of(new FreeBusyRequestItem().setId("gone@example.com")))).execute();
        assertThat(res.getCalendars().get("gone@example.com").getErrors().get(0).getReason()).isEqualTo("notFound");
    }

    @Test
    void insertWithFixedIdThenSameIdIsA409Duplicate() throws IOException {
        Event created = calendar.events()
                .insert("primary", event("hubbooking000001", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
                        .setSummary("Boiler service"))
                .execute();
        assertThat(created.getId()).isEqualTo("hubbooking000001");
        assertThat(created.getStatus()).isEqualTo("confirmed");
        assertThat(created.getHtmlLink()).startsWith("https://www.google.com/calendar/event?eid=");
        assertThat(created.getEtag()).isNotBlank();
        assertThat(created.getCreated()).isNotNull();
        assertThat(created.getUpdated()).isNotNull();

        GoogleJsonResponseException dup = catchThrowableOfType(GoogleJsonResponseException.class,
                () -> calendar.events().insert("primary",
                        event("hubbooking000001", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")).execute());
        assertThat(dup.getStatusCode()).isEqualTo(409);
        assertThat(dup.getDetails().getErrors().get(0).getReason()).isEqualTo("duplicate");
        assertThat(dup.getDetails().getMessage()).isEqualTo("The requested identifier already exists.");

        assertThat(google.insertCount()).isEqualTo(1);
        assertThat(google.events("primary")).containsOnlyKeys("hubbooking000001");
        assertThat(google.events("primary").get("hubbooking000001").path("summary").asText())
                .isEqualTo("Boiler service");

        Event generated = calendar.events()
                .insert("primary", event(null, "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")).execute();
        assertThat(generated.getId()).matches("[a-v0-9]{26}");
        assertThat(calendar.events().list("primary").execute().getItems()).extracting(Event::getId)
                .containsExactly("hubbooking000001", generated.getId());
    }

    @Test
    void insertValidatesIdAndTimes() {
        GoogleJsonResponseException badId = catchThrowableOfType(GoogleJsonResponseException.class,
                () -> calendar.events().insert("primary",
                        event("Not-A-Base32hex-Id", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")).execute());
        assertThat(badId.getStatusCode()).isEqualTo(400);
        assertThat(badId.getDetails().getErrors().get(0).getReason()).isEqualTo("invalid");

        GoogleJsonResponseException backwards = catchThrowableOfType(GoogleJsonResponseException.class,
                () -> calendar.events().insert("primary",
                        event("backrange01", "2026-12-01T11:00:00Z", "2026-12-01T10:00:00Z")).execute());
        assertThat(backwards.getStatusCode()).isEqualTo(400);
        assertThat(backwards.getDetails().getErrors().get(0).getReason()).isEqualTo("timeRangeEmpty");

        GoogleJsonResponseException noEnd = catchThrowableOfType(GoogleJsonResponseException.class,
                () -> calendar.events().insert("primary", new Event().setId("noend0001")
                        .setStart(new EventDateTime().setDateTime(new DateTime("2026-12-01T10:00:00Z"))))
                        .execute());
        assertThat(noEnd.getStatusCode()).isEqualTo(400);
        assertThat(noEnd.getDetails().getErrors().get(0).getReason()).isEqualTo("required");
        assertThat(google.insertCount()).isZero();
    }

    @Test
    void patchMergesFieldsAndGetReturnsTheResult() throws IOException {
        calendar.events().insert("team@group.calendar.google.com",
                event("patchme0001", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
                        .setSummary("Old").setDescription("kept")).execute();

        Event patched = calendar.events().patch("team@group.calendar.google.com", "patchme0001",
                new Event().setSummary("New")).execute();
        assertThat(patched.getSummary()).isEqualTo("New");
        assertThat(patched.getDescription()).isEqualTo("kept");

        Event fetched = calendar.events().get("team@group.calendar.google.com", "patchme0001").execute();
        assertThat(fetched.getSummary()).isEqualTo("New");
        assertThat(google.events("team@group.calendar.google.com").get("patchme0001").path("summary").asText())
                .isEqualTo("New");
        assertThat(google.requests()).extracting(GoogleCalendarStub.Request::method).contains("PATCH");

        Event replaced = calendar.events().update("team@group.calendar.google.com", "patchme0001",
                event(null, "2026-12-01T14:00:00Z", "2026-12-01T15:00:00Z").setSummary("Replaced")).execute();
        assertThat(replaced.getSummary()).isEqualTo("Replaced");
        assertThat(replaced.getDescription()).isNull();
        assertThat(replaced.getId()).isEqualTo("patchme0001");

        GoogleJsonResponseException missing = catchThrowableOfType(GoogleJsonResponseException.class,
                () -> calendar.events().patch("team@group.calendar.google.com", "missing0001",
                        new Event().setSummary("x")).execute());
        assertThat(missing.getStatusCode()).isEqualTo(404);
        assertThat(missing.getDetails().getErrors().get(0).getReason()).isEqualTo("notFound");
    }

    @Test
    void deleteCancelsTheEventAndASecondDeleteIs410() throws IOException {
        calendar.events().insert("primary", event("deleteme001", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"))
                .execute();
        calendar.events().delete("primary", "deleteme001").execute();

        assertThat(google.events("primary").get("deleteme001").path("status").asText()).isEqualTo("cancelled");
        assertThat(google.activeEvents("primary")).isEmpty();
        assertThat(calendar.events().list("primary").execute().getItems()).isEmpty();
        assertThat(calendar.events().list("primary").setShowDeleted(true).execute().getItems()).hasSize(1);
        assertThat(google.requests("DELETE", "/calendar/v3/calendars/primary/events/deleteme001").get(0).status())
                .isEqualTo(204);

        GoogleJsonResponseException again = catchThrowableOfType(GoogleJsonResponseException.class,
                () -> calendar.events().delete("primary", "deleteme001").execute());
        assertThat(again.getStatusCode()).isEqualTo(410);
        assertThat(again.getDetails().getErrors().get(0).getReason()).isEqualTo("deleted");

        // a cancelled event is no longer busy
        FreeBusyResponse fb = calendar.freebusy().query(new FreeBusyRequest()
                .setTimeMin(new DateTime(DAY_START.toEpochMilli())).setTimeMax(new DateTime(DAY_END.toEpochMilli()))
                .setItems(List.of(new FreeBusyRequestItem().setId("primary")))).execute();
        assertThat(fb.getCalendars().get("primary").getBusy()).isEmpty();
    }

    @Test
    void listFiltersByTimeWindow() throws IOException {
        calendar.events().insert("primary", event("morning0001", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"))
                .execute();
        calendar.events().insert("primary", event("evening0001", "2026-12-01T18:00:00Z", "2026-12-01T19:00:00Z"))
                .execute();
        List<Event> items = calendar.events().list("primary")
                .setTimeMin(new DateTime("2026-12-01T12:00:00Z")).setTimeMax(new DateTime("2026-12-02T00:00:00Z"))
                .setSingleEvents(true).setOrderBy("startTime").execute().getItems();
        assertThat(items).extracting(Event::getId).containsExactly("evening0001");
    }

    @Test
    void scriptedRateLimitSurfacesAs403WithReasonThenRecovers() throws IOException {
        google.failNext(1, 403, "rateLimitExceeded");
        GoogleJsonResponseException e = catchThrowableOfType(GoogleJsonResponseException.class,
                () -> calendar.events().insert("primary",
                        event("ratelimited01", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")).execute());
        assertThat(e.getStatusCode()).isEqualTo(403);
        assertThat(e.getDetails().getErrors().get(0).getReason()).isEqualTo("rateLimitExceeded");
        assertThat(e.getDetails().getErrors().get(0).getDomain()).isEqualTo("usageLimits");
        assertThat(e.getDetails().getMessage()).isEqualTo("Rate Limit Exceeded");
        assertThat(google.insertCount()).isZero();

        Event ok = calendar.events().insert("primary",
                event("ratelimited01", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")).execute();
        assertThat(ok.getId()).isEqualTo("ratelimited01");

        google.failAlways(503, "backendError");
        GoogleJsonResponseException down = catchThrowableOfType(GoogleJsonResponseException.class,
                () -> calendar.events().get("primary", "ratelimited01").execute());
        assertThat(down.getStatusCode()).isEqualTo(503);
        assertThat(down.getDetails().getErrors().get(0).getReason()).isEqualTo("backendError");
        google.recover();
        assertThat(calendar.events().get("primary", "ratelimited01").execute().getId()).isEqualTo("ratelimited01");
    }

    @Test
    void downDropsConnectionsUntilUp() throws IOException {
        google.down();
        assertThatThrownBy(() -> calendar.events().list("primary").execute())
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(GoogleJsonResponseException.class);
        assertThat(google.requests()).isNotEmpty().allSatisfy(r -> assertThat(r.status()).isZero());
        google.up();
        assertThat(calendar.events().list("primary").execute().getItems()).isEmpty();
    }

    @Test
    void googleRequiresABearerHeader() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create(google.baseUrl() + "/calendar/v3/calendars/primary/events")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        JsonNode err = Jsons.read(r.body()).path("error");
        assertThat(err.path("code").asInt()).isEqualTo(401);
        assertThat(err.path("errors").get(0).path("reason").asText()).isEqualTo("authError");
        assertThat(google.requests().get(0).authorization()).isNull();
    }

    private static Event event(String id, String start, String end) {
        return new Event().setId(id)
                .setStart(new EventDateTime().setDateTime(new DateTime(start)))
                .setEnd(new EventDateTime().setDateTime(new DateTime(end)));
    }

    // ------------------------------------------------------------------ Vapi, java.net.http

    @Test
    void vapiCreatesACallWith201AndStoresIt() throws Exception {
        String body = "{\"assistantId\":\"" + ASSISTANT + "\",\"phoneNumberId\":\"" + PHONE_NUMBER + "\","
                + "\"customer\":{\"number\":\"" + CUSTOMER + "\",\"name\":\"A. Customer\"},"
                + "\"assistantOverrides\":{\"variableValues\":{\"bookingId\":\"B-1\"},\"metadata\":{\"leadId\":7}}}";
        HttpResponse<String> r = postCall(VAPI_KEY, body);

        assertThat(r.statusCode()).isEqualTo(201);
        JsonNode call = Jsons.read(r.body());
        String id = call.path("id").asText();
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        assertThat(call.path("orgId").asText()).isEqualTo(vapi.orgId());
        assertThat(call.path("type").asText()).isEqualTo("outboundPhoneCall");
        assertThat(call.path("status").asText()).isEqualTo("queued");
        assertThat(call.path("assistantId").asText()).isEqualTo(ASSISTANT);
        assertThat(call.path("phoneNumberId").asText()).isEqualTo(PHONE_NUMBER);
        assertThat(call.path("customer").path("number").asText()).isEqualTo(CUSTOMER);
        assertThat(call.path("assistantOverrides").path("variableValues").path("bookingId").asText()).isEqualTo("B-1");
        assertThat(call.path("cost").asInt()).isZero();
        assertThat(Instant.parse(call.path("createdAt").asText())).isNotNull();
        assertThat(call.path("createdAt").asText()).isEqualTo(call.path("updatedAt").asText());

        assertThat(vapi.acceptedCount()).isEqualTo(1);
        VapiStub.CallRequest rec = vapi.callsTo(CUSTOMER).get(0);
        assertThat(rec.callId()).isEqualTo(id);
        assertThat(rec.authorization()).isEqualTo("Bearer " + VAPI_KEY);
        assertThat(rec.body().path("assistantOverrides").path("metadata").path("leadId").asInt()).isEqualTo(7);
        assertThat(rec.httpStatus()).isEqualTo(201);

        HttpResponse<String> fetched = http.send(HttpRequest.newBuilder(URI.create(vapi.baseUrl() + "/call/" + id))
                .header("Authorization", "Bearer " + VAPI_KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(fetched.statusCode()).isEqualTo(200);
        assertThat(Jsons.read(fetched.body())).isEqualTo(call);
    }

    @Test
    void vapiRefusesAWrongKeyWith401() throws Exception {
        HttpResponse<String> r = postCall("the-public-key", minimalCall());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(Jsons.read(r.body())).isEqualTo(Jsons.read("{\"message\":\"Invalid Key. Hot tip, you may be using"
                + " the private key instead of the public key, or vice versa.\",\"error\":\"Unauthorized\","
                + "\"statusCode\":401}"));
        assertThat(vapi.calls()).hasSize(1);
        assertThat(vapi.calls().get(0).callId()).isNull();
        assertThat(vapi.accepted()).isEmpty();
    }

    @Test
    void vapiScriptedFaultsThenRecovery() throws Exception {
        vapi.failNext(3, 400, "assistantId must be a UUID");
        HttpResponse<String> r400 = postCall(VAPI_KEY, minimalCall());
        assertThat(r400.statusCode()).isEqualTo(400);
        JsonNode e400 = Jsons.read(r400.body());
        assertThat(e400.path("message").isArray()).isTrue();
        assertThat(e400.path("message").get(0).asText()).isEqualTo("assistantId must be a UUID");
        assertThat(e400.path("error").asText()).isEqualTo("Bad Request");
        assertThat(e400.path("statusCode").asInt()).isEqualTo(400);
        assertThat(postCall(VAPI_KEY, minimalCall()).statusCode()).isEqualTo(400);
        assertThat(postCall(VAPI_KEY, minimalCall()).statusCode()).isEqualTo(400);
        assertThat(postCall(VAPI_KEY, minimalCall()).statusCode()).isEqualTo(201); // script used up

        vapi.failNext(1, 429, "Too many requests");
        HttpResponse<String> r429 = postCall(VAPI_KEY, minimalCall());
        assertThat(r429.statusCode()).isEqualTo(429);
        assertThat(Jsons.read(r429.body()).path("message").asText()).isEqualTo("Too many requests");
        assertThat(Jsons.read(r429.body()).path("error").asText()).isEqualTo("Too Many Requests");

        vapi.failAlways(500, "Internal server error");
        assertThat(postCall(VAPI_KEY, minimalCall()).statusCode()).isEqualTo(500);
        HttpResponse<String> r500 = postCall(VAPI_KEY, minimalCall());
        assertThat(r500.statusCode()).isEqualTo(500);
        assertThat(Jsons.read(r500.body()).path("statusCode").asInt()).isEqualTo(500);
        vapi.recover();
        assertThat(postCall(VAPI_KEY, minimalCall()).statusCode()).isEqualTo(201);

        assertThat(vapi.acceptedCount()).isEqualTo(2);
        assertThat(vapi.calls()).extracting(VapiStub.CallRequest::httpStatus)
                .containsExactly(400, 400, 400, 201, 429, 500, 500, 201);
        assertThat(vapi.accepted()).allSatisfy(c -> assertThat(c.callId()).isNotNull());

        vapi.reset();
        assertThat(vapi.calls()).isEmpty();
        assertThat(vapi.acceptedCount()).isZero();
    }

    @Test
    void vapiValidatesTheBodyAndHonoursDelay() throws Exception {
        HttpResponse<String> notE164 = postCall(VAPI_KEY, "{\"customer\":{\"number\":\"07700900123\"}}");
        assertThat(notE164.statusCode()).isEqualTo(400);
        assertThat(postCall(VAPI_KEY, "not json").statusCode()).isEqualTo(400);

        vapi.delay(Duration.ofMillis(300));
        long t0 = System.nanoTime();
        assertThat(postCall(VAPI_KEY, minimalCall()).statusCode()).isEqualTo(201);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
    }

    private static String minimalCall() {
        return "{\"assistantId\":\"" + ASSISTANT + "\",\"phoneNumberId\":\"" + PHONE_NUMBER + "\","
                + "\"customer\":{\"number\":\"" + CUSTOMER + "\"}}";
    }

    private HttpResponse<String> postCall(String key, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(vapi.baseUrl() + "/call"))
                        .header("Authorization", "Bearer " + key)
                        .header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
