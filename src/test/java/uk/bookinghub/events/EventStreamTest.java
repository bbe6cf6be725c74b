package uk.bookinghub.events;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.MovableClock;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.SseClient;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.VapiReports;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live event stream (GET /api/events) as a dashboard meets it, with a real hub and a socket SSE
 * client: each fact reaches its client's streams once, with its events-table id, as soon as it
 * commits; a reconnect with Last-Event-ID gets exactly what was missed, in order, no duplicates (or a
 * reset when that is no longer kept); a client never sees another client's events; a ticket opens
 * one stream, within its minute; the stream caps answer 429; the stream ends cleanly when the hub
 * stops. The PostgreSQL suite adds two instances on one database and a killed LISTEN connection.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class EventStreamTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    TestDatabase db;
    RunningHub hub;
    final MovableClock clock = new MovableClock();
    final Map<String, String> keys = new HashMap<>();

    abstract TestDatabase.Kind kind();

    /** Settings of every hub of the class: small caps, a fast heartbeat and poll. */
    Map<String, String> settings() {
        Map<String, String> o = new HashMap<>();
        o.put("hub.events.max-streams-per-client", "3");
        o.put("hub.events.max-streams", "8");
        o.put("hub.events.heartbeat-ms", "1000");
        o.put("hub.events.poll-ms", "1000");
        o.put("hub.leads.allow-test-numbers", "true");
        return o;
    }

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        hub = RunningHub.start(db.hubUrl(), settings(), Map.of("hubClock", clock));
        for (String name : List.of("Stream Alpha", "Stream Beta", "Stream Gamma", "Stream Delta", "Stream Epsilon")) {
            String key = name.toLowerCase().replace(' ', '-');
            keys.put(key, hub.onboard("{\"businessName\":\"" + name + "\",\"email\":\"ops@" + key + ".example\",\"phone\":\"0113 496 0" + (100 + keys.size())
                    + "\"}"));
        }
    }

    @AfterAll
    void stop() {
        if (hub != null) {
            hub.close();
        }
        db.close();
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    String ticket(RunningHub h, String clientKey) {
        HttpResponse<String> r = h.post("/api/events/ticket", null, "", "X-API-Key", keys.get(clientKey));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode t = Jsons.read(r.body());
        assertThat(t.get("stream").asText()).isEqualTo("/api/events?ticket=" + t.get("ticket").asText());
        return t.get("ticket").asText();
    }

    String adminTicket(RunningHub h) {
        HttpResponse<String> r = h.post("/api/events/ticket", null, "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return Jsons.read(r.body()).get("ticket").asText();
    }

    SseClient stream(RunningHub h, String clientKey, String... headers) {
        SseClient s = SseClient.open(h.port, "/api/events?ticket=" + ticket(h, clientKey), headers);
        assertThat(s.status()).as(s.errorBody()).isEqualTo(200);
        return s;
    }

    /** An end-of-call report for the client (through the real webhook); returns the call id. */
    String endCall(RunningHub h, String clientKey) {
        String callId = "call-" + UUID.randomUUID();
        HttpResponse<String> r = h.postVapi(VapiReports.endOfCall(callId, "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"" + clientKey + "\"}}",
                "customer-ended-call", "{\"outcome\":\"not_interested\"}"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return callId;
    }

    long eventId(String dedupeKey) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id from events where dedupe_key = '" + dedupeKey + "'")) {
            assertThat(rs.next()).as("event " + dedupeKey).isTrue();
            return rs.getLong(1);
        }
    }

    /** The next event with an id, which must be a call_ended of this call. */
    static SseClient.Event callEnded(SseClient s, String callId) {
        SseClient.Event e = s.nextWithId(WAIT);
        assertThat(e).as("call_ended of " + callId).isNotNull();
        assertThat(e.type()).isEqualTo("call_ended");
        assertThat(e.json().get("data").get("vapiCallId").asText()).isEqualTo(callId);
        return e;
    }

    HttpResponse<String> patch(String path, String json, String apiKey) {
        return hub.send(HttpRequest.newBuilder(URI.create(hub.url(path))).method("PATCH", HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json"), "X-API-Key", apiKey);
    }

    long clientId(String clientKey) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select id from clients where client_key = '" + clientKey + "'")) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }

    void sql(String statement) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    // ---- tests ---------------------------------------------------------------------------------------------

    @Test
    void anEndOfCallReportArrivesOnceWithItsEventIdAndNoPhoneNumber() throws Exception {
        try (SseClient s = stream(hub, "stream-alpha")) {
            assertThat(s.header("Content-Type")).startsWith("text/event-stream");
            String callId = endCall(hub, "stream-alpha");
            SseClient.Event e = callEnded(s, callId);
            assertThat(e.idNumber()).isEqualTo(eventId("call_ended:" + callId));
            JsonNode env = e.json();
            assertThat(env.get("id").asLong()).isEqualTo(e.idNumber());
            assertThat(env.get("clientKey").asText()).isEqualTo("stream-alpha");
            assertThat(env.get("at").asText()).endsWith("Z");
            JsonNode data = env.get("data");
            assertThat(data.get("outcome").asText()).isEqualTo("not_interested");
            assertThat(data.get("durationSeconds").asDouble()).isEqualTo(93.4);
            assertThat(data.get("cost").asDouble()).isEqualTo(0.21);
            assertThat(data.get("endedAt").asText()).isEqualTo("2024-05-14T13:03:44.912Z");
            assertThat(e.data()).doesNotContain("07700").doesNotContain("+447700").doesNotContain("transcript").doesNotContain("Hello");
            assertThat(s.retry()).isEqualTo("3000");
            // the retried report is the same fact: nothing again
            hub.postVapi(VapiReports.endOfCall(callId, "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"stream-alpha\"}}",
                    "customer-ended-call", "{\"outcome\":\"not_interested\"}"));
            String second = endCall(hub, "stream-alpha");
            assertThat(callEnded(s, second).idNumber()).isGreaterThan(e.idNumber());
            // a comment line keeps the stream alive (every hub.events.heartbeat-ms, here 1 s)
            int before = s.comments();
            assertThat(s.nextWithId(Duration.ofMillis(2500))).as("nothing else happened").isNull();
            assertThat(s.comments()).isGreaterThan(before);
        }
    }

    @Test
    void aReconnectWithLastEventIdGetsExactlyTheMissedEventsInOrderAndNoDuplicates() {
        long seen;
        try (SseClient s = stream(hub, "stream-beta")) {
            seen = callEnded(s, endCall(hub, "stream-beta")).idNumber();
        }
        List<String> missed = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            missed.add(endCall(hub, "stream-beta"));
        }
        endCall(hub, "stream-gamma"); // another client's, meanwhile
        // the browser's own reconnect: the Last-Event-ID header
        long last;
        try (SseClient s = stream(hub, "stream-beta", "Last-Event-ID", String.valueOf(seen))) {
            List<SseClient.Event> got = s.nextWithIds(4, WAIT);
            assertThat(got).extracting(e -> e.json().get("data").get("vapiCallId").asText()).containsExactlyElementsOf(missed);
            assertThat(got).extracting(SseClient.Event::idNumber).isSorted().doesNotHaveDuplicates().allMatch(id -> id > seen);
            assertThat(s.nextWithId(Duration.ofMillis(700))).as("nothing more was missed").isNull();
            String live = endCall(hub, "stream-beta");
            last = callEnded(s, live).idNumber();
            assertThat(s.nextWithId(Duration.ofMillis(700))).as("the live event once").isNull();
        }
        // a page that opens a new EventSource with a new ticket: ?lastEventId= (nothing missed since: nothing replayed)
        String after = endCall(hub, "stream-beta");
        try (SseClient s = SseClient.open(hub.port, "/api/events?ticket=" + ticket(hub, "stream-beta") + "&lastEventId=" + last)) {
            assertThat(s.status()).isEqualTo(200);
            assertThat(callEnded(s, after).idNumber()).isGreaterThan(last);
            assertThat(s.nextWithId(Duration.ofMillis(700))).isNull();
        }
    }

    @Test
    void clientBNeverSeesClientAsEventsAndCannotNameClientA() {
        long before;
        String forB0;
        try (SseClient a = stream(hub, "stream-gamma"); SseClient b = stream(hub, "stream-delta")) {
            String forA = endCall(hub, "stream-gamma");
            String forB = endCall(hub, "stream-delta");
            forB0 = forB;
            SseClient.Event first = callEnded(a, forA);
            before = first.idNumber() - 1;
            assertThat(first.json().get("clientKey").asText()).isEqualTo("stream-gamma");
            assertThat(callEnded(b, forB).json().get("clientKey").asText()).isEqualTo("stream-delta");
            assertThat(a.nextWithId(Duration.ofMillis(700))).isNull();
            assertThat(b.nextWithId(Duration.ofMillis(700))).isNull();
        }
        // B's ticket naming A: a 404, as for any object of A's; B replaying from 0 gets only its own
        try (SseClient named = SseClient.open(hub.port, "/api/events?ticket=" + ticket(hub, "stream-delta") + "&clientKey=stream-gamma")) {
            assertThat(named.status()).isEqualTo(404);
            assertThat(named.error().get("error").asText()).contains("no client");
        }
        try (SseClient b = stream(hub, "stream-delta", "Last-Event-ID", String.valueOf(before))) {
            List<SseClient.Event> all = b.nextWithIds(1000, Duration.ofSeconds(2));
            assertThat(all).extracting(e -> e.json().get("data").get("vapiCallId").asText()).containsExactly(forB0);
            assertThat(all).allMatch(e -> e.json().get("clientKey").asText().equals("stream-delta"));
        }
        // the admin's stream of one client, and of all
        try (SseClient one = SseClient.open(hub.port, "/api/events?clientKey=stream-gamma&ticket=" + adminTicket(hub));
             SseClient all = SseClient.open(hub.port, "/api/events?ticket=" + adminTicket(hub))) {
            assertThat(one.status()).isEqualTo(200);
            assertThat(all.status()).isEqualTo(200);
            String forA = endCall(hub, "stream-gamma");
            String forB = endCall(hub, "stream-delta");
            assertThat(callEnded(one, forA).json().get("clientKey").asText()).isEqualTo("stream-gamma");
            assertThat(one.nextWithId(Duration.ofMillis(700))).isNull();
            assertThat(callEnded(all, forA).json().get("clientKey").asText()).isEqualTo("stream-gamma");
            assertThat(callEnded(all, forB).json().get("clientKey").asText()).isEqualTo("stream-delta");
        }
    }

    @Test
    void aTicketOpensOneStreamWithinItsMinute() {
        String t = ticket(hub, "stream-epsilon");
        try (SseClient first = SseClient.open(hub.port, "/api/events?ticket=" + t)) {
            assertThat(first.status()).isEqualTo(200);
            try (SseClient again = SseClient.open(hub.port, "/api/events?ticket=" + t)) {
                assertThat(again.status()).isEqualTo(401);
                assertThat(again.error().get("error").asText()).contains("already used or expired");
            }
        }
        String late = ticket(hub, "stream-epsilon");
        clock.advance(Duration.ofSeconds(61));
        try (SseClient expired = SseClient.open(hub.port, "/api/events?ticket=" + late)) {
            assertThat(expired.status()).isEqualTo(401);
        }
        try (SseClient none = SseClient.open(hub.port, "/api/events", "X-API-Key", keys.get("stream-epsilon"))) {
            assertThat(none.status()).as("an API key does not open a stream: a ticket does").isEqualTo(401);
            assertThat(none.error().get("error").asText()).contains("POST /api/events/ticket");
        }
        try (SseClient made = SseClient.open(hub.port, "/api/events?ticket=" + "A".repeat(43))) {
            assertThat(made.status()).isEqualTo(401);
        }
        try (SseClient bad = SseClient.open(hub.port, "/api/events?ticket=x&lastEventId=abc")) {
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.error().get("error").asText()).contains("lastEventId");
        }
        try (SseClient bad = SseClient.open(hub.port, "/api/events?ticket=x", "Last-Event-ID", "yesterday")) {
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.error().get("error").asText()).contains("Last-Event-ID");
        }
        assertThat(hub.post("/api/events/ticket", null, "").statusCode()).isEqualTo(401);
        // whatever the front door takes for a client takes a ticket: a client token too
        String token = Jsons.read(hub.post("/api/auth/token", null, "", "X-API-Key", keys.get("stream-epsilon")).body()).get("token").asText();
        HttpResponse<String> viaToken = hub.post("/api/events/ticket", null, "", "Authorization", "Bearer " + token);
        assertThat(viaToken.statusCode()).as(viaToken.body()).isEqualTo(201);
        try (SseClient s = SseClient.open(hub.port, "/api/events?ticket=" + Jsons.read(viaToken.body()).get("ticket").asText())) {
            assertThat(s.status()).isEqualTo(200);
            assertThat(s.header("X-Request-Id")).isNotBlank();
        }
    }

    /** Streams of earlier tests are closed by their clients; the hub learns of it within moments. */
    void awaitNoStreams(RunningHub h) throws InterruptedException {
        EventStreams streams = h.camel().getRegistry().lookupByNameAndType("eventStreams", EventStreams.class);
        for (int i = 0; i < 100 && streams.openStreams() > 0; i++) {
            Thread.sleep(50);
        }
        assertThat(streams.openStreams()).isZero();
    }

    @Test
    void theStreamCapsAnswer429AndAClosedStreamFreesItsPlace() throws Exception {
        awaitNoStreams(hub);
        List<SseClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                open.add(stream(hub, "stream-alpha"));
            }
            try (SseClient fourth = SseClient.open(hub.port, "/api/events?ticket=" + ticket(hub, "stream-alpha"))) {
                assertThat(fourth.status()).isEqualTo(429);
                assertThat(fourth.header("Retry-After")).isNotBlank();
                assertThat(fourth.error().get("error").asText()).contains("hub.events.max-streams-per-client");
            }
            for (String other : List.of("stream-beta", "stream-gamma", "stream-delta", "stream-epsilon")) {
                if (open.size() < 8) {
                    open.add(stream(hub, other));
                }
            }
            open.add(stream(hub, "stream-beta"));
            assertThat(open).hasSize(8);
            try (SseClient over = SseClient.open(hub.port, "/api/events?ticket=" + ticket(hub, "stream-gamma"))) {
                assertThat(over.status()).isEqualTo(429);
                assertThat(over.error().get("error").asText()).contains("hub.events.max-streams");
            }
            open.remove(0).close();
            SseClient again = null;
            for (int i = 0; i < 50 && again == null; i++) { // the server sees the close within moments
                SseClient s = SseClient.open(hub.port, "/api/events?ticket=" + ticket(hub, "stream-alpha"));
                if (s.status() == 200) {
                    again = s;
                } else {
                    Thread.sleep(100);
                }
            }
            assertThat(again).as("a place is free again").isNotNull();
            open.add(again);
        } finally {
            open.forEach(SseClient::close);
        }
    }

    @Test
    void aLastEventIdOlderThanWhatIsKeptStartsWithAReset() throws Exception {
        long old;
        try (SseClient s = stream(hub, "stream-epsilon")) {
            old = callEnded(s, endCall(hub, "stream-epsilon")).idNumber();
        }
        endCall(hub, "stream-epsilon");
        // a day later the purge has taken them
        clock.advance(Duration.ofHours(25));
        try {
            EventsPurge purge = hub.camel().getRegistry().lookupByNameAndType("eventsPurge", EventsPurge.class);
            assertThat(((Number) purge.run().get("events")).intValue()).isPositive();
        } finally {
            clock.advance(Duration.ofHours(-25));
        }
        endCall(hub, "stream-alpha"); // kept: the oldest event now is newer than the page's last
        try (SseClient s = stream(hub, "stream-epsilon", "Last-Event-ID", String.valueOf(old))) {
            SseClient.Event reset = s.nextWithId(WAIT);
            assertThat(reset.type()).isEqualTo("reset");
            assertThat(reset.json().get("reason").asText()).contains("no longer kept");
            assertThat(reset.idNumber()).isGreaterThan(old);
            String live = endCall(hub, "stream-epsilon");
            assertThat(callEnded(s, live).idNumber()).isGreaterThan(reset.idNumber());
        }
    }

    @Test
    void anEventNobodyAnnouncedArrivesByThePoll() throws Exception {
        long clientId = clientId("stream-beta");
        try (SseClient s = stream(hub, "stream-beta")) {
            // written straight into the table by someone else: no NOTIFY, no commit of this hub's
            sql("insert into events (client_id, type, data, created_at) values (" + clientId + ", 'call_started', '{\"vapiCallId\":\"polled\"}', "
                    + (kind() == TestDatabase.Kind.POSTGRESQL ? "now()" : "'2026-01-01T00:00:00.000Z'") + ")");
            SseClient.Event e = s.nextWithId(WAIT);
            assertThat(e.type()).isEqualTo("call_started");
            assertThat(e.json().get("data").get("vapiCallId").asText()).isEqualTo("polled");
        }
    }

    @Test
    void theDaysFactsAreEventsWhateverPathCommitsThem() throws Exception {
        String key = keys.get("stream-gamma");
        HttpResponse<String> settings = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/stream-gamma/settings")))
                .method("PUT", HttpRequest.BodyPublishers.ofString("{\"businessHours\":{\"mon\":[[\"09:00\",\"17:00\"]],\"tue\":[[\"09:00\",\"17:00\"]],"
                        + "\"wed\":[[\"09:00\",\"17:00\"]],\"thu\":[[\"09:00\",\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]],\"sat\":[],\"sun\":[]},\"slotMinutes\":30}"))
                .header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(settings.statusCode()).as(settings.body()).isEqualTo(200);
        long firstId;
        try (SseClient s = stream(hub, "stream-gamma")) {
            // an import finished: its counts
            assertThat(hub.post("/api/import-leads", "text/csv", "name,phone\nGina Lead,07700 900461\nBad Row,12\n", "X-API-Key", key).statusCode()).isBetween(200, 201);
            SseClient.Event imported = s.nextWithId(WAIT);
            assertThat(imported.type()).isEqualTo("lead_imported");
            firstId = imported.idNumber();
            assertThat(imported.json().get("data").get("counts").get("imported").asInt()).isEqualTo(1);
            assertThat(imported.json().get("data").get("status").asText()).isEqualTo("completed");
            // a call in progress (Vapi's status-update)
            String callId = "call-" + UUID.randomUUID();
            hub.postVapi("{\"message\":{\"type\":\"status-update\",\"status\":\"in-progress\",\"call\":{\"id\":\"" + callId
                    + "\",\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"stream-gamma\"}}}}}");
            SseClient.Event started = s.nextWithId(WAIT);
            assertThat(started.type()).isEqualTo("call_started");
            assertThat(started.json().get("data").get("vapiCallId").asText()).isEqualTo(callId);
            // the assistant books it for the lead: the booking, and the lead's status
            LocalDate day = LocalDate.now(ZoneId.of("Europe/London")).plusDays(7).with(TemporalAdjusters.next(DayOfWeek.WEDNESDAY));
            String args = "{\"start\":\"" + day + "T10:00\",\"name\":\"Gina Lead\",\"phone\":\"07700 900461\"}";
            HttpResponse<String> booked = hub.postVapi("{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"" + callId + "\",\"assistantOverrides\":"
                    + "{\"variableValues\":{\"clientKey\":\"stream-gamma\"}}},\"toolCallList\":[{\"id\":\"tc-" + callId + "\",\"type\":\"function\","
                    + "\"function\":{\"name\":\"bookAppointment\",\"arguments\":" + Jsons.quote(args) + "}}]}}");
            assertThat(booked.body()).contains("Booked");
            Map<String, SseClient.Event> byType = new HashMap<>();
            for (SseClient.Event e : s.nextWithIds(2, WAIT)) {
                byType.put(e.type(), e);
            }
            assertThat(byType).containsKeys("appointment_booked", "lead_status_changed");
            JsonNode appt = byType.get("appointment_booked").json().get("data");
            long appointmentId = appt.get("appointmentId").asLong();
            assertThat(appt.get("customerName").asText()).isEqualTo("Gina Lead");
            assertThat(appt.get("start").asText()).endsWith("Z");
            assertThat(byType.get("appointment_booked").data()).doesNotContain("07700").doesNotContain("447700");
            JsonNode lead = byType.get("lead_status_changed").json().get("data");
            assertThat(lead.get("to").asText()).isEqualTo("booked");
            assertThat(lead.get("from").asText()).isNotEqualTo("booked");
            // moved and cancelled through the API
            assertThat(patch("/api/appointments/" + appointmentId, "{\"start\":\"" + day + "T11:00\"}", key).statusCode()).isEqualTo(200);
            SseClient.Event moved = s.nextWithId(WAIT);
            assertThat(moved.type()).isEqualTo("appointment_moved");
            assertThat(moved.json().get("data").get("previousStart").asText()).isNotEqualTo(moved.json().get("data").get("start").asText());
            assertThat(patch("/api/appointments/" + appointmentId, "{\"status\":\"cancelled\"}", key).statusCode()).isEqualTo(200);
            assertThat(s.nextWithId(WAIT).type()).isEqualTo("appointment_cancelled");
            // the confirmation's delivery (as Twilio's status callback records it)
            sql("update messages set status = 'delivered', status_rank = 90 where appointment_id = " + appointmentId + " and kind = 'confirmation'");
            SseClient.Event delivered = s.nextWithId(WAIT);
            assertThat(delivered.type()).isEqualTo("message_status");
            assertThat(delivered.json().get("data").get("status").asText()).isEqualTo("delivered");
            assertThat(delivered.json().get("data").get("appointmentId").asLong()).isEqualTo(appointmentId);
            // the person is erased: their lead's status is an event, and the events still kept name them no more
            HttpResponse<String> erased = hub.post("/api/privacy/erasure", "application/json", "{\"phone\":\"07700 900461\"}", "X-API-Key", key);
            assertThat(erased.statusCode()).as(erased.body()).isBetween(200, 299);
            SseClient.Event leadErased = s.nextWithId(WAIT);
            while (leadErased != null && !leadErased.type().equals("lead_status_changed")) {
                leadErased = s.nextWithId(WAIT);
            }
            assertThat(leadErased).isNotNull();
            assertThat(leadErased.json().get("data").get("to").asText()).isEqualTo("erased");
            assertThat(leadErased.data()).doesNotContain("Gina");
        }
        try (SseClient replay = stream(hub, "stream-gamma", "Last-Event-ID", String.valueOf(firstId - 1))) {
            List<SseClient.Event> kept = replay.nextWithIds(100, Duration.ofSeconds(2));
            assertThat(kept).extracting(SseClient.Event::type).contains("lead_imported", "appointment_booked", "lead_status_changed", "appointment_cancelled");
            assertThat(kept).allSatisfy(e -> assertThat(e.data()).doesNotContain("Gina"));
        }
    }

    @Test
    void aStreamEndsCleanlyWhenItsHubStops() {
        try (TestDatabase own = TestDatabase.create(kind())) {
            RunningHub h = RunningHub.start(own.hubUrl(), settings());
            String apiKey = h.onboard("{\"businessName\":\"Stopping Co\",\"email\":\"ops@stopping.example\",\"phone\":\"0113 496 0199\"}");
            HttpResponse<String> t = h.post("/api/events/ticket", null, "", "X-API-Key", apiKey);
            try (SseClient s = SseClient.open(h.port, "/api/events?ticket=" + Jsons.read(t.body()).get("ticket").asText())) {
                assertThat(s.status()).isEqualTo(200);
                h.close();
                assertThat(s.awaitEnd(Duration.ofSeconds(10))).as("the stream ended").isTrue();
                assertThat(s.endedCleanly()).as("with the chunked body's end, not a reset connection").isTrue();
            }
        }
    }
}
