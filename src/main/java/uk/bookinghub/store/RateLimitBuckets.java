package uk.bookinghub.store;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.local.LocalBucketBuilder;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Where the rate limiter's token buckets (bucket4j) live, decided by the database the hub runs on:
 * <ul>
 *   <li>several hub instances on one database (PostgreSQL): each bucket is a row of
 *       {@code rate_limit_buckets} (migration V15), read, changed and written back in one
 *       transaction under {@code SELECT ... FOR UPDATE} (bucket4j's PostgreSQL proxy manager), so the
 *       instances together allow a limit once, not once each. A bucket that cannot be read (the
 *       database down, the table gone) throws: the caller refuses the request;</li>
 *   <li>SQLite, the single-instance mode: the buckets live in this hub's memory.</li>
 * </ul>
 * Either way time is the hub's clock ({@code hubClock}), so tests move it instead of sleeping.
 */
public interface RateLimitBuckets {

    /** The bucket of {@code key}, made with {@code configuration} the first time it is used. */
    Bucket bucket(String key, Supplier<BucketConfiguration> configuration);

    /** Forgets the buckets that are full again (a fresh one is the same): rows past their expiry, or entries in memory; how many. */
    int sweep();

    /** Where the buckets are, in words for the start-up log. */
    String where();

    /** The buckets for {@code db}; a database operation waits at most {@code timeout}. */
    static RateLimitBuckets open(Database db, TimeMeter clock, Duration timeout) {
        return db.dialect().sharedByInstances() ? new Shared(db, clock, timeout) : inMemory(clock);
    }

    /** Buckets in this hub's memory only, whatever the database (an instance's own ceiling). */
    static RateLimitBuckets inMemory(TimeMeter clock) {
        return new InMemory(clock);
    }

    /** Rows of {@code rate_limit_buckets}, shared by every instance on the database. */
    final class Shared implements RateLimitBuckets {
        private static final int SWEEP_BATCH = 1000;
        private final PostgreSQLSelectForUpdateBasedProxyManager<String> rows;

        Shared(Database db, TimeMeter clock, Duration timeout) {
            this.rows = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(db.dataSource())
                    .primaryKeyMapper(PrimaryKeyMapper.STRING)
                    .table("rate_limit_buckets")
                    .clientClock(clock)
                    .requestTimeout(timeout)
                    // a row may go a minute after its bucket would be full again
                    .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofMinutes(1)))
                    .build();
        }

        @Override
        public Bucket bucket(String key, Supplier<BucketConfiguration> configuration) {
            return rows.builder().build(key, configuration);
        }

        @Override
        public int sweep() {
            int removed = 0;
            for (int i = 0; i < 100; i++) {
                int n = rows.removeExpired(SWEEP_BATCH);
                removed += n;
                if (n < SWEEP_BATCH) {
                    break;
                }
            }
            return removed;
        }

        @Override
        public String where() {
            return "in the database (table rate_limit_buckets, shared by every instance)";
        }
    }

    /** This hub's memory: the single-instance mode. */
    final class InMemory implements RateLimitBuckets {
        private record Local(Bucket bucket, long capacity) {
        }

        private final TimeMeter clock;
        private final Map<String, Local> buckets = new ConcurrentHashMap<>();

        InMemory(TimeMeter clock) {
            this.clock = clock;
        }

        @Override
        public Bucket bucket(String key, Supplier<BucketConfiguration> configuration) {
            return buckets.computeIfAbsent(key, k -> {
                BucketConfiguration c = configuration.get();
                LocalBucketBuilder b = Bucket.builder().withCustomTimePrecision(clock);
                Arrays.stream(c.getBandwidths()).forEach(b::addLimit);
                return new Local(b.build(), Arrays.stream(c.getBandwidths()).mapToLong(Bandwidth::getCapacity).min().orElse(0));
            }).bucket();
        }

        @Override
        public int sweep() {
            int before = buckets.size();
            buckets.values().removeIf(l -> l.bucket().getAvailableTokens() >= l.capacity());
            return before - buckets.size();
        }

        @Override
        public String where() {
            return "in this hub's memory (SQLite: one instance)";
        }
    }
}
