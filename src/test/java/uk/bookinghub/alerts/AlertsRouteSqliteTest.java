package uk.bookinghub.alerts;

import org.junit.jupiter.api.Test;

import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.SlackStub;
import uk.bookinghub.support.TestDatabase;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class AlertsRouteSqliteTest extends AlertsRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }

    /** An alert not yet delivered when the hub stops is in the spool file beside the database and goes out after the restart. */
    @Test
    void anUndeliveredAlertSurvivesARestart() throws Exception {
        Map<String, String> o = settings();
        o.remove("hub.alerts.admin-email");
        start(o);
        slack.faults.always(new SlackStub.Fault(503, null));
        errors(hub).record("critical", "calendar", "Google refused the service account", "calendar-sync", Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> slack.requests.size() >= 1);
        assertThat(slack.messages.size()).isZero();
        hub.close();
        hub = null;
        slack.faults.clear();
        start(o);
        await().atMost(Duration.ofSeconds(15)).until(() -> slack.messages.size() == 1);
        assertThat(headlines()).containsExactly("[FIRING] Critical error in calendar (calendar-sync)");
        hub.close();
        hub = null;
        start(o);
        Thread.sleep(3000);
        assertThat(slack.messages.size()).as("delivered once: the spool no longer holds it").isEqualTo(1);
    }
}
