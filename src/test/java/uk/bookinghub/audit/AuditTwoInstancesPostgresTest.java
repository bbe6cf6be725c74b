package uk.bookinghub.audit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.DatabaseUrl;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two hubs on one PostgreSQL write audit rows at the same time (in the handlers' transactions and
 * after the route, in their own): the chain stays one chain, ids 1..n without a gap, every row after
 * the one before it. Also measures what the chain's lock costs: appends per second from one writer
 * and from eight at once (printed; the README's numbers come from here).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditTwoInstancesPostgresTest {

    private static final int THREADS = 8;
    private static final int PER_THREAD = 25;

    private TestDatabase db;
    private RunningHub a;
    private RunningHub b;
    private String key;

    @BeforeAll
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRESQL);
        a = RunningHub.start(db.hubUrl(), Map.of());
        b = RunningHub.start(db.hubUrl(), Map.of());
        key = a.onboard("{\"businessName\":\"Two Hubs Ltd\",\"email\":\"o@two.example\",\"phone\":\"0113 496 0400\"}");
    }

    @AfterAll
    void stop() {
        b.close();
        a.close();
        db.close();
    }

    @Test
    @Order(1)
    void twoHubsWritingAtOnceLeaveOneValidChain() throws Exception {
        long before = count();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Callable<Integer>> work = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            RunningHub hub = t % 2 == 0 ? a : b;
            work.add(() -> {
                int rows = 0;
                for (int i = 0; i < PER_THREAD; i++) {
                    // in the handler's transaction
                    HttpResponse<String> r = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/follow-up-sequences")))
                            .PUT(HttpRequest.BodyPublishers.ofString("{\"paused\":" + (i % 2 == 0) + "}")).header("Content-Type", "application/json"),
                            "X-API-Key", key);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    rows++;
                    if (i % 5 == 0) { // after the route, in a transaction of its own
                        assertThat(hub.get("/api/leads", "X-API-Key", "bh_wrong").statusCode()).isEqualTo(401);
                        rows++;
                    }
                }
                return rows;
            });
        }
        long started = System.nanoTime();
        int expected = 0;
        for (Future<Integer> f : pool.invokeAll(work)) {
            expected += f.get();
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        pool.shutdown();
        System.out.printf("[AUDIT] %d audited requests from %d threads on two hubs in %d ms%n", expected, THREADS, ms);

        assertThat(count()).isEqualTo(before + expected);
        for (RunningHub hub : List.of(a, b)) {
            JsonNode v = Jsons.read(hub.get("/api/admin/audit-log/verify", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN).body());
            assertThat(v.get("ok").asBoolean()).as(v.toString()).isTrue();
            assertThat(v.get("rows").asLong()).isEqualTo(before + expected);
            assertThat(v.get("lastId").asLong()).as("ids 1..n without a gap").isEqualTo(before + expected);
        }
    }

    /**
     * Appends per second, each in its own transaction (a commit each), from one writer and from eight,
     * beside the same number of plain one-row inserts into a table with no chain: the difference is
     * what taking turns on the chain costs (concurrent commits no longer share a WAL flush).
     */
    @Test
    @Order(2)
    void theChainLockCostsMeasured() throws Exception {
        try (Database d = Database.open(DatabaseUrl.parse(db.hubUrl(), null), THREADS + 2, 5000)) {
            AuditStore store = new AuditStore(d);
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("create table plain_rows (id bigserial primary key, request_id text not null, at timestamptz not null)");
            }
            int n = 300;
            double plainOne = rate(1, n, i -> d.inTransaction("a plain row", c -> plainRow(c, i)));
            double chainOne = rate(1, n, i -> store.append(draft("one-" + i)));
            double plainMany = rate(THREADS, n, i -> d.inTransaction("a plain row", c -> plainRow(c, i)));
            double chainMany = rate(THREADS, n, i -> store.append(draft("many-" + i)));
            System.out.printf("[AUDIT] commits per second (PostgreSQL, one row each): 1 writer: plain %.0f, audit chain %.0f; %d writers: plain %.0f,"
                    + " audit chain %.0f%n", plainOne, chainOne, THREADS, plainMany, chainMany);

            AuditApi.Chain chain = new AuditApi.Chain();
            store.walk(1000, chain::next);
            assertThat(chain.brokenId).as(chain.reason).isNull();
            assertThat(chain.rows).isEqualTo(count());
        }
    }

    private static int plainRow(Connection c, String requestId) throws java.sql.SQLException {
        try (var ps = c.prepareStatement("insert into plain_rows (request_id, at) values (?, now())")) {
            ps.setString(1, requestId);
            return ps.executeUpdate();
        }
    }

    /** Rows per second when {@code threads} threads each write {@code n} rows, one per call. */
    private static double rate(int threads, int n, java.util.function.Consumer<String> write) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Callable<Void>> work = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            work.add(() -> {
                for (int i = 0; i < n; i++) {
                    write.accept(thread + "-" + i);
                }
                return null;
            });
        }
        long started = System.nanoTime();
        for (Future<Void> f : pool.invokeAll(work)) {
            f.get();
        }
        pool.shutdown();
        return threads * n / ((System.nanoTime() - started) / 1e9);
    }

    private static AuditEntry.Draft draft(String requestId) {
        return new AuditEntry.Draft(Instant.now(), null, null, "admin", "quality_run", null, Map.of("bench", true), "127.0.0.1", requestId, 200);
    }

    private long count() throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from audit_log")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
