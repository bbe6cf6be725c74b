package uk.bookinghub.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.TwilioSigner;
import uk.bookinghub.support.TwilioStub;
import uk.bookinghub.support.VapiReports;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every fact the analytics numbers need reaches analytics_events off the request path, once by its
 * key, with its client, lead, source and the time it happened: bookings, cancellations and moves by
 * the assistant's tools and the API; completed / no-show marks (the client's PATCH, with its rules
 * and 409s, and the attendance sweep); SMS and email sends with Twilio's price, delivery and failure
 * callbacks (delivered twice, counted once); lead imports per source (also the background job);
 * opt-outs by STOP and by the API. A lost event is added back by the reconciliation, and the daily
 * roll-up always equals the one rebuilt from the raw events. The real hub over HTTP, Twilio's wire
 * format from a local stand-in, email to a real SMTP server. Numbers: Ofcom drama ranges only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AnalyticsEventsTest {

    static final String SID = "AC0123456789abcdef0123456789abcdef";
    static final String TOKEN = "twilio-test-auth-token";
    static final String PUBLIC = "https://hub.example.test";
    static final String CLIENT_NUMBER = "+447700900999";
    static final ZoneId LONDON = ZoneId.of("Europe/London");
    private static final AtomicInteger NEXT = new AtomicInteger(400);

    private TestDatabase db;
    private RunningHub hub;
    private TwilioStub twilio;
    private GreenMail smtp;
    private EventRows rows;
    private String key;
    private String otherKey;
    private long clientId;
    private LocalDate baseMonday;
    private final AtomicInteger week = new AtomicInteger();

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        rows = new EventRows(db);
        twilio = TwilioStub.start(SID, TOKEN);
        int smtpPort = RunningHub.freePort();
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        Map<String, String> o = RunningHub.messagingTo(twilio, TOKEN, smtpPort, PUBLIC);
        o.put("hub.leads.async-threshold-rows", "5");
        o.put("hub.leads.chunk-size", "3");
        hub = RunningHub.start(db.hubUrl(), o);
        key = hub.onboard("{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\","
                + "\"smsFromNumber\":\"07700 900999\"}");
        otherKey = hub.onboard("{\"businessName\":\"Other Business\",\"email\":\"b@other.example\",\"phone\":\"0113 496 0001\"}");
        clientId = rows.scalarLong("select id from clients where client_key = 'leeds-plumbing'");
        HttpResponse<String> s = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/leeds-plumbing/settings")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"businessHours\":{\"mon\":[[\"09:00\",\"17:00\"]],\"tue\":[[\"09:00\",\"17:00\"]],"
                        + "\"wed\":[[\"09:00\",\"17:00\"]],\"thu\":[[\"09:00\",\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]],\"sat\":[],\"sun\":[]},"
                        + "\"slotMinutes\":30,\"services\":[{\"name\":\"Boiler service\",\"minutes\":60},{\"name\":\"Quote\",\"minutes\":30}],"
                        + "\"minNoticeMinutes\":60,\"horizonDays\":365}"))
                .header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(s.statusCode()).as(s.body()).isEqualTo(200);
        baseMonday = LocalDate.now(LONDON).plusDays(14).with(TemporalAdjusters.next(DayOfWeek.MONDAY));
    }

    @AfterAll
    void stop() {
        hub.close();
        twilio.close();
        smtp.stop();
        db.close();
    }

    private LocalDate freshMonday() {
        return baseMonday.plusWeeks(week.incrementAndGet());
    }

    private static String mobile() {
        return "+447700900" + String.format("%03d", NEXT.incrementAndGet());
    }

    private long lead(String phone, String source) {
        HttpResponse<String> r = hub.post("/api/leads", "application/json", "{\"name\":\"Ann\",\"phone\":\"" + phone + "\",\"source\":\"" + source + "\"}",
                "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return Jsons.read(r.body()).get("lead").get("id").asLong();
    }

    private static String toolCall(String callId, String toolCallId, String name, String argsJson) {
        return "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"" + callId + "\",\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"leeds-plumbing\"}}},"
                + "\"toolCallList\":[{\"id\":\"" + toolCallId + "\",\"type\":\"function\",\"function\":{\"name\":\"" + name + "\",\"arguments\":"
                + Jsons.quote(argsJson) + "}}]}}";
    }

    private JsonNode tool(String body) {
        HttpResponse<String> r = hub.postVapi(body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    /** Books through the assistant's tool; returns the appointment id. */
    private long book(String callId, LocalDate day, String time, String phone) {
        JsonNode r = tool(toolCall(callId, "tc-" + UUID.randomUUID(), "bookAppointment", "{\"start\":\"" + day + "T" + time + "\",\"name\":\"Ann\",\"phone\":\""
                + phone + "\",\"service\":\"Boiler service\"}")).get("results").get(0);
        assertThat(r.get("result").asText()).as(r.toString()).startsWith("Booked");
        return rows.scalarLong("select max(id) from appointments where vapi_call_id = ?", callId);
    }

    private HttpResponse<String> patch(long id, String json) {
        return hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/appointments/" + id))).method("PATCH", HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json"), "X-API-Key", key);
    }

    private EventRows.Event awaitEvent(String eventKey) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(25)).until(() -> rows.byKey(eventKey) != null);
        return rows.byKey(eventKey);
    }

    private Instant column(String sql, Object... args) {
        return rows.instantOf(sql, args);
    }

    /** Moves an appointment into the past, as time passing would (its start and end {@code hoursAgo} / minus an hour ago). */
    private void backdate(long appointmentId, long endedHoursAgo) {
        Instant end = Instant.now().minus(Duration.ofHours(endedHoursAgo)).truncatedTo(ChronoUnit.MILLIS);
        rows.update("update appointments set start_at = ?, end_at = ? where id = ?", rows.at(end.minus(Duration.ofHours(1))), rows.at(end), appointmentId);
    }

    // ---- appointments -----------------------------------------------------------------------

    @Test
    void bookingMovingAndCancellingByTheAssistantAreEventsOnceEachAndTheToolReplyIsUnchanged() {
        LocalDate day = freshMonday();
        String phone = mobile();
        long leadId = lead(phone, "facebook-nov");
        String body = toolCall("call-ev-1", "tc-ev-book", "bookAppointment", "{\"start\":\"" + day + "T10:00\",\"name\":\"Ann\",\"phone\":\"" + phone
                + "\",\"service\":\"Boiler service\"}");
        JsonNode first = tool(body);
        JsonNode retried = tool(body); // Vapi's retry of the same tool call
        assertThat(retried).isEqualTo(first);
        // the reply is exactly the tools' answers: {"results":[{name, toolCallId, result}]}
        assertThat(first.size()).isEqualTo(1);
        JsonNode result = first.get("results").get(0);
        assertThat(result.get("name").asText()).isEqualTo("bookAppointment");
        assertThat(result.get("toolCallId").asText()).isEqualTo("tc-ev-book");
        assertThat(result.get("result").asText()).startsWith("Booked Boiler service for Ann");
        assertThat(result.size()).isEqualTo(3);
        long id = rows.scalarLong("select id from appointments where tool_call_id = 'tc-ev-book'");

        EventRows.Event booked = awaitEvent("appointment.booked:" + id);
        assertThat(booked.type()).isEqualTo("appointment.booked");
        assertThat(booked.clientId()).isEqualTo(clientId);
        assertThat(booked.clientKey()).isEqualTo("leeds-plumbing");
        assertThat(booked.leadId()).isEqualTo(leadId);
        assertThat(booked.source()).isEqualTo("facebook-nov");
        assertThat(booked.occurredAt()).isEqualTo(column("select created_at from appointments where id = ?", id));
        assertThat(booked.prop("service")).isEqualTo("Boiler service");
        assertThat(booked.prop("bookedBy")).isEqualTo("assistant");
        assertThat(Instant.parse(booked.prop("startAt"))).isEqualTo(day.atTime(10, 0).atZone(LONDON).toInstant());
        assertThat(booked.props().get("appointmentId").asLong()).isEqualTo(id);

        // moved by the assistant
        JsonNode moved = tool(toolCall("call-ev-1", "tc-ev-move", "rescheduleAppointment", "{\"appointmentId\":\"" + id + "\",\"start\":\"" + day + "T14:00\"}"));
        assertThat(moved.get("results").get(0).get("result").asText()).startsWith("Moved");
        Instant scheduled = column("select scheduled_at from appointments where id = ?", id);
        EventRows.Event move = awaitEvent("appointment.moved:" + id + ":" + scheduled);
        assertThat(Instant.parse(move.prop("fromStart"))).isEqualTo(day.atTime(10, 0).atZone(LONDON).toInstant());
        assertThat(Instant.parse(move.prop("toStart"))).isEqualTo(day.atTime(14, 0).atZone(LONDON).toInstant());
        assertThat(move.occurredAt()).isEqualTo(scheduled);
        assertThat(move.source()).isEqualTo("facebook-nov");

        // cancelled by the assistant, twice delivered
        String cancel = toolCall("call-ev-1", "tc-ev-cancel", "cancelAppointment", "{\"appointmentId\":\"" + id + "\"}");
        assertThat(tool(cancel).get("results").get(0).get("result").asText()).startsWith("Cancelled");
        tool(cancel);
        EventRows.Event cancelled = awaitEvent("appointment.cancelled:" + id);
        assertThat(cancelled.occurredAt()).isEqualTo(column("select cancelled_at from appointments where id = ?", id));
        assertThat(Instant.parse(cancelled.prop("bookedAt"))).isEqualTo(booked.occurredAt());
        assertThat(cancelled.leadId()).isEqualTo(leadId);

        assertThat(rows.count("event_key in (?, ?)", "appointment.booked:" + id, "appointment.cancelled:" + id)).isEqualTo(2);
        assertThat(rows.withPrefix("appointment.moved:" + id + ":")).hasSize(1);
        rows.assertRollupIsTheSumOfItsEvents(hub, "leeds-plumbing");
    }

    @Test
    void movingAndCancellingThroughTheApiAreEvents() {
        LocalDate day = freshMonday();
        long id = book("call-ev-api", day, "11:00", mobile());
        awaitEvent("appointment.booked:" + id);
        assertThat(patch(id, "{\"start\":\"" + day + "T15:00\"}").statusCode()).isEqualTo(200);
        Instant scheduled = column("select scheduled_at from appointments where id = ?", id);
        assertThat(awaitEvent("appointment.moved:" + id + ":" + scheduled).prop("toStart")).isNotNull();
        HttpResponse<String> c = patch(id, "{\"status\":\"cancelled\"}");
        assertThat(c.statusCode()).as(c.body()).isEqualTo(200);
        assertThat(Jsons.read(c.body()).get("status").asText()).isEqualTo("cancelled");
        EventRows.Event cancelled = awaitEvent("appointment.cancelled:" + id);
        assertThat(cancelled.prop("service")).isEqualTo("Boiler service");
        assertThat(patch(id, "{\"status\":\"cancelled\"}").statusCode()).isEqualTo(409);
        assertThat(rows.count("event_key = ?", "appointment.cancelled:" + id)).isEqualTo(1);
        rows.assertRollupIsTheSumOfItsEvents(hub, "leeds-plumbing");
    }

    @Test
    void completedAndNoShowFollowTheirRulesAndAreEvents() {
        LocalDate day = freshMonday();
        long a = book("call-att-1", day, "09:00", mobile());
        long b = book("call-att-2", day, "11:00", mobile());
        long c = book("call-att-3", day, "14:00", mobile());

        // not before its start
        HttpResponse<String> early = patch(a, "{\"status\":\"completed\"}");
        assertThat(early.statusCode()).isEqualTo(409);
        assertThat(Jsons.read(early.body()).get("error").asText()).contains("once its start has passed");
        assertThat(patch(a, "{\"status\":\"attended\"}").statusCode()).isEqualTo(400);
        assertThat(patch(c, "{\"status\":\"cancelled\"}").statusCode()).isEqualTo(200);
        backdate(a, 3);
        backdate(b, 3);
        backdate(c, 3);
        String localDay = column("select start_at from appointments where id = ?", a).atZone(LONDON).toLocalDate().toString();
        Map<String, String> before = rows.daily(clientId);

        HttpResponse<String> done = patch(a, "{\"status\":\"completed\"}");
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(Jsons.read(done.body()).get("status").asText()).isEqualTo("completed");
        assertThat(Jsons.read(done.body()).get("completedBy").asText()).isEqualTo("client");
        EventRows.Event completed = awaitEvent("appointment.completed:" + a);
        assertThat(completed.prop("by")).isEqualTo("client");
        assertThat(completed.occurredAt()).isEqualTo(column("select completed_at from appointments where id = ?", a));
        assertThat(Instant.parse(completed.prop("startAt"))).isEqualTo(column("select start_at from appointments where id = ?", a));
        assertThat(completed.props().has("previous")).isFalse();

        HttpResponse<String> again = patch(a, "{\"status\":\"completed\"}");
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(Jsons.read(again.body()).get("error").asText()).contains("already completed");
        // the correction: completed -> no_show, once
        assertThat(patch(a, "{\"status\":\"no_show\"}").statusCode()).isEqualTo(200);
        EventRows.Event corrected = awaitEvent("appointment.no_show:" + a);
        assertThat(corrected.prop("previous")).isEqualTo("completed");
        HttpResponse<String> back = patch(a, "{\"status\":\"completed\"}");
        assertThat(back.statusCode()).isEqualTo(409);
        assertThat(Jsons.read(back.body()).get("error").asText()).contains("no-show is not changed back");
        assertThat(patch(a, "{\"status\":\"no_show\"}").statusCode()).isEqualTo(409);
        assertThat(patch(a, "{\"start\":\"" + day.plusDays(1) + "T10:00\"}").statusCode()).isEqualTo(409);

        assertThat(patch(b, "{\"status\":\"no_show\"}").statusCode()).isEqualTo(200);
        assertThat(awaitEvent("appointment.no_show:" + b).props().has("previous")).isFalse();

        HttpResponse<String> cancelled = patch(c, "{\"status\":\"completed\"}");
        assertThat(cancelled.statusCode()).isEqualTo(409);
        assertThat(Jsons.read(cancelled.body()).get("error").asText()).contains("was cancelled");
        assertThat(rows.count("event_key in (?, ?)", "appointment.completed:" + c, "appointment.no_show:" + c)).isZero();

        // the list filters by the new statuses; an unknown one is a 400
        HttpResponse<String> list = hub.get("/api/appointments?status=no_show", "X-API-Key", key);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(Jsons.read(list.body()).get("items").findValuesAsText("id")).contains(String.valueOf(a), String.valueOf(b));
        assertThat(hub.get("/api/appointments?status=attended", "X-API-Key", key).statusCode()).isEqualTo(400);

        // the roll-up: a's completed was taken back by its correction, two more no-shows on that day
        Map<String, String> daily = rows.daily(clientId);
        assertThat(attended(daily, localDay, "no_show") - attended(before, localDay, "no_show")).isEqualTo(2);
        assertThat(attended(daily, localDay, "completed")).isEqualTo(attended(before, localDay, "completed"));
        rows.assertRollupIsTheSumOfItsEvents(hub, "leeds-plumbing");
    }

    private static long attended(Map<String, String> daily, String day, String dim) {
        String v = daily.get(day + "||attend|" + dim);
        return v == null ? 0 : Long.parseLong(v.substring(0, v.indexOf('/')));
    }

    @Test
    void theSweepMarksAppointmentsThatEndedLongAgoCompletedOnceEvenWhenTwoRunAtOnce() throws Exception {
        LocalDate day = freshMonday();
        long old = book("call-sweep-1", day, "09:00", mobile());
        long recent = book("call-sweep-2", day, "11:00", mobile());
        long future = book("call-sweep-3", day, "14:00", mobile());
        backdate(old, 25);
        backdate(recent, 2);
        // two sweeps at once (two instances on PostgreSQL): the conditional update decides
        var template = hub.camel().createProducerTemplate();
        CompletableFuture<Void> one = CompletableFuture.runAsync(() -> template.sendBody("direct:appointments-attendance-run", null));
        CompletableFuture<Void> two = CompletableFuture.runAsync(() -> template.sendBody("direct:appointments-attendance-run", null));
        one.get();
        two.get();
        template.sendBody("direct:appointments-attendance-run", null);

        assertThat(rows.scalar("select status from appointments where id = ?", old)).isEqualTo("completed");
        assertThat(rows.scalar("select completed_by from appointments where id = ?", old)).isEqualTo("sweep");
        assertThat(rows.scalar("select status from appointments where id = ?", recent)).isEqualTo("booked");
        assertThat(rows.scalar("select status from appointments where id = ?", future)).isEqualTo("booked");
        EventRows.Event e = awaitEvent("appointment.completed:" + old);
        assertThat(e.prop("by")).isEqualTo("sweep");
        assertThat(e.clientKey()).isEqualTo("leeds-plumbing");
        assertThat(rows.count("event_type = 'appointment.completed' and event_key = ?", "appointment.completed:" + old)).isEqualTo(1);
        assertThat(rows.byKey("appointment.completed:" + recent)).isNull();
        // a completed appointment still stands: the call that booked it ends as booked
        HttpResponse<String> report = hub.postVapi(VapiReports.endOfCall("call-sweep-1",
                "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"leeds-plumbing\"}}", "customer-ended-call", null));
        assertThat(Jsons.read(report.body()).get("outcome").asText()).isEqualTo("booked");
        // a client may still correct the sweep
        assertThat(patch(old, "{\"status\":\"no_show\"}").statusCode()).isEqualTo(200);
        assertThat(awaitEvent("appointment.no_show:" + old).prop("previous")).isEqualTo("completed");
        rows.assertRollupIsTheSumOfItsEvents(hub, "leeds-plumbing");
    }

    // ---- messages ---------------------------------------------------------------------------

    private long queueSms(String phone, String idem) {
        return queueSms(phone, null, idem);
    }

    private long queueSms(String phone, Long leadId, String idem) {
        HttpResponse<String> r = hub.post("/api/messages", "application/json", "{\"kind\":\"confirmation\",\"channels\":[\"sms\"],"
                + (leadId == null ? "" : "\"leadId\":" + leadId + ",") + "\"phone\":\"" + phone
                + "\",\"customerName\":\"Ann\",\"appointment\":{\"start\":\"2026-12-01T14:30\",\"service\":\"Boiler service\"},\"idempotencyKey\":\"" + idem + "\"}",
                "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        return Jsons.read(r.body()).get("messages").get(0).get("id").asLong();
    }

    private String awaitSid(long messageId) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(25))
                .until(() -> rows.scalar("select provider_id from messages where id = ? and status <> 'sending'", messageId) != null);
        return (String) rows.scalar("select provider_id from messages where id = ?", messageId);
    }

    private HttpResponse<String> postSigned(String path, Map<String, String> params) {
        String sig = TwilioSigner.sign(TOKEN, PUBLIC + path, params);
        return hub.post(path, "application/x-www-form-urlencoded", TwilioSigner.form(params), TwilioSigner.HEADER, sig);
    }

    @Test
    void smsSendsCarryTwilioPriceAndCallbacksDeliveredTwiceCountOnce() {
        twilio.price("-0.0400", "USD");
        try {
            String phone = mobile();
            long leadId = lead(phone, "leaflet");
            long id = queueSms(phone, leadId, "ev-sms-" + UUID.randomUUID());
            String sid = awaitSid(id);
            EventRows.Event sent = awaitEvent("message.sent:" + id);
            assertThat(sent.prop("channel")).isEqualTo("sms");
            assertThat(sent.prop("kind")).isEqualTo("confirmation");
            assertThat(sent.prop("price")).isEqualTo("-0.0400");
            assertThat(sent.prop("priceUnit")).isEqualTo("USD");
            assertThat(sent.props().get("segments").asInt()).isEqualTo(1);
            assertThat(sent.occurredAt()).isEqualTo(column("select sent_at from messages where id = ?", id));
            assertThat(sent.clientId()).isEqualTo(clientId);
            assertThat(sent.clientKey()).isEqualTo("leeds-plumbing");
            assertThat(sent.leadId()).isEqualTo(leadId);
            assertThat(sent.source()).isEqualTo("leaflet");
            assertThat(Jsons.read(hub.get("/api/messages/" + id, "X-API-Key", key).body()).get("price").asText()).isEqualTo("-0.0400");

            Map<String, String> delivered = TwilioSigner.statusCallback(sid, "delivered", null, SID, CLIENT_NUMBER, phone);
            assertThat(postSigned("/webhooks/twilio/status", delivered).statusCode()).isEqualTo(200);
            HttpResponse<String> retried = postSigned("/webhooks/twilio/status", delivered);
            assertThat(retried.statusCode()).isEqualTo(200);
            assertThat(retried.body()).contains("<Response></Response>");
            EventRows.Event d = awaitEvent("message.delivered:" + id);
            assertThat(d.occurredAt()).isEqualTo(column("select delivered_at from messages where id = ?", id));
            assertThat(rows.count("event_key like ?", "message.%:" + id)).isEqualTo(2);

            // a message Twilio could not deliver: message.failed with Twilio's status and error code
            String other = mobile();
            long failedId = queueSms(other, "ev-sms-" + UUID.randomUUID());
            String failedSid = awaitSid(failedId);
            awaitEvent("message.sent:" + failedId);
            Map<String, String> undelivered = TwilioSigner.statusCallback(failedSid, "undelivered", "30003", SID, CLIENT_NUMBER, other);
            assertThat(postSigned("/webhooks/twilio/status", undelivered).statusCode()).isEqualTo(200);
            assertThat(postSigned("/webhooks/twilio/status", undelivered).statusCode()).isEqualTo(200);
            EventRows.Event f = awaitEvent("message.failed:" + failedId);
            assertThat(f.prop("status")).isEqualTo("undelivered");
            assertThat(f.prop("errorCode")).isEqualTo("30003");
            assertThat(rows.count("event_key = ?", "message.failed:" + failedId)).isEqualTo(1);

            // the price is counted once per SMS, in millionths of its currency
            String today = LocalDate.now(LONDON).toString();
            assertThat(rows.daily(clientId)).containsKey(today + "|leaflet|price|USD");
            assertThat(rows.daily(clientId).get(today + "|leaflet|price|USD")).isEqualTo("1/40000");
        } finally {
            twilio.price(null, "USD");
        }
        rows.assertRollupIsTheSumOfItsEvents(hub, "leeds-plumbing");
    }

    @Test
    void aSendTwilioRefusesIsAFailedMessageAndAStopItReportsAnOptOut() {
        String landline = mobile();
        twilio.failFor(landline, 400, 21610, "Attempt to send to unsubscribed recipient");
        long id = queueSms(landline, "ev-21610-" + UUID.randomUUID());
        EventRows.Event f = awaitEvent("message.failed:" + id);
        assertThat(f.prop("status")).isEqualTo("failed");
        assertThat(f.prop("errorCode")).isEqualTo("21610");
        long optOut = rows.scalarLong("select id from opt_outs where phone_e164 = ?", landline);
        EventRows.Event o = awaitEvent("lead.opted_out:" + optOut);
        assertThat(o.prop("via")).isEqualTo("twilio");
        assertThat(o.clientId()).isEqualTo(clientId);
        assertThat(rows.byKey("message.sent:" + id)).isNull();
    }

    @Test
    void emailSendsAreMessagesWithoutAPrice() {
        HttpResponse<String> r = hub.post("/api/messages", "application/json", "{\"kind\":\"confirmation\",\"channels\":[\"email\"],\"email\":\"ann@customer.example\","
                + "\"customerName\":\"Ann\",\"appointment\":{\"start\":\"2026-12-01T14:30\",\"service\":\"Quote\"},\"idempotencyKey\":\"ev-mail-1\"}",
                "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        long id = Jsons.read(r.body()).get("messages").get(0).get("id").asLong();
        EventRows.Event sent = awaitEvent("message.sent:" + id);
        assertThat(sent.prop("channel")).isEqualTo("email");
        assertThat(sent.props().has("price")).isFalse();
        assertThat(sent.props().get("segments").isNull()).isTrue();
    }

    // ---- leads ------------------------------------------------------------------------------

    @Test
    void importsAreOneEventPerSourceWithTheCountAlsoInTheBackground() {
        String csv = "name,phone,source\nA," + mobile() + ",radio\nB," + mobile() + ",radio\nC," + mobile() + ",web\n";
        HttpResponse<String> r = hub.post("/api/import-leads", "text/csv", csv, "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String importId = Jsons.read(r.body()).get("importId").asText();
        EventRows.Event radio = awaitEvent("lead.imported:" + importId + ":radio");
        assertThat(radio.props().get("count").asLong()).isEqualTo(2);
        assertThat(radio.source()).isEqualTo("radio");
        assertThat(radio.clientKey()).isEqualTo("leeds-plumbing");
        assertThat(radio.occurredAt()).isEqualTo(column("select finished_at from lead_imports where id = ?", importId));
        assertThat(awaitEvent("lead.imported:" + importId + ":web").props().get("count").asLong()).isEqualTo(1);
        // the same file again imports nothing: no event
        HttpResponse<String> again = hub.post("/api/import-leads", "text/csv", csv, "X-API-Key", key);
        String againId = Jsons.read(again.body()).get("importId").asText();
        assertThat(rows.withPrefix("lead.imported:" + againId + ":")).isEmpty();

        // over the threshold: a background job, whose events come when it finishes
        StringBuilder big = new StringBuilder("name,phone,source\n");
        for (int i = 0; i < 7; i++) {
            big.append("N").append(i).append(',').append(mobile()).append(',').append(i < 4 ? "tv" : "").append('\n');
        }
        HttpResponse<String> job = hub.post("/api/import-leads", "text/csv", big.toString(), "X-API-Key", key);
        assertThat(job.statusCode()).as(job.body()).isEqualTo(202);
        String jobId = Jsons.read(job.body()).get("jobId").asText();
        assertThat(awaitEvent("lead.imported:" + jobId + ":tv").props().get("count").asLong()).isEqualTo(4);
        EventRows.Event none = awaitEvent("lead.imported:" + jobId + ":");
        assertThat(none.props().get("count").asLong()).isEqualTo(3);
        assertThat(none.source()).isNull();

        // one lead from the web form is an import of one
        String phone = mobile();
        long leadId = lead(phone, "google");
        assertThat(awaitEvent("lead.imported:lead_" + leadId + ":google").props().get("count").asLong()).isEqualTo(1);
        rows.assertRollupIsTheSumOfItsEvents(hub, "leeds-plumbing");
    }

    @Test
    void optOutsByStopAndByTheApiAreEventsOfTheClientAndItsLead() {
        String phone = mobile();
        long leadId = lead(phone, "door-drop");
        HttpResponse<String> added = hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + phone + "\"}", "X-API-Key", key);
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        long optOutId = Jsons.read(added.body()).get("id").asLong();
        EventRows.Event api = awaitEvent("lead.opted_out:" + optOutId);
        assertThat(api.clientId()).isEqualTo(clientId);
        assertThat(api.leadId()).isEqualTo(leadId);
        assertThat(api.source()).isEqualTo("door-drop");
        assertThat(api.prop("via")).isEqualTo("api");
        assertThat(api.prop("scope")).isEqualTo("client");
        assertThat(hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + phone + "\"}", "X-API-Key", key).statusCode()).isEqualTo(200);
        assertThat(rows.withPrefix("lead.opted_out:").stream().filter(e -> leadId == (e.leadId() == null ? -1 : e.leadId()))).hasSize(1);

        // STOP to the client's number, delivered twice by Twilio
        String texter = mobile();
        long texterLead = lead(texter, "sms-campaign");
        Map<String, String> stop = TwilioSigner.inbound(texter, CLIENT_NUMBER, "STOP", null, SID);
        assertThat(postSigned("/webhooks/twilio/sms", stop).statusCode()).isEqualTo(200);
        assertThat(postSigned("/webhooks/twilio/sms", stop).statusCode()).isEqualTo(200);
        long stopId = rows.scalarLong("select id from opt_outs where phone_e164 = ? and active = ?", texter, true);
        EventRows.Event sms = awaitEvent("lead.opted_out:" + stopId);
        assertThat(sms.prop("via")).isEqualTo("sms");
        assertThat(sms.clientKey()).isEqualTo("leeds-plumbing");
        assertThat(sms.leadId()).isEqualTo(texterLead);
        assertThat(sms.source()).isEqualTo("sms-campaign");
        // another client's data never carries this client's facts
        assertThat(rows.count("client_key = 'other-business'")).isZero();
        rows.assertRollupIsTheSumOfItsEvents(hub, "leeds-plumbing");
    }

    // ---- reconciliation ---------------------------------------------------------------------

    @Test
    void lostEventsAreAddedBackByTheReconciliationWithTheSameShape() {
        LocalDate day = freshMonday();
        String phone = mobile();
        long leadId = lead(phone, "lost-campaign");
        long id = book("call-lost", day, "16:00", phone);
        long smsId = queueSms(phone, "ev-lost-" + UUID.randomUUID());
        awaitEvent("appointment.booked:" + id);
        awaitEvent("message.sent:" + smsId);
        HttpResponse<String> opt = hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + mobile() + "\"}", "X-API-Key", key);
        long optOutId = Jsons.read(opt.body()).get("id").asLong();
        awaitEvent("lead.opted_out:" + optOutId);
        List<String> lost = List.of("appointment.booked:" + id, "message.sent:" + smsId, "lead.opted_out:" + optOutId, "lead.imported:lead_" + leadId + ":lost-campaign");
        Map<String, EventRows.Event> live = new LinkedHashMap<>();
        for (String k : lost) {
            live.put(k, awaitEvent(k));
        }
        // the hub stopped between the commit and the wire tap: the events are not there, nor in the roll-up
        for (String k : lost) {
            rows.update("delete from analytics_events where event_key = ?", k);
        }
        assertThat(EventRows.rebuild(hub, "leeds-plumbing").statusCode()).isEqualTo(200);

        HttpResponse<String> r = EventRows.reconcile(hub, "24");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode added = Jsons.read(r.body()).get("added");
        assertThat(added.get("appointment.booked").asInt()).isEqualTo(1);
        assertThat(added.get("message.sent").asInt()).isEqualTo(1);
        assertThat(added.get("lead.opted_out").asInt()).isEqualTo(1);
        assertThat(added.get("lead.imported").asInt()).isEqualTo(1);
        assertThat(added.get("call.ended").asInt()).isZero();
        for (String k : lost) {
            EventRows.Event back = rows.byKey(k);
            EventRows.Event was = live.get(k);
            assertThat(back).as(k).isNotNull();
            assertThat(back.props().get("reconciled").asBoolean()).isTrue();
            assertThat(EventRows.comparable(back.props())).as(k).isEqualTo(EventRows.comparable(was.props()));
            assertThat(back.occurredAt()).as(k).isEqualTo(was.occurredAt());
            assertThat(back.clientKey()).isEqualTo(was.clientKey());
            assertThat(back.leadId()).isEqualTo(was.leadId());
            assertThat(back.source()).isEqualTo(was.source());
        }
        // once only: a second pass adds nothing
        JsonNode second = Jsons.read(EventRows.reconcile(hub, "24").body());
        assertThat(second.get("total").asInt()).isZero();
        rows.assertRollupIsTheSumOfItsEvents(hub, "leeds-plumbing");

        assertThat(EventRows.reconcile(hub, "0").statusCode()).isEqualTo(400);
        assertThat(EventRows.reconcile(hub, "abc").statusCode()).isEqualTo(400);
        assertThat(EventRows.reconcile(hub, "9000").statusCode()).isEqualTo(400);
        assertThat(hub.post("/api/admin/analytics/reconcile", "application/json", "", "X-API-Key", key).statusCode()).isIn(401, 403, 404);
    }
}
