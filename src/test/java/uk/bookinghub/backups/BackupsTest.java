package uk.bookinghub.backups;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.http.Json;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.SlackStub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.VapiReports;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Backups through the real routes on the real database: a backup is taken, verified by a restore into
 * a scratch database, copied and listed; a damaged file and a manifest that no longer matches fail
 * verification and alert (Slack stand-in); a backup taken while webhooks write is consistent (every
 * ended call in it has its dashboard event, written in the same transaction); the restore command
 * refuses a database that is not empty and restores into an empty one that a hub then serves.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BackupsTest {

    TestDatabase db;
    RunningHub hub;
    SlackStub slack;
    Path dir;
    Path copyTo;
    String apiKey;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() throws Exception {
        db = TestDatabase.create(kind());
        slack = SlackStub.start();
        dir = Files.createTempDirectory("hub-backups-");
        copyTo = Files.createTempDirectory("hub-backups-copy-");
        hub = RunningHub.start(db.hubUrl(), settings(Map.of()));
        apiKey = hub.onboard("{\"businessName\":\"Backup Bakery\",\"email\":\"owner@backup.example\",\"phone\":\"+447700900123\"}");
        for (int i = 0; i < 20; i++) {
            assertThat(hub.postVapi(VapiReports.forClient("bk-" + i, "backup-bakery")).statusCode()).isEqualTo(200);
        }
    }

    Map<String, String> settings(Map<String, String> more) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("hub.backups.dir", dir.toString());
        o.put("hub.backups.copy-to", copyTo.toString());
        o.put("hub.alerts.slack-webhook-url", slack.webhookUrl());
        o.put("hub.alerts.evaluate-every", "1s");
        o.putAll(more);
        return o;
    }

    @AfterAll
    void stop() throws Exception {
        if (hub != null) {
            hub.close();
        }
        slack.close();
        db.close();
    }

    JsonNode takeBackup(RunningHub h) {
        HttpResponse<String> r = h.post("/api/admin/backups", "application/json", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return Jsons.read(r.body());
    }

    JsonNode verify(String id) {
        HttpResponse<String> r = hub.post("/api/admin/backups/" + id + "/verify", "application/json", "", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    @Test
    void aBackupIsTakenVerifiedByARestoreCopiedAndListed() throws Exception {
        JsonNode b = takeBackup(hub);
        String id = b.get("id").asText();
        assertThat(id).matches("hub-\\d{8}-\\d{6}(-\\d+)?-" + kind().name().toLowerCase());
        assertThat(b.at("/verification/status").asText()).as(b.toString()).isEqualTo("ok");
        assertThat(b.at("/verification/differences")).isEmpty();
        assertThat(b.at("/rowCounts/calls").asLong()).isGreaterThanOrEqualTo(20);
        assertThat(b.at("/rowCounts/clients").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(b.at("/checksums/calls").asText()).hasSize(64);
        assertThat(b.get("schemaVersion").asText()).isNotBlank();
        Path file = dir.resolve(b.get("file").asText());
        assertThat(file).exists();
        assertThat(Backups.sha256(file)).isEqualTo(b.get("sha256").asText());
        assertThat(b.get("sizeBytes").asLong()).isEqualTo(Files.size(file));
        assertThat(copyTo.resolve(b.get("file").asText())).exists().hasSameBinaryContentAs(file);
        assertThat(copyTo.resolve(id + ".json")).exists();

        JsonNode list = Jsons.read(hub.get("/api/admin/backups", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN).body());
        assertThat(list.get("backups").findValuesAsText("id")).contains(id);
        JsonNode health = Jsons.read(hub.get("/health").body());
        assertThat(health.at("/backups/status").asText()).isEqualTo("ok");
        assertThat(health.at("/backups/lastVerifiedRestore").asText()).isNotBlank();
        assertThat(health.at("/backups/lastSuccessAgeHours").asDouble()).isLessThan(1);
        assertThat(hub.get("/api/admin/backups", "X-API-Key", apiKey).statusCode()).as("admin only").isIn(401, 403);
    }

    @Test
    void aDamagedBackupOrOneThatNoLongerMatchesItsManifestFailsVerificationAndAlerts() throws Exception {
        JsonNode b = takeBackup(hub);
        String id = b.get("id").asText();
        Path file = dir.resolve(b.get("file").asText());
        byte[] original = Files.readAllBytes(file);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long at = f.length() / 2;
            f.seek(at);
            int x = f.read();
            f.seek(at);
            f.write(x ^ 0xff);
        }
        JsonNode v = verify(id);
        assertThat(v.at("/verification/status").asText()).isEqualTo("failed");
        assertThat(v.at("/verification/error").asText()).contains("SHA-256");
        await().atMost(Duration.ofSeconds(15)).until(() -> slack.messages.all().stream().anyMatch(m -> m.toString().contains("Backup verification failed")));

        // the file as written, but a manifest that says one more call: the restore is compared, not trusted
        Files.write(file, original);
        Path manifest = dir.resolve(id + ".json");
        ObjectNode m = (ObjectNode) Json.MAPPER.readTree(manifest.toFile());
        long calls = m.at("/rowCounts/calls").asLong();
        ((ObjectNode) m.get("rowCounts")).put("calls", calls + 1);
        Files.writeString(manifest, m.toString());
        v = verify(id);
        assertThat(v.at("/verification/status").asText()).isEqualTo("failed");
        assertThat(v.at("/verification/differences").toString()).contains("rows of calls: " + calls + " restored, " + (calls + 1) + " in the manifest");
        JsonNode listed = Jsons.read(hub.get("/api/admin/backups", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN).body());
        for (JsonNode x : listed.get("backups")) {
            if (x.get("id").asText().equals(id)) {
                assertThat(x.at("/verification/status").asText()).as("the result is stored with the backup").isEqualTo("failed");
            }
        }
        assertThat(hub.post("/api/admin/backups/hub-20990101-000000-nothing/verify", "application/json", "", "Authorization",
                "Bearer " + RunningHub.ADMIN_TOKEN).statusCode()).isEqualTo(404);
    }

    @Test
    void aBackupTakenWhileWebhooksWriteIsConsistentAndRestoresIntoAnEmptyDatabaseThatAHubServes() throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger sent = new AtomicInteger();
        Thread load = new Thread(() -> {
            while (writing.get()) {
                int n = sent.incrementAndGet();
                hub.postVapi(VapiReports.forClient("load-" + n + "-" + UUID.randomUUID(), "backup-bakery"));
            }
        });
        load.start();
        JsonNode b;
        try {
            Thread.sleep(500);
            b = takeBackup(hub);
            Thread.sleep(300);
        } finally {
            writing.set(false);
            load.join();
        }
        assertThat(b.at("/verification/status").asText()).as(b.toString()).isEqualTo("ok");
        Path file = dir.resolve(b.get("file").asText());

        // the restore command refuses the hub's own (non-empty) database
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = RestoreCommand.run(new String[] {"restore", "--from", file.toString(), "--to", db.hubUrl()}, new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(code).as(out.toString(StandardCharsets.UTF_8)).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("is not empty").contains("--force");

        try (TestDatabase fresh = TestDatabase.create(kind())) {
            out.reset();
            code = RestoreCommand.run(new String[] {"restore", "--from", file.toString(), "--to", fresh.hubUrl()}, new PrintStream(out, true, StandardCharsets.UTF_8));
            String said = out.toString(StandardCharsets.UTF_8);
            assertThat(code).as(said).isZero();
            assertThat(said).contains("verified: every row count");
            try (Connection c = fresh.connect(); Statement s = c.createStatement()) {
                long calls = count(s, "select count(*) from calls");
                assertThat(calls).isEqualTo(b.at("/rowCounts/calls").asLong()).isGreaterThan(20);
                assertThat(count(s, "select count(*) from calls c where c.status = 'ended' and not exists "
                        + "(select 1 from events e where e.dedupe_key = 'call_ended:' || c.vapi_call_id)"))
                        .as("every ended call in the backup has the event written in its transaction").isZero();
            }
            try (RunningHub restored = RunningHub.start(fresh.hubUrl(), Map.of("hub.backups.dir", dir.resolve("restored").toString()))) {
                HttpResponse<String> me = restored.get("/api/clients/me", "X-API-Key", apiKey);
                assertThat(me.statusCode()).as(me.body()).isEqualTo(200);
                assertThat(Jsons.read(me.body()).get("clientKey").asText()).isEqualTo("backup-bakery");
            }
            out.reset();
            code = RestoreCommand.run(new String[] {"restore", "--from", file.toString(), "--to", fresh.hubUrl(), "--force"},
                    new PrintStream(out, true, StandardCharsets.UTF_8));
            assertThat(code).as(out.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("overwriting it (--force)");
        }
    }

    @Test
    void noGoodBackupForLongerThanTheMaximumAgeDegradesHealthAndAlerts() throws Exception {
        uk.bookinghub.support.MovableClock clock = new uk.bookinghub.support.MovableClock();
        try (RunningHub other = RunningHub.start(db.hubUrl(), settings(Map.of("hub.backups.dir", dir.resolve("aged").toString(),
                "hub.backups.check-every", "1s", "hub.backups.copy-to", "")), Map.of("hubClock", clock))) {
            JsonNode before = Jsons.read(other.get("/health").body());
            assertThat(before.at("/backups/status").asText()).isEqualTo("none yet");
            assertThat(before.get("status").asText()).isEqualTo("healthy");
            clock.advance(Duration.ofHours(49));
            JsonNode after = Jsons.read(other.get("/health").body());
            assertThat(after.at("/backups/status").asText()).isEqualTo("degraded");
            assertThat(after.get("status").asText()).isEqualTo("degraded");
            await().atMost(Duration.ofSeconds(90)).until(() -> slack.messages.all().stream().anyMatch(m -> m.toString().contains("No recent backup")));
            takeBackup(other);
            assertThat(Jsons.read(other.get("/health").body()).at("/backups/status").asText()).isEqualTo("ok");
        }
    }

    static long count(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
