package uk.bookinghub.backups;

import org.junit.jupiter.api.Test;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Backups on PostgreSQL: pg_dump --format=custom of the server's major version, verified in a database the hub creates and drops. */
class BackupsPostgresTest extends BackupsTest {

    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }

    @Test
    void withoutAPgDumpOfTheServersVersionTheBackupFailsClearlyAndAlerts() throws Exception {
        var empty = Files.createTempDirectory("no-pg-dump-");
        try (RunningHub other = RunningHub.start(db.hubUrl(), settings(Map.of("hub.backups.pg-bin-dir", empty.toString(),
                "hub.backups.dir", dir.resolve("other").toString())))) {
            HttpResponse<String> r = other.post("/api/admin/backups", "application/json", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(Jsons.read(r.body()).get("error").asText()).contains("no pg_dump of PostgreSQL").contains("hub.backups.pg-bin-dir");
            await().atMost(Duration.ofSeconds(15)).until(() -> slack.messages.all().stream().anyMatch(m -> m.toString().contains("no pg_dump of PostgreSQL")));
            assertThat(Jsons.read(other.get("/health").body()).at("/backups/lastFailure").asText()).contains("no pg_dump");
            assertThat(dir.resolve("other")).isEmptyDirectory();
        }
    }
}
