package uk.bookinghub.limits;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.Tier;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.store.RateLimitBuckets;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The hub's rate limits, asked by the front door for every request (so no endpoint can skip them):
 * <ul>
 *   <li>a client (however it authenticated) has a budget of requests a minute by its tier
 *       ({@code hub.rate-limits.per-minute.<tier>}): whole again one minute after the first request
 *       of a window, so "60 a minute" means exactly 60 in that minute;</li>
 *   <li>an import (an upload endpoint) also takes one from the client's daily import budget
 *       ({@code hub.rate-limits.imports-per-day.<tier>}), whatever its size; the count starts again
 *       at 00:00 UTC;</li>
 *   <li>a request without valid credentials (refused 401 / 403, or to a public endpoint other than
 *       the health probe) takes one from its IP address's budget
 *       ({@code hub.rate-limits.anonymous-per-minute}, refilled evenly); once that is spent, every
 *       request from the address is answered 429 before its credentials are even checked, so a
 *       key-guessing loop learns nothing more than one guess per refill;</li>
 *   <li>partner webhooks (Vapi, Twilio) have their own per-address ceiling
 *       ({@code hub.rate-limits.webhooks-per-minute}, 0 = none), counted in each instance's memory;</li>
 *   <li>admin requests are not limited.</li>
 * </ul>
 * Client and anonymous budgets live where {@link RateLimitBuckets} keeps them: shared rows on
 * PostgreSQL, memory on SQLite. A budget that cannot be read refuses the request (503), never lets
 * it through unlimited.
 */
public final class RateLimits {

    private static final Logger LOG = LoggerFactory.getLogger(RateLimits.class);
    private static final Duration MINUTE = Duration.ofMinutes(1);

    /** What the {@code RateLimit-*} headers say about one budget: its size, what is left, seconds until it is whole again. */
    public record Quota(long limit, long remaining, long resetSeconds) {
    }

    /** A request refused by a limit (429) or because a limit cannot be read (503), with the quota and Retry-After it answers with. */
    public static final class Refused extends HttpProblem {
        private final transient Quota quota;
        private final long retryAfterSeconds;

        Refused(int status, String message, Map<String, Object> details, Quota quota, long retryAfterSeconds) {
            super(status, message, details);
            this.quota = quota;
            this.retryAfterSeconds = retryAfterSeconds;
        }

        /** The quota the headers describe; null when none could be read. */
        public Quota quota() {
            return quota;
        }

        public long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    /** The numbers, from {@code hub.rate-limits.*}. */
    public record Settings(Map<Tier, Long> perMinute, Map<Tier, Long> importsPerDay, Map<Tier, Long> messagesPerDay, long anonymousPerMinute,
                           long webhooksPerMinute) {
        public Settings {
            for (Tier t : Tier.values()) {
                positive("hub.rate-limits.per-minute." + t.key(), perMinute.get(t));
                positive("hub.rate-limits.imports-per-day." + t.key(), importsPerDay.get(t));
                positive("hub.rate-limits.messages-per-day." + t.key(), messagesPerDay.get(t));
            }
            positive("hub.rate-limits.anonymous-per-minute", anonymousPerMinute);
            if (webhooksPerMinute < 0) {
                throw new IllegalArgumentException("hub.rate-limits.webhooks-per-minute must be 0 (no ceiling) or more, got " + webhooksPerMinute);
            }
            perMinute = Map.copyOf(perMinute);
            importsPerDay = Map.copyOf(importsPerDay);
            messagesPerDay = Map.copyOf(messagesPerDay);
        }

        private static void positive(String key, Long value) {
            if (value == null || value < 1) {
                throw new IllegalArgumentException(key + " must be a whole number of at least 1, got " + value);
            }
        }
    }

    private final RateLimitBuckets buckets;
    private final RateLimitBuckets webhookBuckets;
    private final Clock clock;
    private final Settings settings;
    /** Addresses whose anonymous budget is spent, until when (epoch ms): answered 429 before their credentials are checked. */
    private final Map<String, Long> spent = new ConcurrentHashMap<>();

