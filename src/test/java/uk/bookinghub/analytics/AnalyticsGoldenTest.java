package uk.bookinghub.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The numbers on a golden data set, every field asserted exactly: one client's calls (signed Vapi
 * end-of-call reports) and bookings across both 2026 UK clock changes (29 March: the local day is 23
 * hours; 25 October: 25 hours, 01:30 happens twice) and two ISO-week boundaries, known costs in USD
 * at the client's own rate (0.80), two lead sources (campaigns) and calls without a lead; another
 * client's calls and bookings at the same moments, never counted. The bookings are history: written
 * as appointment rows with their booking time (as the hub stored them months ago) and brought into
 * analytics by the reconciliation, the path that recovers lost events. The same totals come out of
 * metrics, trend, outcomes, campaigns, weekly report and the CSV export.
 *
 * <p>The days (Europe/London): s1 28 Mar 23:30 GMT; s2 29 Mar 00:30 GMT; s3 29 Mar 23:30 BST
 * (22:30Z); s4 30 Mar 00:30 BST (29 Mar 23:30Z: a UTC day would put it in the wrong ISO week);
 * s5 30 Mar; a1 25 Oct 00:30 BST (24 Oct 23:30Z); a2 25 Oct 01:30 BST; a3 25 Oct 01:30 GMT; a4 25 Oct
 * 23:30 GMT; a5 26 Oct 00:30 GMT.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AnalyticsGoldenTest {

    /** Answers read with their decimals as written (50.00 stays 50.00). */
    private static final com.fasterxml.jackson.databind.ObjectMapper EXACT = new com.fasterxml.jackson.databind.ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true));

    private TestDatabase db;
    private RunningHub hub;
    private String key;
    private String otherKey;
    private long clientId;
    private long otherId;
    private long fb;
    private long google;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() throws Exception {
        db = TestDatabase.create(kind());
        hub = RunningHub.start(db.hubUrl(), Map.of());
        key = hub.onboard("{\"businessName\":\"Golden Boilers\",\"email\":\"owner@golden.example\",\"phone\":\"0113 496 0101\"}");
        otherKey = hub.onboard("{\"businessName\":\"Other Roofing\",\"email\":\"owner@other.example\",\"phone\":\"0113 496 0102\"}");
        HttpResponse<String> settings = hub.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(hub.url("/api/clients/golden-boilers/settings")))
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"analytics\":{\"averageJobValue\":150,\"services\":{\"Boiler service\":200},\"usdToGbp\":0.80}}")),
                "Content-Type", "application/json", "X-API-Key", key);
        assertThat(settings.statusCode()).as(settings.body()).isEqualTo(200);
        clientId = Long.parseLong(scalar("select id from clients where client_key = 'golden-boilers'"));
        otherId = Long.parseLong(scalar("select id from clients where client_key = 'other-roofing'"));
        fb = lead(key, "07700 900401", "facebook");
        google = lead(key, "07700 900402", "google");
        long otherLead = lead(otherKey, "07700 900403", "facebook");

        call("s1", "golden-boilers", fb, "2026-03-28T23:30:00Z", "customer-ended-call", "{\"outcome\":\"booked\"}", "120.0", "0.1234");
        call("s2", "golden-boilers", google, "2026-03-29T00:30:00Z", "customer-did-not-answer", null, null, "0.0100");
        call("s3", "golden-boilers", fb, "2026-03-29T22:30:00Z", "voicemail", null, "30.5", "0.0567");
        call("s4", "golden-boilers", google, "2026-03-29T23:30:00Z", "customer-ended-call", "{\"outcome\":\"booked\"}", "200.25", "0.2001");
        call("s5", "golden-boilers", null, "2026-03-30T10:00:00Z", "customer-ended-call", "{\"outcome\":\"not_interested\"}", "45", "0.0800");
        call("a1", "golden-boilers", fb, "2026-10-24T23:30:00Z", "customer-ended-call", null, "60", "0.1000");
        call("a2", "golden-boilers", google, "2026-10-25T00:30:00Z", "customer-busy", null, null, "0");
        call("a3", "golden-boilers", fb, "2026-10-25T01:30:00Z", "customer-ended-call", "{\"callbackRequested\":true}", "90", "0.0333");
        call("a4", "golden-boilers", google, "2026-10-25T23:30:00Z", "pipeline-error-openai-llm-failed", null, null, "0.0050");
        call("a5", "golden-boilers", fb, "2026-10-26T00:30:00Z", "customer-ended-call", "{\"outcome\":\"booked\"}", "150", "0.1500");
        // the other client, at the same moments: never in golden-boilers' numbers
        call("o1", "other-roofing", otherLead, "2026-03-29T00:30:00Z", "customer-ended-call", "{\"outcome\":\"booked\"}", "99", "9.9999");
        call("o2", "other-roofing", otherLead, "2026-10-25T01:30:00Z", "customer-ended-call", null, "99", "9.9999");

        appointment(clientId, fb, "s1", "Boiler service", "2026-03-28T23:35:00Z", null);
        appointment(clientId, google, "s4", "Leak repair", "2026-03-29T23:40:00Z", null);
        appointment(clientId, fb, "a5", "Boiler service", "2026-10-26T00:40:00Z", null);
        appointment(clientId, fb, null, null, "2026-10-25T00:45:00Z", "2026-10-27T10:00:00Z");
        appointment(clientId, google, "a1", "Leak repair", "2026-10-24T23:50:00Z", null);
        appointment(otherId, otherLead, "o1", "Roof survey", "2026-03-29T00:35:00Z", null);

        await().atMost(Duration.ofSeconds(20)).until(() -> count("select count(*) from analytics_events where event_type = 'call.ended'") == 12);
        HttpResponse<String> r = hub.post("/api/admin/analytics/reconcile?hours=8784", "application/json", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).until(() -> count("select count(*) from analytics_events where event_type like 'appointment.%'") == 7);
    }

    @AfterAll
    void stop() {
        if (hub != null) {
            hub.close();
        }
        if (db != null) {
            db.close();
        }
    }

    // ---- the numbers ---------------------------------------------------------------------------

    @Test
    void metricsOfTheSpringWeekCountEachCallOnTheLocalDayItEnded() {
        JsonNode m = get("/api/analytics/metrics?from=2026-03-23&to=2026-03-29");
        assertThat(m.get("period").get("from").asText()).isEqualTo("2026-03-23");
        assertThat(m.get("period").get("to").asText()).isEqualTo("2026-03-29");
        assertThat(m.get("period").get("days").asInt()).isEqualTo(7);
        assertThat(m.get("period").get("timezone").asText()).isEqualTo("Europe/London");
        assertThat(m.get("currency").asText()).isEqualTo("GBP");
        assertThat(m.get("usdToGbp").decimalValue()).isEqualByComparingTo("0.8");
        assertThat(m.get("total_calls").asLong()).isEqualTo(3);          // s1, s2, s3 (s4 ended 00:30 BST on the 30th)
        assertThat(m.get("connected_calls").asLong()).isEqualTo(1);      // s2 no answer, s3 voicemail
        assertThat(m.get("appointments_booked").asLong()).isEqualTo(1);
        assertThat(m.get("conversion_rate_percent").decimalValue()).isEqualTo(new BigDecimal("33.33"));
        assertThat(m.get("average_call_duration_seconds").decimalValue()).isEqualTo(new BigDecimal("75.25"));   // (120 + 30.5) / 2: s2 has none
        assertThat(m.get("total_cost").decimalValue()).isEqualTo(new BigDecimal("0.15"));                        // 0.1901 USD × 0.80 = 0.15208
        assertThat(m.get("cost_per_appointment").decimalValue()).isEqualTo(new BigDecimal("0.15"));
        assertThat(m.get("estimated_revenue").decimalValue()).isEqualTo(new BigDecimal("200.00"));               // a Boiler service
        assertThat(m.get("roi_percent").decimalValue()).isEqualTo(new BigDecimal("131409.73"));                  // (200 − 0.15208) / 0.15208, unrounded cost
        assertThat(outcomes(m.get("outcomes"))).containsExactlyEntriesOf(ordered(
                "booked", 1, "not_interested", 0, "no_answer", 1, "voicemail", 1, "callback_requested", 0, "busy", 0, "completed", 0, "failed", 0));
    }

    @Test
    void metricsOfTheAutumnWeekCountTheTwentyFiveHourDayOnce() {
        JsonNode m = get("/api/analytics/metrics?from=2026-10-19&to=2026-10-25");
        assertThat(m.get("total_calls").asLong()).isEqualTo(4);          // a1..a4 all on Sunday the 25th, local
        assertThat(m.get("connected_calls").asLong()).isEqualTo(2);      // a2 busy, a4 failed
        assertThat(m.get("appointments_booked").asLong()).isEqualTo(1);  // two booked that day, one cancelled since
        assertThat(m.get("conversion_rate_percent").decimalValue()).isEqualTo(new BigDecimal("25.00"));
        assertThat(m.get("average_call_duration_seconds").decimalValue()).isEqualTo(new BigDecimal("75.00"));
        assertThat(m.get("total_cost").decimalValue()).isEqualTo(new BigDecimal("0.11"));        // 0.1383 × 0.80 = 0.11064
        assertThat(m.get("cost_per_appointment").decimalValue()).isEqualTo(new BigDecimal("0.11"));
        assertThat(m.get("estimated_revenue").decimalValue()).isEqualTo(new BigDecimal("150.00")); // Leak repair: the average job value
        assertThat(m.get("roi_percent").decimalValue()).isEqualTo(new BigDecimal("135474.84"));
        assertThat(outcomes(m.get("outcomes"))).containsExactlyEntriesOf(ordered(
                "booked", 0, "not_interested", 0, "no_answer", 0, "voicemail", 0, "callback_requested", 1, "busy", 1, "completed", 1, "failed", 1));
    }

    @Test
    void metricsOfTheWholePeriod() {
        JsonNode m = get("/api/analytics/metrics?from=2026-03-01&to=2026-10-31");
        assertThat(m.get("total_calls").asLong()).isEqualTo(10);
        assertThat(m.get("connected_calls").asLong()).isEqualTo(6);
        assertThat(m.get("appointments_booked").asLong()).isEqualTo(4);
        assertThat(m.get("conversion_rate_percent").decimalValue()).isEqualTo(new BigDecimal("40.00"));
        assertThat(m.get("average_call_duration_seconds").decimalValue()).isEqualTo(new BigDecimal("99.39"));  // 695.75 / 7
        assertThat(m.get("total_cost").decimalValue()).isEqualTo(new BigDecimal("0.61"));                       // 0.7585 × 0.80 = 0.6068
        assertThat(m.get("cost_per_appointment").decimalValue()).isEqualTo(new BigDecimal("0.15"));             // 0.1517
        assertThat(m.get("estimated_revenue").decimalValue()).isEqualTo(new BigDecimal("700.00"));              // 200 + 150 + 200 + 150
        assertThat(m.get("roi_percent").decimalValue()).isEqualTo(new BigDecimal("115259.26"));
        assertThat(outcomes(m.get("outcomes"))).containsExactlyEntriesOf(ordered(
                "booked", 3, "not_interested", 1, "no_answer", 1, "voicemail", 1, "callback_requested", 1, "busy", 1, "completed", 1, "failed", 1));
    }

    @Test
    void aPeriodWithoutCallsHasNullRatesNotZeroOrInfinity() {
        JsonNode m = get("/api/analytics/metrics?from=2026-06-01&to=2026-06-07");
        assertThat(m.get("total_calls").asLong()).isZero();
        assertThat(m.get("conversion_rate_percent").isNull()).isTrue();
        assertThat(m.get("average_call_duration_seconds").isNull()).isTrue();
        assertThat(m.get("cost_per_appointment").isNull()).isTrue();
        assertThat(m.get("roi_percent").isNull()).isTrue();
        assertThat(m.get("total_cost").decimalValue()).isEqualTo(new BigDecimal("0.00"));
        assertThat(m.get("estimated_revenue").decimalValue()).isEqualTo(new BigDecimal("0.00"));
    }

    @Test
    void trendByDayHasEveryLocalDayAcrossTheClockChanges() {
        JsonNode t = get("/api/analytics/trend?from=2026-03-27&to=2026-03-31");
        assertThat(t.get("step").asText()).isEqualTo("day");
        assertThat(rows(t, "date", "calls", "booked")).containsExactly(
                "2026-03-27 0 0", "2026-03-28 1 1", "2026-03-29 2 0", "2026-03-30 2 1", "2026-03-31 0 0");
        JsonNode day = t.get("rows").get(2);
        assertThat(day.get("connected").asLong()).isZero();
        assertThat(day.get("conversion_rate_percent").decimalValue()).isEqualTo(new BigDecimal("0.00"));
        assertThat(day.get("cost").decimalValue()).isEqualTo(new BigDecimal("0.05"));   // (0.0100 + 0.0567) × 0.80 = 0.05336
        assertThat(t.get("rows").get(0).get("conversion_rate_percent").isNull()).isTrue();

        JsonNode autumn = get("/api/analytics/trend?from=2026-10-24&to=2026-10-26");
        assertThat(rows(autumn, "date", "calls", "booked")).containsExactly("2026-10-24 0 0", "2026-10-25 4 1", "2026-10-26 1 1");
    }

    @Test
    void trendByWeekFollowsIsoWeeks() {
        JsonNode t = get("/api/analytics/trend?from=2026-03-23&to=2026-04-05&step=week");
        assertThat(rows(t, "week", "calls", "booked")).containsExactly("2026-W13 3 1", "2026-W14 2 1");
        assertThat(t.get("rows").get(1).get("from").asText()).isEqualTo("2026-03-30");
        assertThat(t.get("rows").get(1).get("to").asText()).isEqualTo("2026-04-05");
        assertThat(t.get("rows").get(1).get("conversion_rate_percent").decimalValue()).isEqualTo(new BigDecimal("50.00"));
        assertThat(t.get("rows").get(1).get("cost").decimalValue()).isEqualTo(new BigDecimal("0.22"));   // 0.2801 × 0.80 = 0.22408
    }

    @Test
    void outcomesGivePercentagesOfAllCalls() {
        JsonNode o = get("/api/analytics/outcomes?from=2026-10-19&to=2026-10-25");
        assertThat(o.get("total_calls").asLong()).isEqualTo(4);
        List<String> rows = new ArrayList<>();
        o.get("outcomes").forEach(r -> rows.add(r.get("outcome").asText() + " " + r.get("count").asLong() + " " + r.get("percent").decimalValue().toPlainString()));
        assertThat(rows).containsExactly("booked 0 0.00", "not_interested 0 0.00", "no_answer 0 0.00", "voicemail 0 0.00",
                "callback_requested 1 25.00", "busy 1 25.00", "completed 1 25.00", "failed 1 25.00");
    }

    @Test
    void campaignsAreRankedByConversion() {
        JsonNode c = get("/api/analytics/campaigns?from=2026-03-01&to=2026-10-31");
        List<String> rows = new ArrayList<>();
        c.get("campaigns").forEach(r -> rows.add((r.get("source").isNull() ? "(none)" : r.get("source").asText()) + " " + r.get("total_calls").asLong()
                + " " + r.get("appointments_booked").asLong() + " " + r.get("conversion_rate_percent").decimalValue().toPlainString()
                + " " + r.get("estimated_revenue").decimalValue().toPlainString()));
        assertThat(rows).containsExactly("google 4 2 50.00 300.00", "facebook 5 2 40.00 400.00", "(none) 1 0 0.00 0.00");
        long calls = 0;
        for (JsonNode r : c.get("campaigns")) {
            calls += r.get("total_calls").asLong();
        }
        assertThat(calls).as("the campaigns add up to the period's calls").isEqualTo(get("/api/analytics/metrics?from=2026-03-01&to=2026-10-31").get("total_calls").asLong());
    }

    @Test
    void weeklyReportHasTheOriginalShapeAndWeekOverWeekChange() {
        JsonNode w = get("/api/analytics/weekly-report?week=2026-W14");
        assertThat(w.get("week").asText()).isEqualTo("2026-W14");
        assertThat(w.get("period").asText()).isEqualTo("2026-03-30 to 2026-04-05");
        JsonNode s = w.get("summary");
        assertThat(s.get("total_calls").asLong()).isEqualTo(2);
        assertThat(s.get("appointments_booked").asLong()).isEqualTo(1);
        assertThat(s.get("conversion_rate_percent").decimalValue()).isEqualTo(new BigDecimal("50.00"));
        assertThat(s.get("cost_per_appointment").decimalValue()).isEqualTo(new BigDecimal("0.22"));
        assertThat(s.get("estimated_revenue").decimalValue()).isEqualTo(new BigDecimal("150.00"));
        assertThat(s.get("roi_percent").decimalValue()).isEqualTo(new BigDecimal("66840.38"));
        assertThat(s.get("display").get("cost_per_appointment").asText()).isEqualTo("£0.22");
        assertThat(s.get("display").get("estimated_revenue").asText()).isEqualTo("£150");
        JsonNode change = w.get("weekOverWeekChange");
        assertThat(change.get("calls").decimalValue()).isEqualTo(new BigDecimal("-33.33"));       // 3 → 2
        assertThat(change.get("appointments").decimalValue()).isEqualTo(new BigDecimal("0.00"));  // 1 → 1
        assertThat(change.get("conversionRate").decimalValue()).isEqualTo(new BigDecimal("50.00")); // 1/3 → 1/2, unrounded
        assertThat(w.get("metrics").get("total_calls").asLong()).isEqualTo(2);
        assertThat(w.get("daily")).hasSize(7);

        JsonNode first = get("/api/analytics/weekly-report?week=2026-W13");
        assertThat(first.get("weekOverWeekChange").get("calls").asText()).as("a week after an empty one").isEqualTo("new");
        assertThat(first.get("weekOverWeekChange").get("appointments").asText()).isEqualTo("new");
        assertThat(first.get("weekOverWeekChange").get("conversionRate").asText()).isEqualTo("new");
    }

    @Test
    void csvExportHasOneRowPerCallInLocalAndUtcTimeWithTheSameTotals() throws Exception {
        HttpResponse<byte[]> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(hub.url("/api/analytics/export.csv?from=2026-03-28&to=2026-03-30"))).header("X-API-Key", key).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
        byte[] body = r.body();
        assertThat(body[0] & 0xFF).as("UTF-8 byte-order mark, for spreadsheets").isEqualTo(0xEF);
        String text = new String(body, 3, body.length - 3, StandardCharsets.UTF_8);
        List<String> lines = List.of(text.split("\r\n"));
        assertThat(lines.get(0)).isEqualTo("call_id,date_local,time_local,ended_at_utc,lead_id,lead_name,source,outcome,duration_seconds,cost_usd,cost_gbp,appointment_id");
        assertThat(lines).hasSize(6);
        long s1Appointment = Long.parseLong(scalar("select id from appointments where vapi_call_id = 'golden-s1'"));
        assertThat(lines.get(1)).isEqualTo("golden-s1,2026-03-28,23:30:00,2026-03-28T23:30:00Z," + fb + ",Facebook Lead,facebook,booked,120.00,0.1234,0.09872," + s1Appointment);
        assertThat(lines.get(3)).isEqualTo("golden-s3,2026-03-29,23:30:00,2026-03-29T22:30:00Z," + fb + ",Facebook Lead,facebook,voicemail,30.50,0.0567,0.04536,");
        assertThat(lines.get(4)).startsWith("golden-s4,2026-03-30,00:30:00,2026-03-29T23:30:00Z,");
        assertThat(lines.get(5)).startsWith("golden-s5,2026-03-30,11:00:00,2026-03-30T10:00:00Z,,,,not_interested,45.00,0.0800,0.064,");
        BigDecimal cost = BigDecimal.ZERO;
        for (String line : lines.subList(1, lines.size())) {
            cost = cost.add(new BigDecimal(line.split(",", -1)[10]));
        }
        JsonNode m = get("/api/analytics/metrics?from=2026-03-28&to=2026-03-30");
        assertThat(lines.size() - 1L).isEqualTo(m.get("total_calls").asLong());
        assertThat(cost.setScale(2, java.math.RoundingMode.HALF_EVEN)).isEqualTo(m.get("total_cost").decimalValue());
    }

    @Test
    void csvNeutralisesCellsThatLookLikeFormulas() throws Exception {
        long evil = lead(key, "07700 900409", "=HYPERLINK(\"http://x\")");
        call("f1", "golden-boilers", evil, "2026-01-05T10:00:00Z", "customer-ended-call", null, "10", "0.01");
        await().atMost(Duration.ofSeconds(20)).until(() -> count("select count(*) from analytics_events where event_key = 'call.ended:golden-f1'") == 1);
        HttpResponse<String> r = hub.get("/api/analytics/export.csv?from=2026-01-05&to=2026-01-05", "X-API-Key", key);
        assertThat(r.body()).contains(",\"'=HYPERLINK(\"\"http://x\"\")\",").doesNotContain(",=HYPERLINK");
    }

    // ---- isolation and bad input ----------------------------------------------------------------

    @Test
    void anotherClientsNumbersAreNeverInTheAnswer() {
        JsonNode m = get("/api/analytics/metrics?from=2026-03-01&to=2026-10-31", otherKey);
        assertThat(m.get("total_calls").asLong()).isEqualTo(2);
        assertThat(m.get("appointments_booked").asLong()).isEqualTo(1);
        HttpResponse<String> nosy = hub.get("/api/analytics/metrics?clientKey=golden-boilers", "X-API-Key", otherKey);
        assertThat(nosy.statusCode()).isEqualTo(404);
        HttpResponse<String> admin = hub.get("/api/analytics/metrics?from=2026-03-01&to=2026-10-31&clientKey=golden-boilers",
                "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(Jsons.read(admin.body()).get("total_calls").asLong()).isEqualTo(10);
        assertThat(hub.get("/api/analytics/metrics", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN).statusCode()).isEqualTo(400);
    }

    @Test
    void withoutItsOwnRateAClientsCostsUseTheHubsRate() {
        JsonNode m = get("/api/analytics/metrics?from=2026-03-01&to=2026-10-31", otherKey);
        assertThat(m.get("usdToGbp").decimalValue()).isEqualByComparingTo("0.79");     // hub.analytics.usd-to-gbp
        assertThat(m.get("total_cost").decimalValue()).isEqualTo(new BigDecimal("15.80")); // 19.9998 USD × 0.79 = 15.799842
        assertThat(m.get("estimated_revenue").isNull()).as("no job value set").isTrue();
        assertThat(m.get("roi_percent").isNull()).isTrue();
    }

    @Test
    void analyticsSettingsAreValidatedAndShown() {
        HttpResponse<String> bad = hub.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(hub.url("/api/clients/other-roofing/settings")))
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"analytics\":{\"averageJobValue\":-5,\"usdToGbp\":\"lots\",\"weeklyReport\":{\"enabled\":true,\"day\":\"FUNDAY\"},\"colour\":1}}")),
                "Content-Type", "application/json", "X-API-Key", otherKey);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("analytics.averageJobValue", "analytics.usdToGbp", "analytics.weeklyReport.to", "analytics.weeklyReport.day", "analytics.colour");
        JsonNode shown = get("/api/clients/golden-boilers/settings").get("analytics");
        assertThat(shown.get("averageJobValue").asText()).isEqualTo("150.00");
        assertThat(shown.get("services").get("Boiler service").asText()).isEqualTo("200.00");
        assertThat(shown.get("weeklyReport").get("enabled").asBoolean()).isFalse();
        assertThat(Jsons.read(hub.get("/api/clients/other-roofing/settings", "X-API-Key", otherKey).body()).get("analytics").get("averageJobValue").isNull())
                .as("nothing of the refused document was saved").isTrue();
    }

    @Test
    void unreadableAnalyticsSettingsStopTheNumbersLoudly() throws Exception {
        String third = hub.onboard("{\"businessName\":\"Broken Gutters\",\"email\":\"owner@broken.example\",\"phone\":\"0113 496 0103\"}");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.executeUpdate("update clients set analytics_settings = '{\"averageJobValue\": \"lots\"' where client_key = 'broken-gutters'");
        }
        HttpResponse<String> r = hub.get("/api/analytics/metrics", "X-API-Key", third);
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.body()).contains("analytics_settings", "PUT /api/clients/broken-gutters/settings");
        JsonNode settings = Jsons.read(hub.get("/api/clients/broken-gutters/settings", "X-API-Key", third).body());
        assertThat(settings.get("unreadable").toString()).contains("analytics_settings");
        await().atMost(Duration.ofSeconds(10)).until(() -> count("select count(*) from error_log where severity = 'critical' and message like '%analytics_settings%'") >= 1);
    }

    @Test
    void badInputIsA400NamingTheParameter() {
        assertBad("/api/analytics/metrics?from=2026-13-01", "from");
        assertBad("/api/analytics/metrics?from=yesterday", "from");
        assertBad("/api/analytics/metrics?from=2026-03-10&to=2026-03-01", "from");
        assertBad("/api/analytics/metrics?from=2025-01-01&to=2026-03-01", "366");
        assertBad("/api/analytics/trend?step=month", "step");
        assertBad("/api/analytics/weekly-report?week=2026-W54", "week");
        assertBad("/api/analytics/weekly-report?week=2026-13", "week");
        assertBad("/api/analytics/export.csv?to=2026-02-30", "to");
        assertThat(hub.get("/api/analytics/metrics").statusCode()).as("no credentials").isEqualTo(401);
    }

    @Test
    void theRollUpEqualsTheOneRebuiltFromTheRawEvents() throws Exception {
        List<String> before = rollup(clientId);
        HttpResponse<String> r = hub.post("/api/admin/analytics/rebuild?clientKey=golden-boilers", "application/json", "",
                "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(rollup(clientId)).isEqualTo(before);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private void assertBad(String path, String named) {
        HttpResponse<String> r = hub.get(path, "X-API-Key", key);
        assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(400);
        assertThat(Jsons.read(r.body()).get("error").asText()).as(path).contains(named);
    }

    private JsonNode get(String path) {
        return get(path, key);
    }

    private JsonNode get(String path, String apiKey) {
        HttpResponse<String> r = hub.get(path, "X-API-Key", apiKey);
        assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
        try {
            return EXACT.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, Long> outcomes(JsonNode o) {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        o.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().asLong()));
        return out;
    }

    private static Map<String, Long> ordered(Object... kv) {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            out.put((String) kv[i], ((Integer) kv[i + 1]).longValue());
        }
        return out;
    }

    private static List<String> rows(JsonNode t, String first, String... fields) {
        List<String> out = new ArrayList<>();
        for (JsonNode r : t.get("rows")) {
            StringBuilder sb = new StringBuilder(r.get(first).asText());
            for (String f : fields) {
                sb.append(' ').append(r.get(f).asText());
            }
            out.add(sb.toString());
        }
        return out;
    }

    private long lead(String apiKey, String phone, String source) {
        String name = source.startsWith("=") ? "Evil" : source.substring(0, 1).toUpperCase() + source.substring(1) + " Lead";
        HttpResponse<String> r = hub.post("/api/leads", "application/json",
                "{\"name\":" + Jsons.quote(name) + ",\"phone\":\"" + phone + "\",\"source\":" + Jsons.quote(source) + "}", "X-API-Key", apiKey);
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        return Jsons.read(r.body()).get("lead").get("id").asLong();
    }

    /** A signed end-of-call report as Vapi sends it, ended at {@code endedAt}. */
    private void call(String id, String clientKey, Long lead, String endedAt, String endedReason, String structured, String duration, String cost) {
        String variables = "\"clientKey\":\"" + clientKey + "\"" + (lead == null ? "" : ",\"leadId\":\"" + lead + "\"");
        String json = """
                {"message":{"type":"end-of-call-report","endedReason":"%s",
                 "call":{"id":"golden-%s","orgId":"org-1","type":"outboundPhoneCall","customer":{"number":"07700 900123"},
                  "assistantOverrides":{"variableValues":{%s}}},
                 "endedAt":"%s",%s "cost":%s,
                 "analysis":{"summary":"golden","structuredData":%s}}}
                """.formatted(endedReason, id, variables, endedAt, duration == null ? "" : "\"durationSeconds\":" + duration + ",", cost,
                structured == null ? "{}" : structured);
        HttpResponse<String> r = hub.postVapi(json);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** A booking as the hub stored it at {@code bookedAt} (and cancelled at {@code cancelledAt}). */
    private void appointment(long client, long lead, String call, String service, String bookedAt, String cancelledAt) throws Exception {
        Instant booked = Instant.parse(bookedAt);
        Instant start = booked.plus(Duration.ofDays(3));
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("insert into appointments (client_id, lead_id, vapi_call_id, customer_name, "
                + "phone_e164, service, start_at, end_at, scheduled_at, status, calendar_status, created_at, updated_at, cancelled_at) "
                + "values (?,?,?,?,?,?,?,?,?,?,'not_configured',?,?,?)")) {
            ps.setLong(1, client);
            ps.setLong(2, lead);
            ps.setString(3, call == null ? null : "golden-" + call);
            ps.setString(4, "Customer");
            ps.setString(5, "+447700900401");
            ps.setString(6, service);
            set(ps, 7, start);
            set(ps, 8, start.plus(Duration.ofHours(1)));
            set(ps, 9, booked);
            ps.setString(10, cancelledAt == null ? "booked" : "cancelled");
            set(ps, 11, booked);
            set(ps, 12, cancelledAt == null ? booked : Instant.parse(cancelledAt));
            set(ps, 13, cancelledAt == null ? null : Instant.parse(cancelledAt));
            ps.executeUpdate();
        }
    }

    private void set(PreparedStatement ps, int i, Instant t) throws Exception {
        if (t == null) {
            ps.setNull(i, kind() == TestDatabase.Kind.POSTGRESQL ? java.sql.Types.TIMESTAMP_WITH_TIMEZONE : java.sql.Types.VARCHAR);
        } else if (kind() == TestDatabase.Kind.POSTGRESQL) {
            ps.setObject(i, t.atOffset(ZoneOffset.UTC));
        } else {
            ps.setString(i, DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC).format(t));
        }
    }

    private List<String> rollup(long client) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select day, source, metric, dim, n, amount from analytics_daily where client_id = " + client
                     + " and n <> 0 order by day, source, metric, dim")) {
            while (rs.next()) {
                out.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4) + "|" + rs.getLong(5) + "|" + rs.getLong(6));
            }
        }
        assertThat(out).isNotEmpty();
        return out;
    }

    private String scalar(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private long count(String sql) throws Exception {
        String v = scalar(sql);
        return v == null ? 0 : Long.parseLong(v);
    }
}
