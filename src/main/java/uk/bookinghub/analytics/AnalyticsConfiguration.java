package uk.bookinghub.analytics;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.metrics.BusinessMetrics;
import uk.bookinghub.store.Database;

/** {@code analyticsStore}, the group-committed writer of analytics events; closed when the context stops. */
public class AnalyticsConfiguration implements CamelConfiguration {

    @PropertyInject("hub.database.max-batch")
    int maxBatch;
    @PropertyInject("hub.database.write-timeout-ms")
    long writeTimeoutMs;

    @Override
    public void configure(CamelContext camel) {
        AnalyticsStore analytics = new AnalyticsStore(Wiring.need(camel, "hubDatabase", Database.class), maxBatch, writeTimeoutMs);
        Wiring.onStop(camel, "the analytics writer", analytics::close);
        analytics.metrics(Wiring.need(camel, "businessMetrics", BusinessMetrics.class));
        camel.getRegistry().bind("analyticsStore", analytics);
    }
}
