package uk.bookinghub.alerts;

import org.junit.jupiter.api.Test;

import uk.bookinghub.monitoring.ErrorLog;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TcpProxy;
import uk.bookinghub.support.TestDatabase;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class AlertsRoutePostgresTest extends AlertsRouteTest {

    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }

    /**
     * PostgreSQL cut off by a TCP proxy: after 3 failed checks one alert reaches Slack and email
     * while the database is still down, none more while it stays down, one resolved once it is back,
     * and the episode is then in the alert history.
     */
    @Test
    void theDatabaseDownAlertGoesOutWhileItIsDownAndResolvesWhenItIsBack() throws Exception {
        TcpProxy proxy = new TcpProxy(TestDatabase.PG_HOST, TestDatabase.PG_PORT);
        extra.add(proxy);
        Map<String, String> o = settings();
        o.put("hub.database.health-every", "1s");
        o.put("hub.database.health-critical-after", "3");
        o.put("hub.database.connect-timeout-ms", "1000");
        o.put("hub.database.write-timeout-ms", "3000");
        hub = RunningHub.start(db.hubUrlVia("127.0.0.1", proxy.port), o, Map.of("hubClock", clock));
        proxy.down();
        await().atMost(Duration.ofSeconds(30)).until(() -> slack.messages.size() == 1 && smtp.getReceivedMessages().length == 1);
        assertThat(headlines()).containsExactly("[FIRING] The database cannot be reached");
        assertThat(slack.messages.all().get(0).get("text").asText()).contains("failed 3 times in a row").contains("seen by hub ");
        assertThat(smtp.getReceivedMessages()[0].getSubject()).isEqualTo("[FIRING] The database cannot be reached");
        assertThat(Jsons.read(hub.get("/health").body()).at("/alerts/slack").asText()).isEqualTo("configured");
        Thread.sleep(4000); // four more failed checks: still one alert
        assertThat(headlines()).containsExactly("[FIRING] The database cannot be reached");
        assertThat(smtp.getReceivedMessages()).hasSize(1);

        proxy.up();
        await().atMost(Duration.ofSeconds(30)).until(() -> slack.messages.size() == 2 && smtp.getReceivedMessages().length == 2);
        assertThat(headlines().get(1)).isEqualTo("[RESOLVED] The database cannot be reached");
        await().atMost(Duration.ofSeconds(10)).until(() -> alerts("resolved").toString().contains("database:down"));
    }

    /** Two hubs on one PostgreSQL: the same cause seen by both is one alert, one resolved. */
    @Test
    void twoHubsOnOneDatabaseSendEachAlertOnce() throws Exception {
        start(settings());
        RunningHub second = RunningHub.start(db.hubUrl(), settings(), Map.of("hubClock", clock));
        extra.add(second);
        ErrorLog a = errors(hub);
        ErrorLog b = errors(second);
        for (int i = 0; i < 6; i++) {
            a.record("error", "calendar", "Google answered 503 for calendar " + i, "calendar-sync", Map.of());
            b.record("error", "calendar", "Google answered 503 for calendar " + (100 + i), "calendar-sync", Map.of());
        }
        a.record("critical", "vapi", "Vapi sent no end-of-call report for call 77", "dialler-reconcile", Map.of());
        b.record("critical", "vapi", "Vapi sent no end-of-call report for call 78", "dialler-reconcile", Map.of());
        await().atMost(Duration.ofSeconds(15)).until(() -> slack.messages.size() >= 2 && smtp.getReceivedMessages().length >= 2);
        twoEvaluations();
        Thread.sleep(2000);
        assertThat(headlines()).containsExactlyInAnyOrder("[FIRING] 12 errors in 5 min in calendar (calendar-sync)",
                "[FIRING] Critical error in vapi (dialler-reconcile)");
        assertThat(smtp.getReceivedMessages()).hasSize(2);

        clock.advance(Duration.ofMinutes(6));
        await().atMost(Duration.ofSeconds(15)).until(() -> slack.messages.size() >= 4);
        Thread.sleep(3000);
        assertThat(slack.messages.size()).isEqualTo(4);
        assertThat(headlines().subList(2, 4)).allMatch(h -> h.startsWith("[RESOLVED] "));
        assertThat(smtp.getReceivedMessages()).hasSize(4);
    }
}
