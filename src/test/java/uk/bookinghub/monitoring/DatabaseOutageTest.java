package uk.bookinghub.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TcpProxy;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.VapiReports;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Durable before 2xx: while the database is unreachable (PostgreSQL behind a cut connection) or
 * locked (SQLite), a Vapi report is answered 503 and nothing is half-stored; once the database is
 * back the retried report is stored once. {@code /health} says 503 while PostgreSQL is away.
 */
class DatabaseOutageTest {

    private static final Map<String, String> FAST_TIMEOUTS = Map.of("hub.database.connect-timeout-ms", "1000",
            "hub.database.write-timeout-ms", "5000");

    @Test
    void postgresOutageAnswers503AndHealthSaysSoThenRecovers() throws Exception {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRESQL);
             TcpProxy proxy = new TcpProxy(TestDatabase.PG_HOST, TestDatabase.PG_PORT);
             RunningHub hub = RunningHub.start(db.hubUrlVia("127.0.0.1", proxy.port), FAST_TIMEOUTS)) {
            String report = VapiReports.forClient("call-outage-pg", "nobody");
            assertThat(hub.get("/health").statusCode()).isEqualTo(200);

            proxy.down();
            HttpResponse<String> refused = hub.postVapi(report);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(Jsons.read(refused.body()).get("error").asText()).contains("database unavailable");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            HttpResponse<String> health = hub.get("/health");
            assertThat(health.statusCode()).isEqualTo(503);
            JsonNode h = Jsons.read(health.body());
            assertThat(h.get("status").asText()).isEqualTo("unhealthy");
            assertThat(h.at("/database/status").asText()).isEqualTo("disconnected");
            assertThat(h.at("/database/consecutiveFailures").asInt()).isGreaterThanOrEqualTo(1);
            assertThat(calls(db, "call-outage-pg")).isZero();

            proxy.up();
            HttpResponse<String> retried = hub.postVapi(report);
            assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
            assertThat(calls(db, "call-outage-pg")).isEqualTo(1);
            HttpResponse<String> healthy = hub.get("/health");
            assertThat(healthy.statusCode()).isEqualTo(200);
            assertThat(Jsons.read(healthy.body()).at("/database/consecutiveFailures").asInt()).isZero();
        }
    }

    @Test
    void lockedSqliteAnswers503ThenStoresTheRetryOnce() throws Exception {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.SQLITE);
             RunningHub hub = RunningHub.start(db.hubUrl(), FAST_TIMEOUTS)) {
            String report = VapiReports.forClient("call-outage-sqlite", "nobody");
            try (Connection lock = db.connect(); Statement s = lock.createStatement()) {
                s.execute("pragma busy_timeout = 100");
                s.execute("begin exclusive");
                HttpResponse<String> refused = hub.postVapi(report);
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                s.execute("rollback");
            }
            assertThat(calls(db, "call-outage-sqlite")).isZero();
            assertThat(hub.postVapi(report).statusCode()).isEqualTo(200);
            assertThat(calls(db, "call-outage-sqlite")).isEqualTo(1);
        }
    }

    private static long calls(TestDatabase db, String id) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from calls where vapi_call_id = '" + id + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
