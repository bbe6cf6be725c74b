package uk.bookinghub.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
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

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Binds {@code businessMetrics} ({@link BusinessMetrics}) on the Micrometer registry that
 * camel-micrometer-prometheus serves on the management port ({@code /observe/metrics}): the one
 * bound as {@code metricsRegistry} ({@link HubMeterRegistry}, a bean of application.properties, so
 * Camel's metrics service finds it and both end up in the same scrape). Counts the answer of every webhook
 * request (a route policy on the REST routes of {@code /webhooks/vapi} and {@code /webhooks/twilio/...},
 * so a refused signature is counted too). First of the configuration classes: the others count into it.
 * The registry has {@link #promtoolClean()} before any meter is registered, so the whole scrape
 * (Camel's and the JVM's meters too) passes {@code promtool check metrics}.
 */
public class MetricsConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext camel) {
        MeterRegistry registry = MicrometerUtils.getMeterRegistryFromCamelRegistry(camel.getRegistry(), MicrometerConstants.METRICS_REGISTRY_NAME);
        if (!(registry instanceof HubMeterRegistry)) { // Camel made its own: its meters would escape the filter
            throw new IllegalStateException("the metrics registry is not the hub's (" + registry + "): application.properties binds "
                    + "camel.beans." + MicrometerConstants.METRICS_REGISTRY_NAME + " = #class:" + HubMeterRegistry.class.getName() + " before Camel's metrics start");
        }
        BusinessMetrics metrics = new BusinessMetrics(registry);
        camel.getRegistry().bind("businessMetrics", metrics);
        BusinessMetrics.WebhookAnswers vapi = metrics.webhookAnswers("vapi");
        BusinessMetrics.WebhookAnswers twilio = metrics.webhookAnswers("twilio");
        // Camel's event notifiers kept to what they are for (EventNotifiers), once started and after routes start later
        afterStart(camel, EventNotifiers::tidy);
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

    /** Runs {@code step} once the context and its routes have started, and each time routes start after that. */
    private static void afterStart(CamelContext camel, java.util.function.ToIntFunction<CamelContext> step) {
        try {
            camel.addStartupListener(new org.apache.camel.StartupListener() {
                @Override
                public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                    if (alreadyStarted) {
                        step.applyAsInt(context);
                    }
                }

                @Override
                public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
                    step.applyAsInt(context);
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * What {@code promtool check metrics} asks of Camel's and Micrometer's own meters: label names in
     * snake_case ({@code routeId} becomes {@code route_id}), a HELP text for every metric, and none
     * of the names it flags ({@code process.cpu.time} in nanoseconds is dropped: Micrometer also
     * has {@code process.cpu.usage}; {@code system.cpu.count} becomes {@code system.cpu.cores}).
     */
    static MeterFilter promtoolClean() {
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                String name = switch (id.getName()) {
                    case "system.cpu.count" -> "system.cpu.cores";
                    default -> id.getName();
                };
                List<Tag> tags = new ArrayList<>();
                for (Tag t : id.getTagsAsIterable()) {
                    tags.add(Tag.of(snakeCase(t.getKey()), t.getValue()));
                }
                String description = id.getDescription() == null || id.getDescription().isBlank() ? "Camel/JVM meter " + name : id.getDescription();
                return new Meter.Id(name, Tags.of(tags), id.getBaseUnit(), description, id.getType());
            }

            @Override
            public MeterFilterReply accept(Meter.Id id) {
                return id.getName().equals("process.cpu.time")
                        ? MeterFilterReply.DENY
                        : MeterFilterReply.NEUTRAL;
            }
        };
    }

    /** {@code routeId} → {@code route_id}: an underscore before each upper-case letter, all lower case. */
    static String snakeCase(String key) {
        StringBuilder b = new StringBuilder(key.length() + 4);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (Character.isUpperCase(c)) {
                if (i > 0 && key.charAt(i - 1) != '_' && key.charAt(i - 1) != '.') {
                    b.append('_');
                }
                b.append(Character.toLowerCase(c));
            } else {
                b.append(c);
            }
        }
        return b.toString().toLowerCase(Locale.ROOT);
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