    /** {@code buckets} for clients and addresses (shared or not, as the database decides); {@code webhookBuckets} this instance's own. */
    public RateLimits(RateLimitBuckets buckets, RateLimitBuckets webhookBuckets, Clock clock, Settings settings) {
        this.buckets = buckets;
        this.webhookBuckets = webhookBuckets;
        this.clock = clock;
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /** Whether partner webhooks have a per-address ceiling; when not, they never reach a bucket. */
    public boolean webhooksLimited() {
        return settings.webhooksPerMinute() > 0;
    }

    /** One request of an authenticated client: its tier's budget a minute, or 429. */
    public Quota client(Client c) {
        Tier tier = c.tier();
        long limit = settings.perMinute().get(tier);
        return take(buckets, "client:" + c.id() + ":" + tier.key() + ":" + limit, () -> window(limit, MINUTE), limit,
                q -> refused("rate limit exceeded: " + limit + " requests a minute for tier " + tier.key() + " (client " + c.clientKey()
                        + "); retry in " + q.resetSeconds() + " s", tier, limit, q, q.resetSeconds()));
    }

    /** One import of the client: its tier's imports a day (UTC), or 429 until the day rolls. */
    public Quota importStarted(Client c) {
        Tier tier = c.tier();
        long limit = settings.importsPerDay().get(tier);
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        long untilMidnight = Math.max(1, Duration.between(clock.instant(), today.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()).toSeconds());
        Quota q = take(buckets, "imports:" + c.id() + ":" + tier.key() + ":" + limit + ":" + today, () -> window(limit, Duration.ofDays(1)), limit,
                none -> refused("daily import limit reached: " + limit + " imports a day for tier " + tier.key() + " (client " + c.clientKey()
                        + "); the count starts again at 00:00 UTC, in " + untilMidnight + " s", tier, limit,
                        new Quota(limit, 0, untilMidnight), untilMidnight));
        return new Quota(q.limit(), q.remaining(), untilMidnight);
    }

    /**
     * Messages a client asks the hub to send ({@code POST /api/messages}: one per channel), counted by
     * what they cost: {@code units} from its tier's messages a day (UTC), all or none, or 429 until the
     * day rolls. The request itself has already taken its one from the requests a minute.
     */
    public Quota messages(Client c, int units) {
        Tier tier = c.tier();
        long limit = settings.messagesPerDay().get(tier);
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        long untilMidnight = Math.max(1, Duration.between(clock.instant(), today.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()).toSeconds());
        Quota q = take(buckets, "messages:" + c.id() + ":" + tier.key() + ":" + limit + ":" + today, () -> window(limit, Duration.ofDays(1)), limit,
                Math.max(1, units), left -> refused("daily message limit reached: " + limit + " messages a day for tier " + tier.key() + " (client "
                        + c.clientKey() + "); this request would send " + units + "; the count starts again at 00:00 UTC, in " + untilMidnight + " s",
                        tier, limit, new Quota(limit, left.remaining(), untilMidnight), untilMidnight));
        return new Quota(q.limit(), q.remaining(), untilMidnight);
    }

    /**
     * One self-service signup for {@code email} (lowercased): {@code perDay} a day from the first one,
     * or 429 until the window ends. Keyed by the email's SHA-256 (no address in the limiter's rows),
     * shared by every instance where the buckets are (PostgreSQL). Counted whether or not the signup
     * then succeeds, so the limit also caps how often one inbox can be sent a verification email.
     */
    public Quota signup(String email, long perDay) {
        String key = "signup:" + uk.bookinghub.security.Secrets.sha256Hex(email) + ":" + perDay;
        return take(buckets, key, () -> window(perDay, Duration.ofDays(1)), perDay,
                q -> new Refused(429, "too many signups for this email address: " + perDay + " a day (hub.signup.per-email-per-day); retry in "
                        + q.resetSeconds() + " s", Map.of("limit", perDay, "retryAfterSeconds", Math.max(1, q.resetSeconds())), q, Math.max(1, q.resetSeconds())));
    }

    /**
     * Before credentials are checked: an address whose anonymous budget is spent is answered 429 now,
     * whatever it sends, so that a right guess is not told apart from a wrong one.
     */
    public void notSpent(Supplier<String> address) {
        if (spent.isEmpty()) {
            return;
        }
        String ip = address.get();
        Long until = spent.get(ip);
        if (until == null) {
            return;
        }
        long now = clock.millis();
        if (until <= now) {
            spent.remove(ip, until);
            return;
        }
        long wait = Math.max(1, (until - now + 999) / 1000);
        throw anonymousRefusal(ip, new Quota(settings.anonymousPerMinute(), 0, wait), wait);
    }

    /** A request without valid credentials, or to a public endpoint: one from its address's budget, or 429. */
    public Quota anonymous(String ip) {
        long limit = settings.anonymousPerMinute();
        long perToken = MINUTE.toMillis() / limit;
        Quota q = take(buckets, "anonymous:" + ip + ":" + limit, () -> even(limit), limit, refusedQuota -> {
            spent.put(ip, clock.millis() + perToken);
            LOG.info("[RATE LIMIT] {} went over {} requests a minute without valid credentials: 429 for {} ms", ip, limit, perToken);
            return anonymousRefusal(ip, refusedQuota, Math.max(1, (perToken + 999) / 1000));
        });
        if (q.remaining() == 0) {
            spent.put(ip, clock.millis() + perToken); // the next guess waits for the next token, wherever its credentials would lead
        }
        return q;
    }

    /** A partner webhook from {@code ip}: the per-address ceiling (only when {@link #webhooksLimited()}), or 429. */
    public Quota webhook(String ip, String partner) {
        long limit = settings.webhooksPerMinute();
        return take(webhookBuckets, "webhook:" + ip + ":" + limit, () -> even(limit), limit,
                q -> new Refused(429, "too many " + partner + " webhooks from " + ip + ": " + limit + " a minute (hub.rate-limits.webhooks-per-minute); retry in "
                        + q.resetSeconds() + " s", Map.of("limit", limit, "retryAfterSeconds", Math.max(1, q.resetSeconds())), q, Math.max(1, q.resetSeconds())));
    }

    /** Forgets full buckets and spent marks that are over (a timer calls it); what it removed, for the route's log. */
    public Map<String, Object> sweep() {
        Map<String, Object> out = new LinkedHashMap<>();
        long now = clock.millis();
        spent.values().removeIf(until -> until <= now);
        try {
            out.put("buckets", buckets.sweep());
        } catch (RuntimeException e) {
            LOG.warn("[RATE LIMIT] expired buckets not swept ({}); they are swept at the next pass", e.toString());
            out.put("buckets", "failed: " + e.getMessage());
        }
        out.put("webhookBuckets", webhookBuckets.sweep());
        return out;
    }

    private Refused anonymousRefusal(String ip, Quota q, long retryAfter) {
        return new Refused(429, "too many requests without valid credentials from " + ip + ": " + settings.anonymousPerMinute()
                + " a minute (hub.rate-limits.anonymous-per-minute); retry in " + retryAfter + " s",
                Map.of("limit", settings.anonymousPerMinute(), "retryAfterSeconds", retryAfter), q, retryAfter);
    }

    private static Refused refused(String message, Tier tier, long limit, Quota q, long retryAfter) {
        long wait = Math.max(1, retryAfter);
        return new Refused(429, message, Map.of("tier", tier.key(), "limit", limit, "retryAfterSeconds", wait), q, wait);
    }

    /** One token from {@code key}'s bucket; a refusal is made by {@code refusal} from the quota left (0) and when it is whole again. */
    private static Quota take(RateLimitBuckets where, String key, Supplier<BucketConfiguration> configuration, long limit, Function<Quota, Refused> refusal) {
        return take(where, key, configuration, limit, 1, refusal);
    }

    /** {@code tokens} from {@code key}'s bucket, all or none; the refusal's quota has what is left. */
    private static Quota take(RateLimitBuckets where, String key, Supplier<BucketConfiguration> configuration, long limit, long tokens,
                              Function<Quota, Refused> refusal) {
        ConsumptionProbe p;
        try {
            p = where.bucket(key, configuration).tryConsumeAndReturnRemaining(tokens);
        } catch (RuntimeException e) {
            LOG.warn("[RATE LIMIT] the limit of {} cannot be read ({}): the request is refused with 503", key.substring(0, key.indexOf(':')), e.toString());
            throw new Refused(503, "the rate limiter cannot be read (its database is unavailable): the request was refused, not let through "
                    + "unlimited; retry later", Map.of(), null, 5);
        }
        if (p.isConsumed()) {
            return new Quota(limit, p.getRemainingTokens(), seconds(p.getNanosToWaitForReset()));
        }
        throw refusal.apply(new Quota(limit, tokens > 1 ? p.getRemainingTokens() : 0, Math.max(1, seconds(p.getNanosToWaitForRefill()))));
    }

    /** {@code limit} tokens, all of them back once {@code period} has passed since the window began. */
    private static BucketConfiguration window(long limit, Duration period) {
        return BucketConfiguration.builder().addLimit(Bandwidth.builder().capacity(limit).refillIntervally(limit, period).build()).build();
    }

    /** {@code limit} tokens a minute, each back as soon as its share of the minute has passed. */
    private static BucketConfiguration even(long limit) {
        return BucketConfiguration.builder().addLimit(Bandwidth.builder().capacity(limit).refillGreedy(limit, MINUTE).build()).build();
    }

    private static long seconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }
}
