package uk.bookinghub.api;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.PropertyInject;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.model.Model;
import org.apache.camel.model.ModelLifecycleStrategySupport;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.apache.camel.support.LifecycleStrategySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.Wiring;
import uk.bookinghub.calls.VapiWebhook;
import uk.bookinghub.http.JsonReply;
import uk.bookinghub.limits.RateLimits;
import uk.bookinghub.messaging.TwilioWebhooks;
import uk.bookinghub.security.AdminAuth;
import uk.bookinghub.security.ApiKeys;
import uk.bookinghub.security.ClientTokens;

/**
 * The front door: every REST route is checked and authenticated by its declaration. Binds
 * {@code apiCatalog} (the declarations read from Camel's model, read again when a route file is
 * reloaded), {@code frontDoor}, and the JSON answer steps {@code jsonReply} / {@code httpErrorReply}.
 * After the capabilities whose credentials it checks (security, calls, messaging) and the rate limits
 * ({@code rateLimits}) it applies.
 */
public class ApiConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(ApiConfiguration.class);

    @PropertyInject("vapi.webhook.secret-header")
    String vapiHeader;

    @Override
    public void configure(CamelContext camel) {
        camel.getRegistry().bind("jsonReply", JsonReply.success());
        camel.getRegistry().bind("httpErrorReply", JsonReply.error());
        ApiCatalog catalog = new ApiCatalog(camel, vapiHeader.trim());
        camel.getRegistry().bind("apiCatalog", catalog);
        // the REST DSL inlines each verb's direct: route into the route that serves it; give that route the verb's words
        camel.getCamelContextExtension().getContextPlugin(Model.class).addModelLifecycleStrategy(new ModelLifecycleStrategySupport() {
            @Override
            public void onAddRouteDefinition(RouteDefinition route) {
                if (Boolean.TRUE.equals(route.isRest()) && route.getDescriptionText() == null && route.getInput() != null) {
                    route.setDescription(ApiCatalog.describe(route.getInput().getUri()));
                }
                webhooksFirst(route);
            }
        });
        camel.addLifecycleStrategy(new LifecycleStrategySupport() {
            @Override
            public void onEndpointAdd(Endpoint endpoint) {
                if (endpoint instanceof PlatformHttpEndpoint http && catalog.streamsUploads(http.getPath())) {
                    http.setUseStreaming(true);
                    LOG.info("HTTP: {} streams its request body (an upload: read once into a buffer of its Content-Length)", http.getPath());
                }
            }
        });
        camel.getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
            {
                setIgnoreExchangeEvents(true);
                setIgnoreCamelContextEvents(true);
                setIgnoreServiceEvents(true);
                setIgnoreStepEvents(true);
            }

            @Override
            public void notify(CamelEvent event) {
                if (event instanceof CamelEvent.RouteAddedEvent || event instanceof CamelEvent.RouteReloadedEvent) {
                    catalog.invalidate(); // a route file was (re)loaded: read the declarations again
                }
            }
        });
        camel.getRegistry().bind("frontDoor", new FrontDoor(catalog, Wiring.need(camel, "adminAuth", AdminAuth.class),
                Wiring.need(camel, "apiKeys", ApiKeys.class), Wiring.need(camel, "clientTokens", ClientTokens.class),
                Wiring.need(camel, "vapiWebhook", VapiWebhook.class), vapiHeader.trim(),
                Wiring.need(camel, "twilioWebhooks", TwilioWebhooks.class), Wiring.need(camel, "rateLimits", RateLimits.class)));
    }

    /** Startup orders given to the partners' webhook routes, by their rest URI's path: the same one again after a reload. */
    private final java.util.Map<String, Integer> webhookOrders = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The partners' webhook routes (POST /webhooks/...: every Vapi report, every Twilio callback) start before the
     * other routes, so the HTTP router, which tries its routes in the order they started, finds them first instead
     * of after the ~90 API paths (issue 19: that walk was ~2 % of the webhook path's CPU under W1). Their paths are
     * exact and no other route's path can match them, so no other request is answered differently.
     */
    private void webhooksFirst(RouteDefinition route) {
        if (!Boolean.TRUE.equals(route.isRest()) || route.getInput() == null || route.getStartupOrder() != null) {
            return;
        }
        String uri = route.getInput().getUri().replaceFirst("^rest:(//)?", "");
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query); // post:/webhooks:/vapi
        if (path.regionMatches(true, 0, "post:/webhooks:/", 0, "post:/webhooks:/".length())) {
            route.setStartupOrder(webhookOrders.computeIfAbsent(path, p -> webhookOrders.size() + 1));
        }
    }
}
