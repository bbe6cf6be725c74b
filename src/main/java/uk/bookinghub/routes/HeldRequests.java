package uk.bookinghub.routes;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.HubApp;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * While a route file's routes are swapped, the HTTP server holds requests that arrive and routes
 * them when the swap is done (Vert.x matches a request against the routes present when it
 * arrives: a request that came during the gap between the old consumer's removal and the new one's
 * start would answer 404). Held at most {@link #MAX_HOLD_SECONDS}; a swap takes milliseconds.
 */
final class HeldRequests {

    private static final Logger LOG = LoggerFactory.getLogger(HeldRequests.class);
    static final long MAX_HOLD_SECONDS = 10;

    private final CamelContext camel;
    private volatile CompletableFuture<Void> swapping;
    private boolean installed;

    HeldRequests(CamelContext camel) {
        this.camel = camel;
    }

    /** Runs {@code swap} with new HTTP requests held until it returns. */
    void during(Runnable swap) {
        install();
        CompletableFuture<Void> done = new CompletableFuture<>();
        swapping = done;
        try {
            swap.run();
        } finally {
            swapping = null;
            done.complete(null);
        }
    }

    private void install() {
        if (installed) {
            return;
        }
        installed = true;
        int port = Integer.parseInt(camel.resolvePropertyPlaceholders("{{camel.server.port}}"));
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(camel, VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            router = VertxPlatformHttpRouter.lookup(camel);
        }
        if (router == null) {
            LOG.warn("no HTTP router for port {}: requests that arrive while a route file is swapped may answer 404", port);
            return;
        }
        // on the server's top router: the application's routes are a sub-router that is matched afresh when the request goes on
        Router top = HubApp.mainRouter(router);
        top.route().order(Integer.MIN_VALUE).handler(ctx -> {
            CompletableFuture<Void> swap = swapping;
            if (swap == null) {
                ctx.next();
                return;
            }
            ctx.request().pause(); // the body waits with it; the endpoint's body handler resumes it
            Context vertx = Vertx.currentContext();
            swap.orTimeout(MAX_HOLD_SECONDS, TimeUnit.SECONDS).whenComplete((ok, e) -> vertx.runOnContext(v -> ctx.next()));
        });
    }
}
