package uk.bookinghub.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import uk.bookinghub.monitoring.ErrorLog;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.MovableClock;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.SlackStub;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Alerts through the real hub: errors go through the hub's own error log (the bean every route's
 * error handler calls), alerts leave by a Slack stand-in and a real SMTP server, time passes on an
 * injected clock. Grouping (one cause, one alert), thresholds, repeats, resolution, Slack's 429,
 * one channel down while the other delivers, the heartbeat, the test endpoint, admin-only.
 */
abstract class AlertsRouteTest {

    static final String ADMIN = "ops@hub.example.test";

    abstract TestDatabase.Kind kind();

    TestDatabase db;
    SlackStub slack;
    GreenMail smtp;
    int smtpPort;
    MovableClock clock;
    RunningHub hub;
    final List<AutoCloseable> extra = new ArrayList<>();

    @BeforeEach
    void stubs() {
        db = TestDatabase.create(kind());
        slack = SlackStub.start();
        smtpPort = RunningHub.freePort();
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        clock = new MovableClock();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : extra) {
            c.close();
        }
        if (hub != null) {
            hub.close();
        }
        smtp.stop();
        slack.close();
        db.close();
    }

    /** Slack and email configured, rules evaluated every second. */
    Map<String, String> settings() {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("hub.alerts.slack-webhook-url", slack.webhookUrl());
        o.put("hub.alerts.admin-email", ADMIN);
        o.put("mail.host", "127.0.0.1");
        o.put("mail.port", String.valueOf(smtpPort));
        o.put("mail.security", "none");
        o.put("mail.from", "hub@hub.example.test");
        o.put("hub.alerts.evaluate-every", "1s");
        o.put("hub.public-base-url", "https://hub.example.test");
        return o;
    }

    RunningHub start(Map<String, String> o) {
        hub = RunningHub.start(db.hubUrl(), o, Map.of("hubClock", clock));
        return hub;
    }

    ErrorLog errors(RunningHub h) {
        return h.camel().getRegistry().lookupByNameAndType("errorLog", ErrorLog.class);
    }

    static void errors(ErrorLog log, int n, String route, String message) {
        for (int i = 0; i < n; i++) {
            log.record("error", "vapi", message.replace("#", String.valueOf(1000 + i)), route, Map.of("leadId", i));
        }
    }

    JsonNode alerts(String state) {
        HttpResponse<String> r = hub.get("/api/admin/alerts" + (state == null ? "" : "?state=" + state), "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    /** Waits for two more rule evaluations after now, so that "nothing more was sent" means something. */
    void twoEvaluations() {
        String before = Jsons.read(hub.get("/health").body()).at("/alerts/lastEvaluation").asText("");
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            String now = Jsons.read(hub.get("/health").body()).at("/alerts/lastEvaluation").asText("");
            return !now.isEmpty() && now.compareTo(before) > 0;
        });
        String second = Jsons.read(hub.get("/health").body()).at("/alerts/lastEvaluation").asText("");
        await().atMost(Duration.ofSeconds(15)).until(() ->
                Jsons.read(hub.get("/health").body()).at("/alerts/lastEvaluation").asText("").compareTo(second) > 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> Jsons.read(hub.get("/health").body()).at("/alerts/pending").asInt() == 0);
    }

    /** The alerted groups of single causes (not errors:all). */
    List<String> causes() {
        return slack.messages.all().stream().map(m -> m.get("text").asText()).filter(t -> !t.contains("group errors:all"))
                .map(t -> t.substring(t.indexOf("group errors:"))).toList();
    }

    List<String> headlines() {
        return slack.messages.all().stream().map(m -> m.at("/blocks/0/text/text").asText()).toList();
    }

    List<String> subjects() throws Exception {
        List<String> out = new ArrayList<>();
        for (MimeMessage m : smtp.getReceivedMessages()) {
            out.add(m.getSubject());
        }
        return out;
    }

    @Test
    void aCriticalErrorIsOneSlackMessageAndOneEmailSayingWhatWhereHowManySinceWhenAndWhere() throws Exception {
        start(settings());
        errors(hub).record("critical", "vapi", "Vapi sent no end-of-call report for call 3f2a9c1e-0000-4000-8000-000000000001",
                "dialler-reconcile", Map.of("clientKey", "leeds-plumbing", "leadId", 42));
        await().atMost(Duration.ofSeconds(10)).until(() -> slack.messages.size() == 1 && smtp.getReceivedMessages().length == 1);
        twoEvaluations();
        assertThat(slack.messages.size()).isEqualTo(1);
        assertThat(smtp.getReceivedMessages()).hasSize(1);

        JsonNode m = slack.messages.all().get(0);
        assertThat(m.at("/blocks/0/type").asText()).isEqualTo("header");
        assertThat(m.at("/blocks/0/text/text").asText()).isEqualTo("[FIRING] Critical error in vapi (dialler-reconcile)");
        String text = m.get("text").asText();
        assertThat(text).contains("Vapi sent no end-of-call report for call 3f2a9c1e")
                .contains("Where: service vapi, route dialler-reconcile, client leeds-plumbing")
                .contains("How many: 1 occurrence since ")
                .contains("Severity: critical");
        JsonNode alert = alerts("firing").get("alerts").get(0);
        String fingerprint = alert.get("fingerprint").asText();
        assertThat(text).contains("Details: https://hub.example.test/api/error-stats/groups/" + fingerprint);
        assertThat(m.toString()).contains("<https://hub.example.test/api/error-stats/groups/" + fingerprint + "|");

        MimeMessage mail = smtp.getReceivedMessages()[0];
        assertThat(mail.getAllRecipients()[0].toString()).isEqualTo(ADMIN);
        assertThat(mail.getSubject()).isEqualTo("[FIRING] Critical error in vapi (dialler-reconcile)");
        assertThat(GreenMailUtil.getBody(mail)).contains("Where: service vapi, route dialler-reconcile, client leeds-plumbing")
                .contains("/api/error-stats/groups/" + fingerprint);

        assertThat(alert.get("rule").asText()).isEqualTo("critical-error");
        assertThat(alert.get("group").asText()).isEqualTo("errors:" + fingerprint);
        assertThat(alert.get("occurrences").asLong()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> alerts("firing").at("/alerts/0/deliveries/email/0/status").asText().equals("sent"));
        JsonNode d = alerts("firing").at("/alerts/0/deliveries");
        assertThat(d.at("/slack/0/status").asText()).isEqualTo("sent");
        assertThat(d.at("/slack/0/kind").asText()).isEqualTo("firing");
        assertThat(d.at("/email/0/status").asText()).isEqualTo("sent");
    }

    @Test
    void tenErrorsInFiveMinutesAlertOnceTheNextNineHundredNinetyDoNotAndTheEndIsOneResolved() throws Exception {
        start(settings());
        ErrorLog log = errors(hub);
        errors(log, 9, "dialler-call", "POST /call refused for lead # after # ms");
        twoEvaluations();
        assertThat(slack.messages.size()).as("9 errors are under the threshold").isZero();

        errors(log, 1, "dialler-call", "POST /call refused for lead # after # ms");
        await().atMost(Duration.ofSeconds(10)).until(() -> slack.messages.size() == 1 && smtp.getReceivedMessages().length == 1);
        assertThat(headlines().get(0)).isEqualTo("[FIRING] 10 errors in 5 min in vapi (dialler-call)");

        errors(log, 990, "dialler-call", "POST /call refused for lead # after # ms");
        twoEvaluations();
        assertThat(slack.messages.size()).isEqualTo(1);
        assertThat(smtp.getReceivedMessages()).hasSize(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> alerts("firing").at("/alerts/0/occurrences").asLong() == 1000);

        clock.advance(Duration.ofMinutes(6));
        await().atMost(Duration.ofSeconds(10)).until(() -> slack.messages.size() == 2 && smtp.getReceivedMessages().length == 2);
        assertThat(headlines().get(1)).startsWith("[RESOLVED] ");
        assertThat(slack.messages.all().get(1).get("text").asText()).contains("How many: 1000 occurrences");
        assertThat(subjects().get(1)).startsWith("[RESOLVED] ");
        twoEvaluations();
        assertThat(slack.messages.size()).isEqualTo(2);
        assertThat(alerts("firing").get("count").asInt()).isZero();
        JsonNode resolved = alerts("resolved").get("alerts");
        assertThat(resolved).hasSize(1);
        assertThat(resolved.get(0).get("notifications").asInt()).isEqualTo(2);
    }

    @Test
    void fiftyCausesAreFiftyGroupsEachAlertedOnce() throws Exception {
        start(settings());
        ErrorLog log = errors(hub);
        for (int round = 0; round < 20; round++) {
            for (int cause = 0; cause < 50; cause++) {
                log.record("error", "calendar", "cause-" + (char) ('a' + cause % 26) + (char) ('a' + cause / 26) + " failed for lead " + round,
                        "calendar-sync", Map.of());
            }
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> causes().size() >= 50 && smtp.getReceivedMessages().length >= 50);
        twoEvaluations();
        // one alert per cause; while the burst was young and each cause under 10, the causes together may have
        // fired errors:all once: 51 at most, as Alertmanager-style grouping promises
        assertThat(causes()).hasSize(50).doesNotHaveDuplicates();
        assertThat(slack.messages.size()).isLessThanOrEqualTo(51);
        assertThat(smtp.getReceivedMessages().length).isEqualTo(slack.messages.size());
        JsonNode firing = alerts("firing");
        int causes = 0;
        for (JsonNode a : firing.get("alerts")) {
            if (!a.get("group").asText().equals("errors:all")) {
                causes++;
                assertThat(a.get("occurrences").asLong()).isEqualTo(20);
            }
        }
        assertThat(causes).isEqualTo(50);
    }

    @Test
    void manySmallCausesTogetherAlertAsAllErrors() throws Exception {
        start(settings());
        ErrorLog log = errors(hub);
        for (int cause = 0; cause < 10; cause++) {
            log.record("error", "hub", "distinct problem " + (char) ('a' + cause), "route-" + (char) ('a' + cause), Map.of());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> slack.messages.size() == 1);
        assertThat(headlines().get(0)).isEqualTo("[FIRING] 10 errors in 5 min across 10 cause(s)");
        assertThat(alerts("firing").at("/alerts/0/group").asText()).isEqualTo("errors:all");
    }

    @Test
    void aGroupStillFiringIsRepeatedAfterTheRepeatIntervalAndNotBefore() throws Exception {
        Map<String, String> o = settings();
        o.put("hub.alerts.repeat-interval", "1h");
        o.put("hub.alerts.resolve-after", "3h");
        start(o);
        errors(errors(hub), 10, "booking-tools", "slot lookup failed for call #");
        await().atMost(Duration.ofSeconds(10)).until(() -> slack.messages.size() == 1);
        clock.advance(Duration.ofMinutes(59));
        twoEvaluations();
        assertThat(slack.messages.size()).as("59 minutes is inside the repeat interval").isEqualTo(1);
        clock.advance(Duration.ofMinutes(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> slack.messages.size() == 2 && smtp.getReceivedMessages().length == 2);
        assertThat(headlines().get(1)).isEqualTo("[STILL FIRING] 10 errors in 5 min in vapi (booking-tools)");
        twoEvaluations();
        assertThat(slack.messages.size()).isEqualTo(2);
        assertThat(alerts("firing").at("/alerts/0/notifications").asInt()).isEqualTo(2);
    }

    @Test
    void slacksTooManyRequestsIsWaitedForThenTheMessageIsDeliveredOnce() throws Exception {
        start(settings());
        slack.faults.next(1, new SlackStub.Fault(429, 1));
        errors(hub).record("critical", "messaging", "SMTP login refused", "outbox-email", Map.of());
        await().atMost(Duration.ofSeconds(15)).until(() -> slack.messages.size() == 1);
        List<SlackStub.Request> reqs = slack.requests.all();
        assertThat(reqs).hasSize(2);
        assertThat(reqs.get(0).answered()).isEqualTo(429);
        assertThat(reqs.get(1).answered()).isEqualTo(200);
        assertThat(Duration.between(reqs.get(0).at(), reqs.get(1).at())).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        await().atMost(Duration.ofSeconds(5)).until(() -> alerts("firing").at("/alerts/0/deliveries/slack/0/status").asText().equals("sent"));
        assertThat(alerts("firing").at("/alerts/0/deliveries/slack/0/attempts").asInt()).isEqualTo(2);
        twoEvaluations();
        assertThat(slack.messages.size()).isEqualTo(1);
        assertThat(smtp.getReceivedMessages()).hasSize(1);
    }

    @Test
    void slackDownEmailStillGoesAndTheHeartbeatSaysDegradedUntilSlackIsBack() throws Exception {
        Map<String, String> o = settings();
        o.put("hub.alerts.resolve-after", "1h"); // the clock moves 11 min: the group stays firing
        start(o);
        slack.faults.always(new SlackStub.Fault(500, null));
        errors(hub).record("critical", "database", "pool exhausted", "db-health", Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> smtp.getReceivedMessages().length == 1);
        assertThat(smtp.getReceivedMessages()[0].getSubject()).isEqualTo("[FIRING] Critical error in database (db-health)");
        assertThat(slack.messages.size()).isZero();
        assertThat(slack.requests.size()).isGreaterThanOrEqualTo(1);
        JsonNode health = Jsons.read(hub.get("/health").body());
        assertThat(health.get("status").asText()).isEqualTo("healthy");
        assertThat(health.at("/alerts/pending").asInt()).isEqualTo(1);

        clock.advance(Duration.ofMinutes(11));
        await().atMost(Duration.ofSeconds(10)).until(() -> "degraded".equals(Jsons.read(hub.get("/health").body()).get("status").asText()));
        JsonNode degraded = Jsons.read(hub.get("/health").body());
        assertThat(degraded.at("/alerts/status").asText()).isEqualTo("degraded");
        assertThat(degraded.at("/alerts/error").asText()).contains("Slack answered 500");

        slack.faults.clear();
        await().atMost(Duration.ofSeconds(90)).until(() -> slack.messages.size() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> "healthy".equals(Jsons.read(hub.get("/health").body()).get("status").asText()));
        assertThat(smtp.getReceivedMessages()).hasSize(1);
    }

    @Test
    void aMessageWhoseRetriesRunOutIsADeadLetterAlert() throws Exception {
        uk.bookinghub.support.TwilioStub twilio = uk.bookinghub.support.TwilioStub.start("AC0123456789abcdef0123456789abcdef", "twilio-token");
        extra.add(twilio);
        Map<String, String> o = new LinkedHashMap<>(RunningHub.messagingTo(twilio, "twilio-token", smtpPort, "https://hub.example.test"));
        o.putAll(settings());
        start(o);
        String key = hub.onboard("{\"businessName\":\"Dead Letter Dentist\",\"email\":\"d@dentist.example\",\"phone\":\"0113 496 0002\",\"smsFromNumber\":\"07700 900999\"}");
        twilio.failAlways(500, 20500, "Internal Server Error");
        HttpResponse<String> q = hub.post("/api/messages", "application/json",
                "{\"kind\":\"confirmation\",\"channels\":[\"sms\"],\"phone\":\"07700 900123\",\"customerName\":\"Ed\",\"appointment\":{\"start\":\"2026-12-05T10:00\"}}",
                "X-API-Key", key);
        assertThat(q.statusCode()).as(q.body()).isLessThan(300);
        await().atMost(Duration.ofSeconds(60)).until(() -> headlines().stream().anyMatch(h -> h.startsWith("[FIRING] Work landed in dead letters from ")));
        String text = slack.messages.all().stream().map(m -> m.get("text").asText()).filter(t -> t.contains("dead letters")).findFirst().orElseThrow();
        assertThat(text).contains("retries exhausted").contains("POST /api/dead-letters/{id}/replay");
        twoEvaluations();
        assertThat(headlines().stream().filter(h -> h.contains("dead letters")).count()).isEqualTo(1);
    }

    @Test
    void emailDownSlackStillGoes() throws Exception {
        start(settings());
        smtp.stop(); // the SMTP server is gone: connection refused
        errors(hub).record("critical", "reminders", "reminder batch crashed", "reminders-run", Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> slack.messages.size() == 1);
        assertThat(headlines()).containsExactly("[FIRING] Critical error in reminders (reminders-run)");
        await().atMost(Duration.ofSeconds(10)).until(() -> alerts("firing").at("/alerts/0/deliveries/slack/0/status").asText().equals("sent"));
        assertThat(alerts("firing").at("/alerts/0/deliveries/email").isMissingNode()).as("email still being retried").isTrue();
        assertThat(Jsons.read(hub.get("/health").body()).at("/alerts/pending").asInt()).isEqualTo(1);
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        await().atMost(Duration.ofSeconds(90)).until(() -> smtp.getReceivedMessages().length == 1);
        assertThat(slack.messages.size()).isEqualTo(1);
    }

    @Test
    void theTestAlertSaysWhatEachChannelDidAndHealthNamesUnconfiguredChannels() throws Exception {
        start(settings());
        HttpResponse<String> r = hub.post("/api/admin/alerts/test", "application/json", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode t = Jsons.read(r.body());
        assertThat(t.at("/channels/slack/status").asText()).isEqualTo("sent");
        assertThat(t.at("/channels/email/status").asText()).isEqualTo("sent");
        assertThat(t.get("delivered").asBoolean()).isTrue();
        assertThat(slack.messages.all().get(0).at("/blocks/0/text/text").asText()).isEqualTo("[TEST] Test alert from the booking hub");
        assertThat(smtp.getReceivedMessages()[0].getSubject()).isEqualTo("[TEST] Test alert from the booking hub");
        JsonNode health = Jsons.read(hub.get("/health").body());
        assertThat(health.at("/alerts/slack").asText()).isEqualTo("configured");
        assertThat(health.at("/alerts/email").asText()).isEqualTo("configured");

        assertThat(hub.get("/api/admin/alerts").statusCode()).isEqualTo(401);
        assertThat(hub.post("/api/admin/alerts/test", "application/json", "").statusCode()).isEqualTo(401);
        String key = hub.onboard("{\"businessName\":\"Alert Client\",\"email\":\"a@client.example\",\"phone\":\"0113 496 0001\",\"industry\":\"plumbing\",\"services\":[\"Repair\"]}");
        assertThat(hub.get("/api/admin/alerts", "X-API-Key", key).statusCode()).isIn(401, 403);
        assertThat(hub.post("/api/admin/alerts/test", "application/json", "", "X-API-Key", key).statusCode()).isIn(401, 403);
        assertThat(hub.get("/api/admin/alerts?state=open", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN).statusCode()).isEqualTo(400);
        hub.close();
        hub = null;

        start(Map.of());
        JsonNode none = Jsons.read(hub.get("/health").body());
        assertThat(none.at("/alerts/slack").asText()).isEqualTo("not configured");
        assertThat(none.at("/alerts/email").asText()).isEqualTo("not configured");
        JsonNode nothing = Jsons.read(hub.post("/api/admin/alerts/test", "application/json", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN).body());
        assertThat(nothing.at("/channels/slack/status").asText()).isEqualTo("not_configured");
        assertThat(nothing.at("/channels/email/detail").asText()).contains("ADMIN_EMAIL");
        assertThat(nothing.get("delivered").asBoolean()).isFalse();
    }
}
