package uk.bookinghub.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.VapiReports;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The analytics answers are sums the database takes over the client's stored roll-up
 * ({@code AnalyticsStore.sums}: per metric and dimension, and per local day or per lead source):
 * metrics, outcomes, the trend by day and by ISO week and the campaigns each equal the same sums
 * taken here over the client's {@code analytics_daily} rows as stored, and count every call of the
 * client exactly once (another client's calls in none of them). The calls span the March clock
 * change and an ISO-week boundary, with two lead sources and calls without a lead.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AnalyticsSumsTest {

    private static final String FROM = "2026-03-27";
    private static final String TO = "2026-03-31";
    /** ended at (UTC), Vapi's ended reason, structured data, cost (USD), lead: g(oogle), l(eaflet) or none. */
    private static final String[][] CALLS = {
            {"2026-03-27T09:15:00Z", "customer-ended-call", "{\"outcome\":\"booked\"}", "0.3120", "g"},
            {"2026-03-27T10:40:00Z", "customer-did-not-answer", "{}", "0.0100", "g"},
            {"2026-03-27T16:05:00Z", "voicemail", "{}", "0.0450", "l"},
            {"2026-03-28T11:00:00Z", "customer-ended-call", "{\"outcome\":\"not_interested\"}", "0.1875", "l"},
            {"2026-03-28T23:30:00Z", "customer-busy", "{}", "0.0100", ""},
            {"2026-03-29T00:30:00Z", "customer-ended-call", "{\"outcome\":\"booked\"}", "0.4410", "g"},      // 00:30 GMT
            {"2026-03-29T01:30:00Z", "assistant-ended-call", "{}", "0.2222", "l"},                           // 02:30 BST
            {"2026-03-29T12:00:00Z", "customer-ended-call", "{\"callbackRequested\":true}", "0.1500", ""},
            {"2026-03-29T23:30:00Z", "customer-ended-call", "{\"outcome\":\"booked\"}", "0.3333", "l"},      // 00:30 BST on the 30th
            {"2026-03-30T08:00:00Z", "pipeline-error-openai-llm-failed", "{}", "0.0200", "g"},
            {"2026-03-30T14:20:00Z", "customer-did-not-answer", "{}", "0.0100", ""},
            {"2026-03-31T09:45:00Z", "customer-ended-call", "{\"outcome\":\"booked\"}", "0.2899", "g"},
            {"2026-03-31T22:59:59Z", "assistant-ended-call", "{}", "0.1010", "g"},                           // 23:59:59 BST
            {"2026-03-31T23:00:00Z", "assistant-ended-call", "{}", "0.5000", "g"},                           // 1 April, local: outside
    };

    private TestDatabase db;
    private RunningHub hub;
    private String key;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() throws Exception {
        db = TestDatabase.create(kind());
        hub = RunningHub.start(db.hubUrl(), Map.of());
        key = hub.onboard("{\"businessName\":\"Acme Solar\",\"email\":\"ops@acme.example\",\"phone\":\"0113 496 0000\"}");
        String otherKey = hub.onboard("{\"businessName\":\"Other Heating\",\"email\":\"ops@other.example\",\"phone\":\"0113 496 0001\"}");
        Map<String, String> leads = Map.of("g", lead("07700 900301", "google-ads"), "l", lead("07700 900302", "leaflet"));
        for (String[] c : CALLS) {
            report(c, "acme-solar", leads.get(c[4]));
        }
        // another client's calls on the same days: never in acme-solar's numbers
        for (int i = 0; i < 3; i++) {
            report(new String[] {"2026-03-2" + (7 + i) + "T12:00:00Z", "customer-ended-call", "{\"outcome\":\"booked\"}", "9.9900", ""}, "other-heating", null);
        }
        assertThat(otherKey).isNotBlank();
        await().atMost(Duration.ofSeconds(20)).until(() -> count("select count(*) from analytics_events where event_type = 'call.ended'") == CALLS.length + 3);
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

    private String lead(String phone, String source) {
        HttpResponse<String> r = hub.post("/api/leads", "application/json",
                "{\"name\":\"Lead " + source + "\",\"phone\":\"" + phone + "\",\"source\":\"" + source + "\"}", "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return Jsons.read(r.body()).get("lead").get("id").asText();
    }

    private void report(String[] c, String clientKey, String leadId) {
        Instant ended = Instant.parse(c[0]);
        String json = VapiReports.endOfCall("call-" + UUID.randomUUID(), "\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"" + clientKey + "\""
                        + (leadId == null ? "" : ",\"leadId\":\"" + leadId + "\"") + "}}", c[1], c[2])
                .replace("2024-05-14T13:02:11.512Z", ended.minusSeconds(95).toString())
                .replace("2024-05-14T13:03:44.912Z", ended.toString())
                .replace("\"cost\":0.21", "\"cost\":" + c[3]);
        HttpResponse<String> r = hub.postVapi(json);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private long count(String sql) throws Exception {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** acme-solar's roll-up rows as stored, in the period. */
    private record Row(LocalDate day, String source, String metric, String dim, long n, long amount) {
    }

    private List<Row> stored() throws Exception {
        List<Row> out = new ArrayList<>();
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("select d.day, d.source, d.metric, d.dim, d.n, d.amount "
                + "from analytics_daily d join clients k on k.id = d.client_id where k.client_key = 'acme-solar' and d.day >= ? and d.day <= ?")) {
            ps.setString(1, FROM);
            ps.setString(2, TO);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Row(LocalDate.parse(rs.getString(1)), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), rs.getLong(6)));
                }
            }
        }
        return out;
    }

    private JsonNode get(String path) {
        HttpResponse<String> r = hub.get(path, "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    private static long sum(List<Row> rows, String metric, boolean amount, java.util.function.Predicate<Row> which) {
        return rows.stream().filter(r -> r.metric().equals(metric) && which.test(r)).mapToLong(r -> amount ? r.amount() : r.n()).sum();
    }

    private static BigDecimal gbp(long usdMicros, BigDecimal rate) {
        return BigDecimal.valueOf(usdMicros, 6).multiply(rate).setScale(2, RoundingMode.HALF_EVEN);
    }

    @Test
    void metricsAndOutcomesAreTheSumsOfTheStoredRows() throws Exception {
        List<Row> rows = stored();
        JsonNode m = get("/api/analytics/metrics?from=" + FROM + "&to=" + TO);
        BigDecimal rate = m.get("usdToGbp").decimalValue();
        long calls = sum(rows, "call", false, r -> true);
        assertThat(calls).as("every acme-solar call of the local days once; not the 1 April one, not the other client's").isEqualTo(CALLS.length - 1);
        assertThat(m.get("total_calls").asLong()).isEqualTo(calls);
        assertThat(m.get("total_cost").decimalValue()).isEqualByComparingTo(gbp(sum(rows, "call", true, r -> true), rate));
        assertThat(m.get("average_call_duration_seconds").decimalValue()).isEqualByComparingTo(
                BigDecimal.valueOf(sum(rows, "talk", true, r -> true)).divide(BigDecimal.valueOf(sum(rows, "talk", false, r -> true) * 1000), 2, RoundingMode.HALF_EVEN));
        JsonNode outcomes = get("/api/analytics/outcomes?from=" + FROM + "&to=" + TO);
        assertThat(outcomes.get("total_calls").asLong()).isEqualTo(calls);
        Map<String, Long> byOutcome = new HashMap<>();
        outcomes.get("outcomes").forEach(o -> byOutcome.put(o.get("outcome").asText(), o.get("count").asLong()));
        for (String o : List.of("booked", "not_interested", "no_answer", "voicemail", "callback_requested", "busy", "completed", "failed")) {
            assertThat(byOutcome.get(o)).as(o).isEqualTo(sum(rows, "call", false, r -> r.dim().equals(o)));
            assertThat(m.get("outcomes").get(o).asLong()).as(o).isEqualTo(byOutcome.get(o));
        }
        assertThat(byOutcome.get("booked")).isEqualTo(4);
    }

    @Test
    void trendByDayAndWeekIsTheSumsOfTheStoredRows() throws Exception {
        List<Row> rows = stored();
        JsonNode days = get("/api/analytics/trend?from=" + FROM + "&to=" + TO + "&step=day");
        BigDecimal rate = days.get("usdToGbp").decimalValue();
        assertThat(days.get("rows")).hasSize(5);
        for (JsonNode d : days.get("rows")) {
            LocalDate day = LocalDate.parse(d.get("date").asText());
            assertThat(d.get("calls").asLong()).as(day.toString()).isEqualTo(sum(rows, "call", false, r -> r.day().equals(day)));
            assertThat(d.get("cost").decimalValue()).as(day.toString()).isEqualByComparingTo(gbp(sum(rows, "call", true, r -> r.day().equals(day)), rate));
        }
        assertThat(days.get("rows").get(2).get("calls").asLong()).as("29 March (23 h): 00:30 GMT, 02:30 BST, 13:00 BST").isEqualTo(3);
        JsonNode weeks = get("/api/analytics/trend?from=" + FROM + "&to=" + TO + "&step=week");
        assertThat(weeks.get("rows")).hasSize(2);
        for (JsonNode w : weeks.get("rows")) {
            LocalDate from = LocalDate.parse(w.get("from").asText());
            LocalDate to = LocalDate.parse(w.get("to").asText());
            assertThat(w.get("calls").asLong()).as(w.get("week").asText())
                    .isEqualTo(sum(rows, "call", false, r -> !r.day().isBefore(from) && !r.day().isAfter(to)));
        }
        assertThat(weeks.get("rows").get(0).get("week").asText()).isEqualTo("2026-W13");
        assertThat(weeks.get("rows").get(0).get("calls").asLong() + weeks.get("rows").get(1).get("calls").asLong()).isEqualTo(CALLS.length - 1);
    }

    @Test
    void campaignsAreTheSumsOfTheStoredRowsPerSource() throws Exception {
        List<Row> rows = stored();
        JsonNode campaigns = get("/api/analytics/campaigns?from=" + FROM + "&to=" + TO).get("campaigns");
        Map<String, Long> calls = new HashMap<>();
        campaigns.forEach(c -> calls.put(c.get("source").isNull() ? "" : c.get("source").asText(), c.get("total_calls").asLong()));
        assertThat(calls.keySet()).containsExactlyInAnyOrder("google-ads", "leaflet", "");
        calls.forEach((source, n) -> assertThat(n).as(source).isEqualTo(sum(rows, "call", false, r -> r.source().equals(source))));
        assertThat(calls.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(CALLS.length - 1);
    }
}
