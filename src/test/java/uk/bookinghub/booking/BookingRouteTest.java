package uk.bookinghub.booking;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.Scrape;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.VapiReports;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Booking through the real routes: the assistant's tool calls on {@code POST /webhooks/vapi} in
 * every documented shape, availability from opening hours minus appointments (with buffers), one
 * booking per slot however many calls race for it, retried tool calls, cancel and move through
 * the tools and the API, confirmations queued in the outbox, settings validated. Numbers: Ofcom
 * drama ranges only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BookingRouteTest {

    static final ZoneId LONDON = ZoneId.of("Europe/London");
    private static final AtomicInteger NEXT = new AtomicInteger(300);
    private TestDatabase db;
    private RunningHub hub;
    private String key;
    private String otherKey;
    /** A Monday a few weeks ahead; each test takes its own week so they do not share slots. */
    private LocalDate baseMonday;
    private final AtomicInteger week = new AtomicInteger();

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        hub = RunningHub.start(db.hubUrl(), Map.of());
        key = hub.onboard("{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\"}");
        otherKey = hub.onboard("{\"businessName\":\"Other Business\",\"email\":\"b@other.example\",\"phone\":\"0113 496 0001\"}");
        HttpResponse<String> s = put("/api/clients/leeds-plumbing/settings", "{\"businessHours\":{\"mon\":[[\"09:00\",\"17:00\"]],\"tue\":[[\"09:00\",\"17:00\"]],"
                + "\"wed\":[[\"09:00\",\"17:00\"]],\"thu\":[[\"09:00\",\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]],\"sat\":[[\"09:00\",\"12:00\"]],\"sun\":[]},"
                + "\"slotMinutes\":30,\"services\":[{\"name\":\"Boiler service\",\"minutes\":60,\"bufferMinutes\":30},{\"name\":\"Quote\",\"minutes\":30}],"
                + "\"minNoticeMinutes\":60,\"horizonDays\":365}", key);
        assertThat(s.statusCode()).as(s.body()).isEqualTo(200);
        baseMonday = LocalDate.now(LONDON).plusDays(14).with(TemporalAdjusters.next(DayOfWeek.MONDAY));
    }

    @AfterAll
    void stop() {
        hub.close();
        db.close();
    }

    private LocalDate freshMonday() {
        return baseMonday.plusWeeks(week.incrementAndGet());
    }

    private static String mobile() {
        return "+447700900" + String.format("%03d", NEXT.incrementAndGet());
    }

    private HttpResponse<String> put(String path, String json, String apiKey) {
        return hub.send(HttpRequest.newBuilder(URI.create(hub.url(path))).PUT(HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json"), "X-API-Key", apiKey);
    }

    private HttpResponse<String> patch(String path, String json) {
        return hub.send(HttpRequest.newBuilder(URI.create(hub.url(path))).method("PATCH", HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json"), "X-API-Key", key);
    }

    /** A tool-calls message in the toolCallList / function / JSON-string-arguments shape. */
    private static String toolCall(String callId, String toolCallId, String name, String argsJson) {
        return "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"" + callId + "\",\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"leeds-plumbing\"}}},"
                + "\"toolCallList\":[{\"id\":\"" + toolCallId + "\",\"type\":\"function\",\"function\":{\"name\":\"" + name + "\",\"arguments\":"
                + Jsons.quote(argsJson) + "}}]}}";
    }

    private JsonNode tools(String body) {
        HttpResponse<String> r = hub.postVapi(body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body()).get("results");
    }

    private JsonNode one(String callId, String name, String argsJson) {
        return tools(toolCall(callId, "tc-" + UUID.randomUUID(), name, argsJson)).get(0);
    }

    private JsonNode appointments(String query) {
        HttpResponse<String> r = hub.get("/api/appointments" + query, "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body()).get("items");
    }

    @Test
    void everyToolCallShapeIsReadAndAnsweredInOrder() {
        LocalDate day = freshMonday();
        String args = "{\"date\":\"" + day + "\",\"service\":\"Quote\"}";
        String body = "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"shapes-1\",\"metadata\":{\"clientKey\":\"leeds-plumbing\"}},\"toolCallList\":["
                + "{\"id\":\"a1\",\"type\":\"function\",\"function\":{\"name\":\"checkAvailability\",\"arguments\":" + Jsons.quote(args) + "}},"
                + "{\"id\":\"a2\",\"name\":\"checkAvailability\",\"arguments\":" + args + "},"
                + "{\"id\":\"a3\",\"name\":\"checkAvailability\",\"parameters\":" + args + "},"
                + "{\"id\":\"a4\",\"function\":{\"name\":\"orderPizza\",\"arguments\":{}}}]}}";
        JsonNode results = tools(body);
        assertThat(results).hasSize(4);
        for (int i = 0; i < 3; i++) {
            assertThat(results.get(i).get("toolCallId").asText()).isEqualTo("a" + (i + 1));
            assertThat(results.get(i).get("name").asText()).isEqualTo("checkAvailability");
            assertThat(results.get(i).get("result").asText()).contains("9am", "9:30am").doesNotContain("\n");
        }
        assertThat(results.get(3).get("error").asText()).contains("unknown tool 'orderPizza'");
        // only toolWithToolCallList
        String with = "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"shapes-2\",\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"leeds-plumbing\"}}},"
                + "\"toolWithToolCallList\":[{\"type\":\"function\",\"name\":\"checkAvailability\",\"toolCall\":{\"id\":\"b1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"checkAvailability\",\"parameters\":" + args + "}}}]}}";
        JsonNode r = tools(with).get(0);
        assertThat(r.get("toolCallId").asText()).isEqualTo("b1");
        assertThat(r.get("result").asText()).contains("9am");
        // a call no client owns, and bad arguments: an error the assistant can speak, still HTTP 200
        JsonNode stray = tools("{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"stray\"},\"toolCallList\":[{\"id\":\"c1\",\"name\":\"checkAvailability\","
                + "\"arguments\":" + args + "}]}}").get(0);
        assertThat(stray.get("error").asText()).contains("not linked to a business");
        assertThat(one("shapes-3", "checkAvailability", "{\"date\":\"next tuesday\"}").get("error").asText()).contains("YYYY-MM-DD");
        assertThat(one("shapes-3", "checkAvailability", "{\"date\":\"" + day + "\",\"service\":\"Roofing\"}").get("error").asText())
                .contains("Boiler service", "Quote");
    }

    @Test
    void bookingClaimsTheServiceAndItsBufferAndQueuesTheConfirmation() {
        LocalDate day = freshMonday();
        String phone = mobile();
        HttpResponse<String> lead = hub.post("/api/leads", "application/json", "{\"name\":\"Ann\",\"phone\":\"" + phone + "\",\"email\":\"ann@customer.example\"}",
                "X-API-Key", key);
        long leadId = Jsons.read(lead.body()).get("lead").get("id").asLong();
        JsonNode booked = one("call-book-1", "bookAppointment", "{\"start\":\"" + day + "T10:00\",\"name\":\"Ann\",\"phone\":\"" + phone
                + "\",\"email\":\"ann@customer.example\",\"service\":\"Boiler service\"}");
        assertThat(booked.get("result").asText()).as(booked.toString()).startsWith("Booked Boiler service for Ann").contains("10am", "Reference");

        JsonNode list = appointments("?from=" + day + "&to=" + day.plusDays(1));
        assertThat(list).hasSize(1);
        JsonNode a = list.get(0);
        assertThat(a.get("localStart").asText()).isEqualTo(day + "T10:00");
        assertThat(a.get("leadId").asLong()).isEqualTo(leadId);
        assertThat(a.get("vapiCallId").asText()).isEqualTo("call-book-1");
        assertThat(a.get("calendarStatus").asText()).isEqualTo("not_configured");
        long id = a.get("id").asLong();

        // the 60-minute service plus its 30-minute buffer: 10:00 to 11:30 are taken for a Quote
        JsonNode free = one("call-book-2", "checkAvailability", "{\"date\":\"" + day + "\",\"service\":\"Quote\"}");
        String starts = free.get("result").asText().replaceAll(".*Starts: ", "");
        assertThat(starts).contains(day + "T09:30", day + "T11:30").doesNotContain(day + "T10:00", day + "T10:30", day + "T11:00,");

        // confirmation by SMS and email, queued with the appointment's id (no credentials here: recorded, not lost)
        JsonNode messages = Jsons.read(hub.get("/api/messages?appointmentId=" + id, "X-API-Key", key).body()).get("items");
        assertThat(messages).hasSize(2);
        assertThat(messages.toString()).contains("confirmation", "Boiler service", "10am", "Leeds Plumbing");
        // the lead is booked
        assertThat(Jsons.read(hub.get("/api/leads/" + leadId, "X-API-Key", key).body()).toString()).contains("\"booked\"");

        // the call's end-of-call report comes out as booked even though Vapi's reason is a plain hang-up
        HttpResponse<String> report = hub.postVapi(VapiReports.endOfCall("call-book-1",
                "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"leeds-plumbing\"}}", "customer-ended-call", null));
        assertThat(Jsons.read(report.body()).get("outcome").asText()).isEqualTo("booked");

        // another client sees nothing
        assertThat(hub.get("/api/appointments/" + id, "X-API-Key", otherKey).statusCode()).isEqualTo(404);
    }

    /**
     * The call writer settles the reports it stores together with one read of their calls' facts (issue 19): each
     * report still gets its own call's, so the calls that booked come out booked and the others as Vapi said.
     */
    @Test
    void reportsStoredTogetherAreEachSettledWithTheirOwnCallsBooking() throws Exception {
        LocalDate day = freshMonday();
        List<String> booked = new ArrayList<>();
        List<String> plain = new ArrayList<>();
        String run = UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 4; i++) {
            String callId = "call-together-" + run + "-b" + i;
            JsonNode b = one(callId, "bookAppointment", "{\"start\":\"" + day + String.format("T%02d:00", 9 + 2 * i) + "\",\"name\":\"Cy " + i
                    + "\",\"phone\":\"" + mobile() + "\"}");
            assertThat(b.get("result").asText()).as(b.toString()).startsWith("Booked");
            booked.add(callId);
            plain.add("call-together-" + run + "-p" + i);
        }
        List<String> all = new ArrayList<>(booked);
        all.addAll(plain);
        ExecutorService pool = Executors.newFixedThreadPool(all.size());
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (String callId : all) {
                answers.add(pool.submit(() -> hub.postVapi(VapiReports.endOfCall(callId,
                        "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"leeds-plumbing\"}}", "customer-ended-call", null))));
            }
            for (int i = 0; i < all.size(); i++) {
                HttpResponse<String> r = answers.get(i).get();
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(Jsons.read(r.body()).get("outcome").asText()).as(all.get(i))
                        .isEqualTo(booked.contains(all.get(i)) ? "booked" : "completed");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRetriedToolCallGetsTheSameAnswerAndBooksNothingNew() {
        LocalDate day = freshMonday();
        String phone = mobile();
        String body = toolCall("call-retry", "tc-retry-1", "bookAppointment", "{\"start\":\"" + day + "T14:00\",\"name\":\"Bo\",\"phone\":\"" + phone + "\"}");
        JsonNode first = tools(body).get(0);
        JsonNode second = tools(body).get(0);
        assertThat(second).isEqualTo(first);
        assertThat(appointments("?from=" + day + "&to=" + day.plusDays(1))).hasSize(1);
    }

    @Test
    void twentyCallsRacingForOneSlotMakeOneBooking() throws Exception {
        LocalDate day = freshMonday().plusDays(1);
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Callable<JsonNode>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String phone = mobile();
                int n = i;
                calls.add(() -> one("race-" + n, "bookAppointment", "{\"start\":\"" + day + "T11:00\",\"name\":\"Racer " + n + "\",\"phone\":\"" + phone
                        + "\",\"service\":\"Boiler service\"}"));
            }
            List<String> answers = new ArrayList<>();
            for (Future<JsonNode> f : pool.invokeAll(calls)) {
                answers.add(f.get().toString());
            }
            assertThat(answers.stream().filter(s -> s.contains("Booked"))).hasSize(1);
            assertThat(answers.stream().filter(s -> s.contains("That slot has just gone"))).hasSize(19);
            assertThat(answers.stream().filter(s -> s.contains("the next free ones are"))).hasSize(19);
        } finally {
            pool.shutdownNow();
        }
        assertThat(appointments("?status=booked&from=" + day + "&to=" + day.plusDays(1))).hasSize(1);
    }

    @Test
    void cancelAndMoveKeepSlotsAndMessagesInStep() {
        LocalDate day = freshMonday().plusDays(2);
        String phone = mobile();
        one("call-cancel", "bookAppointment", "{\"start\":\"" + day + "T09:00\",\"name\":\"Cy\",\"phone\":\"" + phone + "\",\"service\":\"Quote\"}");
        JsonNode cancelled = one("call-cancel", "cancelAppointment", "{\"phone\":\"" + phone + "\"}");
        assertThat(cancelled.get("result").asText()).contains("Cancelled the Quote", "9am");
        assertThat(appointments("?status=cancelled&from=" + day + "&to=" + day.plusDays(1))).hasSize(1);
        // the slot is free again
        assertThat(one("call-cancel", "checkAvailability", "{\"date\":\"" + day + "\",\"service\":\"Quote\"}").get("result").asText()).contains(day + "T09:00");
        assertThat(one("call-cancel", "cancelAppointment", "{\"phone\":\"" + phone + "\"}").get("error").asText()).contains("no upcoming appointment");

        // move through the API: the old slot frees, the new one is claimed, a new confirmation is queued
        String phone2 = mobile();
        one("call-move", "bookAppointment", "{\"start\":\"" + day + "T13:00\",\"name\":\"Di\",\"phone\":\"" + phone2 + "\",\"service\":\"Quote\"}");
        one("call-move-2", "bookAppointment", "{\"start\":\"" + day + "T15:00\",\"name\":\"Ed\",\"phone\":\"" + mobile() + "\",\"service\":\"Quote\"}");
        long id = appointments("?status=booked&from=" + day + "&to=" + day.plusDays(1)).get(0).get("id").asLong();
        HttpResponse<String> taken = patch("/api/appointments/" + id, "{\"start\":\"" + day + "T15:00\"}");
        assertThat(taken.statusCode()).as(taken.body()).isEqualTo(409);
        HttpResponse<String> moved = patch("/api/appointments/" + id, "{\"start\":\"" + day + "T16:00\"}");
        assertThat(moved.statusCode()).as(moved.body()).isEqualTo(200);
        assertThat(Jsons.read(moved.body()).get("localStart").asText()).isEqualTo(day + "T16:00");
        assertThat(one("call-move-3", "bookAppointment", "{\"start\":\"" + day + "T16:00\",\"name\":\"Flo\",\"phone\":\"" + mobile()
                + "\",\"service\":\"Quote\"}").get("result").asText()).startsWith("That slot has just gone");
        assertThat(one("call-move-3", "bookAppointment", "{\"start\":\"" + day + "T13:00\",\"name\":\"Flo\",\"phone\":\"" + mobile()
                + "\",\"service\":\"Quote\"}").get("result").asText()).startsWith("Booked");
        JsonNode msgs = Jsons.read(hub.get("/api/messages?appointmentId=" + id + "&kind=confirmation", "X-API-Key", key).body()).get("items");
        assertThat(msgs.toString()).contains("4pm");
        // reschedule by tool, by reference
        JsonNode r = one("call-move", "rescheduleAppointment", "{\"appointmentId\":\"" + id + "\",\"start\":\"" + day + "T14:00\"}");
        assertThat(r.get("result").asText()).contains("Moved to", "2pm");
        assertThat(patch("/api/appointments/" + id, "{\"status\":\"cancelled\"}").statusCode()).isEqualTo(200);
        assertThat(patch("/api/appointments/" + id, "{\"status\":\"cancelled\"}").statusCode()).isEqualTo(409);
        assertThat(patch("/api/appointments/" + id, "{\"colour\":\"blue\"}").statusCode()).isEqualTo(400);
    }

    /**
     * The business metrics on the management port move with what was committed: one booking for a
     * tool call however often Vapi retries it, a cancellation and a move each counted once, and every
     * webhook answer counted by status. The scrape is one promtool would accept.
     */
    @Test
    void bookingsAreCountedInTheMetricsOncePerCommittedChange() {
        Scrape before = Scrape.of(hub);
        LocalDate day = freshMonday().plusDays(3);
        String phone = mobile();
        String body = toolCall("call-metrics", "tc-metrics-1", "bookAppointment", "{\"start\":\"" + day + "T10:00\",\"name\":\"Gil\",\"phone\":\"" + phone
                + "\",\"service\":\"Quote\"}");
        assertThat(tools(body).get(0).get("result").asText()).startsWith("Booked");
        tools(body); // Vapi's retry: the same answer, nothing booked
        assertThat(one("call-metrics", "bookAppointment", "{\"start\":\"" + day + "T10:00\",\"name\":\"Hal\",\"phone\":\"" + mobile()
                + "\",\"service\":\"Quote\"}").get("result").asText()).startsWith("That slot has just gone");
        long id = appointments("?status=booked&from=" + day + "&to=" + day.plusDays(1)).get(0).get("id").asLong();
        assertThat(patch("/api/appointments/" + id, "{\"start\":\"" + day + "T11:00\"}").statusCode()).isEqualTo(200);
        assertThat(patch("/api/appointments/" + id, "{\"start\":\"" + day + "T10:00\"}").statusCode()).isEqualTo(200); // and back
        assertThat(patch("/api/appointments/" + id, "{\"start\":\"" + day.minusDays(7) + "T07:00\"}").statusCode()).isIn(400, 409); // refused: not counted
        assertThat(patch("/api/appointments/" + id, "{\"status\":\"cancelled\"}").statusCode()).isEqualTo(200);
        HttpResponse<String> refused = hub.post("/webhooks/vapi", "application/json", "{\"message\":{\"type\":\"hang\"}}", "X-Vapi-Secret", "wrong");
        assertThat(refused.statusCode()).isEqualTo(401);

        Scrape after = Scrape.of(hub);
        assertThat(after.value("hub_bookings_total", "action", "booked") - before.value("hub_bookings_total", "action", "booked")).isEqualTo(1);
        assertThat(after.value("hub_bookings_total", "action", "moved") - before.value("hub_bookings_total", "action", "moved")).isEqualTo(2);
        assertThat(after.value("hub_bookings_total", "action", "cancelled") - before.value("hub_bookings_total", "action", "cancelled")).isEqualTo(1);
        assertThat(after.value("hub_webhook_responses_total", "source", "vapi", "status", "200")
                - before.value("hub_webhook_responses_total", "source", "vapi", "status", "200")).isEqualTo(3);
        assertThat(after.value("hub_webhook_responses_total", "source", "vapi", "status", "401")
                - before.value("hub_webhook_responses_total", "source", "vapi", "status", "401")).isEqualTo(1);
        // the queued confirmation is visible in the outbox gauges (read at most every 5 s)
        assertThat(after.has("hub_outbox_due_messages")).isTrue();
        assertThat(after.has("hub_outbox_oldest_due_seconds")).isTrue();
        assertThat(after.has("hub_batch_duration_seconds_count")).isTrue();
        for (String metric : List.of("hub_bookings_total", "hub_messages_total", "hub_calls_total", "hub_dialler_decisions_total",
                "hub_webhook_responses_total", "hub_outbox_due_messages", "hub_outbox_oldest_due_seconds", "hub_batch_duration_seconds")) {
            assertThat(after.help(metric)).as("HELP of " + metric).isNotBlank();
        }
        assertThat(after.problems()).as("what promtool check metrics would say").isEmpty();
    }

    @Test
    void outsideOpeningHoursOrOffTheGridIsRefusedWithAlternatives() {
        LocalDate day = freshMonday();
        JsonNode sunday = one("call-hours", "bookAppointment", "{\"start\":\"" + day.minusDays(1) + "T10:00\",\"name\":\"Fay\",\"phone\":\"" + mobile() + "\"}");
        assertThat(sunday.get("result").asText()).startsWith("That time cannot be booked").contains("Free times");
        JsonNode offGrid = one("call-hours", "bookAppointment", "{\"start\":\"" + day + "T10:10\",\"name\":\"Fay\",\"phone\":\"" + mobile() + "\"}");
        assertThat(offGrid.get("result").asText()).startsWith("That time cannot be booked");
        JsonNode late = one("call-hours", "bookAppointment", "{\"start\":\"" + day + "T16:30\",\"name\":\"Fay\",\"phone\":\"" + mobile()
                + "\",\"service\":\"Boiler service\"}");
        assertThat(late.get("result").asText()).startsWith("That time cannot be booked"); // would end after closing
        assertThat(one("call-hours", "bookAppointment", "{\"start\":\"" + day + "T10:00\",\"phone\":\"" + mobile() + "\"}").get("error").asText())
                .contains("name is required");
    }

    @Test
    void availabilityAcrossTheSpringClockChangeIsInLocalTime() {
        // Friday 26 March 2027 is GMT, Monday 29 March 2027 is BST: 9am local is 09:00Z then 08:00Z
        String free = one("call-dst", "checkAvailability", "{\"date\":\"2027-03-26\",\"endDate\":\"2027-03-29\",\"service\":\"Quote\"}")
                .get("result").asText();
        assertThat(free).contains("Friday 26 March at 9am", "2027-03-26T09:00");
        JsonNode booked = one("call-dst", "bookAppointment", "{\"start\":\"2027-03-29T09:00\",\"name\":\"Gus\",\"phone\":\"" + mobile() + "\",\"service\":\"Quote\"}");
        assertThat(booked.get("result").asText()).containsPattern("Monday 29 March( 2027)? at 9am"); // the year when 2027 is not this year
        JsonNode a = appointments("?from=2027-03-29&to=2027-03-30").get(0);
        assertThat(a.get("start").asText()).isEqualTo("2027-03-29T08:00:00Z");
        assertThat(a.get("localStart").asText()).isEqualTo("2027-03-29T09:00");
        // with an explicit offset the same instant is the same booking: taken
        JsonNode again = one("call-dst", "bookAppointment", "{\"start\":\"2027-03-29T08:00:00Z\",\"name\":\"Hal\",\"phone\":\"" + mobile() + "\",\"service\":\"Quote\"}");
        assertThat(again.get("result").asText()).startsWith("That slot has just gone");
    }

    @Test
    void settingsAreValidatedAndOwnedAndToolSchemasArePublished() {
        HttpResponse<String> bad = put("/api/clients/leeds-plumbing/settings", "{\"businessHours\":{\"mon\":[[\"17:00\",\"09:00\"]],\"funday\":[]},"
                + "\"slotMinutes\":7,\"services\":[{\"minutes\":30}]}", key);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("businessHours.mon", "funday", "slotMinutes", "services[0].name");
        assertThat(put("/api/clients/leeds-plumbing/settings", "{}", otherKey).statusCode()).isEqualTo(404);
        assertThat(hub.get("/api/clients/leeds-plumbing/settings", "X-API-Key", otherKey).statusCode()).isEqualTo(404);
        JsonNode mine = Jsons.read(hub.get("/api/clients/leeds-plumbing/settings", "X-API-Key", key).body());
        assertThat(mine.get("slotMinutes").asInt()).isEqualTo(30);
        assertThat(mine.get("businessHours").get("sat").toString()).contains("09:00", "12:00");
        // a new client books at once with the defaults: Mon-Fri 09:00-17:00, 60-minute slots
        JsonNode defaults = Jsons.read(hub.get("/api/clients/other-business/settings", "X-API-Key", otherKey).body());
        assertThat(defaults.get("slotMinutes").asInt()).isEqualTo(60);
        assertThat(defaults.get("businessHours").get("mon").toString()).contains("09:00", "17:00");
        assertThat(defaults.get("businessHours").get("sun")).isEmpty();

        JsonNode schemas = Jsons.read(hub.get("/api/vapi/tools").body()).get("tools");
        assertThat(schemas).hasSize(4);
        assertThat(schemas.toString()).contains("checkAvailability", "bookAppointment", "cancelAppointment", "rescheduleAppointment", "\"required\":[\"start\",\"name\",\"phone\"]");
    }

    /** A tool call for other-business (the default settings: Mon-Fri 09:00-17:00, 60-minute slots, 60 days ahead). */
    private JsonNode otherTool(String callId, String name, String argsJson) {
        String body = "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"" + callId + "\",\"assistantOverrides\":{\"variableValues\":"
                + "{\"clientKey\":\"other-business\"}}},\"toolCallList\":[{\"id\":\"tc-" + UUID.randomUUID() + "\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"" + name + "\",\"arguments\":" + Jsons.quote(argsJson) + "}}]}}";
        return tools(body).get(0);
    }

    private static LocalDate weekday(LocalDate d) {
        while (d.getDayOfWeek() == DayOfWeek.SATURDAY || d.getDayOfWeek() == DayOfWeek.SUNDAY) {
            d = d.plusDays(1);
        }
        return d;
    }

    private int otherAppointments() {
        return Jsons.read(hub.get("/api/appointments?pageSize=500", "X-API-Key", otherKey).body()).get("items").size();
    }

    @Test
    void timesPastTheHorizonOrInThePastAndBadPhonesAreRefusedAndBookNothing() {
        LocalDate today = LocalDate.now(LONDON);
        int before = otherAppointments();
        JsonNode year999999 = otherTool("call-horizon", "bookAppointment", "{\"start\":\"+999999-01-01T10:00\",\"name\":\"Max\",\"phone\":\"" + mobile() + "\"}");
        assertThat(year999999.has("result")).as(year999999.toString()).isFalse();
        assertThat(year999999.get("error").asText()).contains("start", "four-digit year");
        LocalDate tooFar = weekday(today.plusDays(61));
        JsonNode far = otherTool("call-horizon", "bookAppointment", "{\"start\":\"" + tooFar + "T10:00\",\"name\":\"Max\",\"phone\":\"" + mobile() + "\"}");
        assertThat(far.get("error").asText()).as(far.toString()).contains("start", "60 days ahead");
        JsonNode farDay = otherTool("call-horizon", "checkAvailability", "{\"date\":\"" + tooFar + "\"}");
        assertThat(farDay.get("error").asText()).as(farDay.toString()).contains("60 days ahead");
        // a phone of 12345 (it used to be stored as +4412345 and texted): refused like the lead intake refuses it
        LocalDate ok = weekday(today.plusDays(20));
        JsonNode badPhone = otherTool("call-horizon", "bookAppointment", "{\"start\":\"" + ok + "T10:00\",\"name\":\"Max\",\"phone\":\"12345\"}");
        assertThat(badPhone.get("error").asText()).as(badPhone.toString()).contains("phone", "'12345' is not a valid phone number");
        assertThat(otherAppointments()).as("nothing booked").isEqualTo(before);

        // the API's move: the same limits, a 400 naming start
        JsonNode booked = otherTool("call-horizon", "bookAppointment", "{\"start\":\"" + ok + "T11:00\",\"name\":\"Max\",\"phone\":\"" + mobile() + "\"}");
        assertThat(booked.get("result").asText()).as(booked.toString()).startsWith("Booked");
        long id = Long.parseLong(booked.get("result").asText().replaceAll(".*Reference (\\d+).*", "$1"));
        for (String start : List.of("+999999-01-01T10:00", tooFar + "T10:00", today.minusDays(3) + "T10:00")) {
            HttpResponse<String> r = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/appointments/" + id)))
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"start\":\"" + start + "\"}")).header("Content-Type", "application/json"),
                    "X-API-Key", otherKey);
            assertThat(r.statusCode()).as(start + ": " + r.body()).isEqualTo(400);
            assertThat(Jsons.read(r.body()).get("error").asText()).contains("start");
        }
        JsonNode after = Jsons.read(hub.get("/api/appointments/" + id, "X-API-Key", otherKey).body());
        assertThat(after.get("localStart").asText()).isEqualTo(ok + "T11:00");
    }

    @Test
    void messagesWriteTheYearWhenTheAppointmentIsNotThisYear() {
        int nextYear = LocalDate.now(LONDON).getYear() + 1;
        LocalDate saturday = LocalDate.of(nextYear, 1, 1).with(TemporalAdjusters.nextOrSame(DayOfWeek.SATURDAY));
        JsonNode booked = one("call-year", "bookAppointment", "{\"start\":\"" + saturday + "T11:30\",\"name\":\"Ned\",\"phone\":\"" + mobile()
                + "\",\"service\":\"Quote\"}");
        String expected = saturday.getDayOfWeek().getDisplayName(java.time.format.TextStyle.FULL, java.util.Locale.UK) + " " + saturday.getDayOfMonth()
                + " January " + nextYear;
        assertThat(booked.get("result").asText()).as(booked.toString()).contains(expected);
        long id = Long.parseLong(booked.get("result").asText().replaceAll(".*Reference (\\d+).*", "$1"));
        JsonNode messages = Jsons.read(hub.get("/api/messages?appointmentId=" + id, "X-API-Key", key).body()).get("items");
        assertThat(messages).isNotEmpty();
        messages.forEach(m -> assertThat(m.toString()).contains(expected));
    }

    @Test
    void aSettingsDocumentNamesEveryProblemAndSavesNothingWhenAnyIsWrong() {
        String before = hub.get("/api/clients/other-business/settings", "X-API-Key", otherKey).body();
        for (String[] c : new String[][] {
                {"{\"timezone\":\"Mars/Olympus\"}", "timezone", "not an IANA time zone"},
                {"{\"foo\":1}", "foo", "unknown setting"},
                {"{\"calling\":\"yes\"}", "calling", "JSON object"},
                {"{\"calling\":{\"requireConsent\":\"yes\"}}", "calling.requireConsent", ""}}) {
            HttpResponse<String> r = put("/api/clients/other-business/settings", c[0], otherKey);
            assertThat(r.statusCode()).as(c[0] + ": " + r.body()).isEqualTo(400);
            JsonNode problems = Jsons.read(r.body()).get("problems");
            assertThat(problems).as(r.body()).hasSize(1);
            assertThat(problems.get(0).get("field").asText()).isEqualTo(c[1]);
            assertThat(problems.get(0).get("reason").asText()).isNotBlank().contains(c[2]);
        }
        // several at once: each named; a good part next to a bad one is not saved either
        HttpResponse<String> many = put("/api/clients/other-business/settings", "{\"slotMinutes\":30,\"horizonDays\":0,\"timezone\":\"Mars/Olympus\","
                + "\"foo\":1,\"calling\":{\"maxAttempts\":0}}", otherKey);
        assertThat(many.statusCode()).isEqualTo(400);
        List<String> fields = new ArrayList<>();
        Jsons.read(many.body()).get("problems").forEach(p -> fields.add(p.get("field").asText()));
        assertThat(fields).containsExactlyInAnyOrder("foo", "timezone", "horizonDays", "calling.maxAttempts");
        assertThat(hub.get("/api/clients/other-business/settings", "X-API-Key", otherKey).body()).isEqualTo(before);

        // a valid time zone is a setting like the others; what GET shows can be PUT back
        HttpResponse<String> dublin = put("/api/clients/other-business/settings", "{\"timezone\":\"Europe/Dublin\"}", otherKey);
        assertThat(dublin.statusCode()).as(dublin.body()).isEqualTo(200);
        JsonNode shown = Jsons.read(hub.get("/api/clients/other-business/settings", "X-API-Key", otherKey).body());
        assertThat(shown.get("timezone").asText()).isEqualTo("Europe/Dublin");
        HttpResponse<String> back = put("/api/clients/other-business/settings", shown.toString().replace("Europe/Dublin", "Europe/London"), otherKey);
        assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
        assertThat(Jsons.read(back.body()).get("timezone").asText()).isEqualTo("Europe/London");
    }
}
