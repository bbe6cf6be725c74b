package uk.bookinghub.limits;

import io.github.bucket4j.TimeMeter;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.Wiring;
import uk.bookinghub.clients.Tier;
import uk.bookinghub.store.Database;
import uk.bookinghub.store.RateLimitBuckets;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Rate limits: binds {@code rateLimits}, which the front door asks for every request (so before
 * {@code ApiConfiguration} in {@code camel.main.configuration-classes}). Its buckets keep the
 * hub's clock ({@code hubClock}).
 */
public class LimitsConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(LimitsConfiguration.class);

    @PropertyInject("hub.rate-limits.per-minute.free")
    long freePerMinute;
    @PropertyInject("hub.rate-limits.per-minute.pro")
    long proPerMinute;
    @PropertyInject("hub.rate-limits.per-minute.enterprise")
    long enterprisePerMinute;
    @PropertyInject("hub.rate-limits.imports-per-day.free")
    long freeImports;
    @PropertyInject("hub.rate-limits.imports-per-day.pro")
    long proImports;
    @PropertyInject("hub.rate-limits.imports-per-day.enterprise")
    long enterpriseImports;
    @PropertyInject("hub.rate-limits.messages-per-day.free")
    long freeMessages;
    @PropertyInject("hub.rate-limits.messages-per-day.pro")
    long proMessages;
    @PropertyInject("hub.rate-limits.messages-per-day.enterprise")
    long enterpriseMessages;
    @PropertyInject("hub.rate-limits.anonymous-per-minute")
    long anonymousPerMinute;
    @PropertyInject("hub.rate-limits.webhooks-per-minute")
    long webhooksPerMinute;
    @PropertyInject("hub.database.connect-timeout-ms")
    long timeoutMs;

    @Override
    public void configure(CamelContext camel) {
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        TimeMeter meter = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                Instant now = clock.instant();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
        RateLimits.Settings settings = new RateLimits.Settings(
                Map.of(Tier.FREE, freePerMinute, Tier.PRO, proPerMinute, Tier.ENTERPRISE, enterprisePerMinute),
                Map.of(Tier.FREE, freeImports, Tier.PRO, proImports, Tier.ENTERPRISE, enterpriseImports),
                Map.of(Tier.FREE, freeMessages, Tier.PRO, proMessages, Tier.ENTERPRISE, enterpriseMessages),
                anonymousPerMinute, webhooksPerMinute);
        RateLimitBuckets buckets = RateLimitBuckets.open(Wiring.need(camel, "hubDatabase", Database.class), meter, Duration.ofMillis(Math.max(250, timeoutMs)));
        camel.getRegistry().bind("rateLimits", new RateLimits(buckets, RateLimitBuckets.inMemory(meter), clock, settings));
        LOG.info("[RATE LIMIT] requests a minute: free {}, pro {}, enterprise {}; imports a day: free {}, pro {}, enterprise {}; messages a day: free {}, pro {}, enterprise {}; "
                        + "without valid credentials {} a minute per address; webhooks {}; buckets {}",
                freePerMinute, proPerMinute, enterprisePerMinute, freeImports, proImports, enterpriseImports, freeMessages, proMessages, enterpriseMessages,
                anonymousPerMinute,
                webhooksPerMinute > 0 ? webhooksPerMinute + " a minute per address (this instance)" : "not limited", buckets.where());
    }
}
