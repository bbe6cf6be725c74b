package uk.bookinghub.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.HubProcess;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two hub processes on one PostgreSQL database, Quartz clustered in it (as in production), both with
 * the weekly report schedule every 2 s: a client's report of last week is sent once. While the
 * schedule runs, admin runs hit both instances at the same moment too, so passes really race on
 * the same client and week: the unique idempotency key lets exactly one of them queue it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WeeklyReportTwoInstancesPostgresTest {

    private TestDatabase db;
    private GreenMail smtp;
    private final List<HubProcess> hubs = new ArrayList<>();

    @BeforeAll
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRESQL);
        int smtpPort = RunningHub.freePort();
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        for (int i = 0; i < 2; i++) {
            hubs.add(HubProcess.start(List.of("-Xmx384m", "-Dhub.quartz.clustered=true", "-Dhub.quartz.checkin-ms=2000",
                    "-Dhub.analytics.weekly-report-cron=0/2 * * * * ?", "-Dmail.host=127.0.0.1", "-Dmail.port=" + smtpPort, "-Dmail.security=none",
                    "-Dmail.from=reports@hub.example.test"),
                    Map.of("DATABASE_URL", db.hubUrl(), "CAMEL_MAIN_PROFILE", "test", "HUB_ADMIN_TOKEN", RunningHub.ADMIN_TOKEN,
                            "VAPI_WEBHOOK_SECRET", RunningHub.VAPI_SECRET)));
        }
    }

    @AfterAll
    void stop() {
        hubs.forEach(HubProcess::close);
        smtp.stop();
        db.close();
    }

    @Test
    void twoInstancesSendTheWeeksReportOnce() throws Exception {
        HubProcess a = hubs.get(0);
        HubProcess b = hubs.get(1);
        HttpResponse<String> onboarded = post(a, "/api/clients/onboard", "{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\","
                + "\"phone\":\"0113 496 0000\"}", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(onboarded.statusCode()).as(onboarded.body()).isEqualTo(201);
        String apiKey = Jsons.read(onboarded.body()).get("apiKey").asText();
        String clientKey = Jsons.read(onboarded.body()).get("clientKey").asText();
        LocalDate monday = CallsInAWeek.lastWeekMonday();
        String week = AnalyticsReports.isoWeek(monday);
        // (a call that ends "booked" is not an appointment booked: that count comes from the booking flow's events)
        String[] outcomes = {"booked", "no_answer", "not_interested"};
        for (int i = 0; i < outcomes.length; i++) {
            HttpResponse<String> r = post(i % 2 == 0 ? a : b, "/webhooks/vapi", CallsInAWeek.report("two-" + i, clientKey, monday.plusDays(i), outcomes[i], "0.25"),
                    "X-Vapi-Secret", RunningHub.VAPI_SECRET);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> Jsons.read(b.send(HttpRequest.newBuilder(URI.create(b.url("/api/analytics/weekly-report?week=" + week)))
                .header("X-API-Key", apiKey)).body()).at("/summary/total_calls").asLong() == 3);

        // switched on: due at once (today, 00:00 local); both schedules and four admin runs at the same moment go for it
        String today = LocalDate.now(CallsInAWeek.LONDON).getDayOfWeek().name();
        HttpResponse<String> saved = a.send(HttpRequest.newBuilder(URI.create(a.url("/api/clients/" + clientKey + "/settings")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"analytics\":{\"weeklyReport\":{\"enabled\":true,\"to\":[\"owner@leeds.example\"],"
                        + "\"day\":\"" + today + "\",\"time\":\"00:00\"}}}")).header("Content-Type", "application/json").header("X-API-Key", apiKey));
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<JsonNode>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            HubProcess hub = hubs.get(i % 2);
            runs.add(pool.submit(() -> {
                go.await();
                HttpResponse<String> r = post(hub, "/api/admin/analytics/weekly-reports/run", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                return Jsons.read(r.body());
            }));
        }
        go.countDown();
        int queuedByAdmin = 0;
        for (Future<JsonNode> f : runs) {
            JsonNode answer = f.get();
            JsonNode mine = answer.get("clients").get(0);
            assertThat(mine.get("status").asText()).isIn("queued", "already_sent");
            queuedByAdmin += answer.get("queued").asInt();
        }
        pool.shutdown();
        assertThat(queuedByAdmin).isLessThanOrEqualTo(1);

        await().atMost(Duration.ofSeconds(30)).until(() -> smtp.getReceivedMessages().length >= 1);
        // the clustered schedule has fired twice more (on whichever instance) and the message is sent: still one
        schedulePassesRun(2);
        await().atMost(Duration.ofSeconds(30)).until(() -> count("select count(*) from messages where kind = 'weekly_report' and status = 'sent'") == 1);
        assertThat(count("select count(*) from messages where kind = 'weekly_report'")).isEqualTo(1);
        assertThat(smtp.getReceivedMessages()).hasSize(1);
        assertThat(smtp.getReceivedMessages()[0].getSubject()).isEqualTo("Your week with Leeds Plumbing: 3 calls, 0 booked (" + week + ")");
        assertThat(count("select count(*) from qrtz_scheduler_state")).isEqualTo(2); // both joined the cluster
    }

    /** Waits until the clustered weekly report trigger has fired {@code n} more times (Quartz records each fire in qrtz_triggers). */
    private void schedulePassesRun(int n) throws Exception {
        String sql = "select coalesce(max(prev_fire_time), 0) from qrtz_triggers where trigger_group = 'analytics' and trigger_name = 'weekly-reports'";
        for (int i = 0; i < n; i++) {
            long before = count(sql);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> count(sql) > before);
        }
    }

    private static HttpResponse<String> post(HubProcess hub, String path, String json, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url(path))).POST(HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return hub.send(b);
    }

    private long count(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
