package uk.bookinghub.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.MicrometerUtils;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.RoutePolicySupport;

/**
 * Binds {@code businessMetrics} ({@link BusinessMetrics}) on the Micrometer registry that
 * camel-micrometer-prometheus serves on the management port ({@code /observe/metrics}): the one
 * bound as {@code metricsRegistry}, created and bound here when this class runs first, so Camel's
 * metrics service finds it and both end up in the same scrape. Counts the answer of every webhook
 * request (a route policy on the REST routes of {@code /webhooks/vapi} and {@code /webhooks/twilio/...},
 * so a refused signature is counted too). First of the configuration classes: the others count into it.
 */
public class MetricsConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext camel) {
        MeterRegistry registry = MicrometerUtils.getMeterRegistryFromCamelRegistry(camel.getRegistry(), MicrometerConstants.METRICS_REGISTRY_NAME);
        if (registry == null) {
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            camel.getRegistry().bind(MicrometerConstants.METRICS_REGISTRY_NAME, registry);
        }
        BusinessMetrics metrics = new BusinessMetrics(registry);
        camel.getRegistry().bind("businessMetrics", metrics);
        BusinessMetrics.WebhookAnswers vapi = metrics.webhookAnswers("vapi");
        BusinessMetrics.WebhookAnswers twilio = metrics.webhookAnswers("twilio");
        camel.addRoutePolicyFactory(new RoutePolicyFactory() {
            @Override
            public RoutePolicy createRoutePolicy(CamelContext context, String routeId, NamedNode node) {
                String from = node instanceof RouteDefinition r && r.getInput() != null ? r.getInput().getEndpointUri() : null;
                if (from == null || !from.startsWith("rest:")) {
                    return null;
                }
                if (from.contains("/webhooks:/vapi") || from.contains("/webhooks/vapi")) {
                    return new Answers(vapi);
                }
                if (from.contains("/webhooks/twilio") || from.contains("/webhooks:/twilio")) {
                    return new Answers(twilio);
                }
                return null;
            }
        });
    }

    /** Counts the status each exchange of the route is answered with (200 when the route set none). */
    private static final class Answers extends RoutePolicySupport {
        private final BusinessMetrics.WebhookAnswers answers;

        Answers(BusinessMetrics.WebhookAnswers answers) {
            this.answers = answers;
        }

        @Override
        public void onExchangeDone(Route route, Exchange exchange) {
            Integer code = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
            answers.answered(code != null ? code : exchange.getException() != null ? 500 : 200);
        }
    }
}
