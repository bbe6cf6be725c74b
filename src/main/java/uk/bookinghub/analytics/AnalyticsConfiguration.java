package uk.bookinghub.analytics;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.metrics.BusinessMetrics;
import uk.bookinghub.monitoring.SettingsAlarm;
import uk.bookinghub.store.Database;

import java.math.BigDecimal;
import java.time.Clock;

/**
 * {@code analyticsStore} (the group-committed writer of analytics events and their daily roll-up;
 * closed when the context stops), {@code analyticsReports} (the numbers) and {@code analyticsApi}
 * ({@code /api/analytics/...}).
 */
public class AnalyticsConfiguration implements CamelConfiguration {

    @PropertyInject("hub.database.max-batch")
    int maxBatch;
    @PropertyInject("hub.database.write-timeout-ms")
    long writeTimeoutMs;
    @PropertyInject("hub.analytics.usd-to-gbp")
    String usdToGbp;
    @PropertyInject("hub.analytics.reconcile-grace-seconds")
    long reconcileGraceSeconds;

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        AnalyticsStore analytics = new AnalyticsStore(db, maxBatch, writeTimeoutMs);
        if (reconcileGraceSeconds < 0) {
            throw new IllegalArgumentException("hub.analytics.reconcile-grace-seconds must be 0 or more, got " + reconcileGraceSeconds);
        }
        analytics.reconcileGrace(java.time.Duration.ofSeconds(reconcileGraceSeconds));
        Wiring.onStop(camel, "the analytics writer", analytics::close);
        analytics.metrics(Wiring.need(camel, "businessMetrics", BusinessMetrics.class));
        camel.getRegistry().bind("analyticsStore", analytics);
        AnalyticsReports reports = new AnalyticsReports(analytics, rate(usdToGbp), clock);
        camel.getRegistry().bind("analyticsReports", reports);
        camel.getRegistry().bind("analyticsApi", new AnalyticsApi(reports, analytics, Wiring.need(camel, "clientStore", ClientStore.class),
                new SettingsAlarm(Wiring.need(camel, "errorLog", uk.bookinghub.monitoring.ErrorLog.class), clock)));
    }

    /** hub.analytics.usd-to-gbp: a positive number, or the hub does not start. */
    static BigDecimal rate(String value) {
        try {
            BigDecimal r = new BigDecimal(value.strip());
            if (r.signum() > 0 && r.compareTo(BigDecimal.valueOf(100)) <= 0) {
                return r.stripTrailingZeros();
            }
        } catch (NumberFormatException | NullPointerException e) {
            // refused below
        }
        throw new IllegalArgumentException("hub.analytics.usd-to-gbp (HUB_USD_TO_GBP) must be a positive number of GBP per USD such as 0.79, got '" + value + "'");
    }
}
