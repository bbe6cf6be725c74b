package uk.bookinghub.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The registry served on {@code /observe/metrics}, with {@link MetricsConfiguration#promtoolClean()}
 * in place before any meter exists. Bound as {@code camel.beans.metricsRegistry} in
 * application.properties: Camel's metrics service binds the JVM meters before any configuration
 * class runs, and uses the registry already bound under that name.
 */
public class HubMeterRegistry extends PrometheusMeterRegistry {

    public HubMeterRegistry() {
        super(PrometheusConfig.DEFAULT);
        config().meterFilter(MetricsConfiguration.promtoolClean());
    }
}
