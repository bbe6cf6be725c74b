package uk.bookinghub.limits;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.MovableClock;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three hub instances on one PostgreSQL database share one budget per client: an enterprise client
 * (1,000 requests a minute) hammering all three at once from twelve threads gets 1,000 answers
 * (within 1 %), not 3,000; every other answer is a 429, and every instance served some.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RateLimitsThreeInstancesPostgresTest {

    private TestDatabase db;
    private final List<RunningHub> hubs = new ArrayList<>();

    @BeforeAll
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRESQL);
        MovableClock clock = new MovableClock();
        for (int i = 0; i < 3; i++) {
            hubs.add(RunningHub.start(db.hubUrl(), RateLimitsTest.PRODUCTION_LIMITS, Map.of("hubClock", clock)));
        }
    }

    @AfterAll
    void stop() {
        hubs.forEach(RunningHub::close);
        db.close();
    }

    @Test
    void threeInstancesTogetherAllowTheTiersNumberOnce() throws Exception {
        String key = hubs.get(0).onboard("{\"businessName\":\"Shared Budget Ltd\",\"email\":\"shared@example.test\",\"phone\":\"0113 496 0500\","
                + "\"tier\":\"enterprise\"}");
        int threads = 12;
        int perThread = 110; // 1,320 requests in all, a third to each instance
        AtomicIntegerArray ok = new AtomicIntegerArray(hubs.size());
        AtomicIntegerArray limited = new AtomicIntegerArray(hubs.size());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            done.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    int h = (thread + i) % hubs.size();
                    HttpResponse<String> r = hubs.get(h).get("/api/clients/me", "X-API-Key", key);
                    if (r.statusCode() == 200) {
                        ok.incrementAndGet(h);
                    } else {
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                        assertThat(Jsons.read(r.body()).get("error").asText()).contains("1000 requests a minute");
                        limited.incrementAndGet(h);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        int allowed = 0;
        int refused = 0;
        for (int h = 0; h < hubs.size(); h++) {
            assertThat(ok.get(h)).as("instance " + h + " served some").isPositive();
            allowed += ok.get(h);
            refused += limited.get(h);
        }
        assertThat(allowed + refused).isEqualTo(threads * perThread);
        assertThat(allowed).as("the enterprise tier's 1,000 a minute, shared by the three instances").isBetween(990, 1010);
    }
}
