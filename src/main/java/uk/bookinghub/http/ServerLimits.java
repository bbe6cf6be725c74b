package uk.bookinghub.http;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * What the HTTP server answers before a request reaches a route, as JSON like every other error of
 * the API:
 * <ul>
 *   <li>a request line (method and URL) over Vert.x's limit: 414 that says so (431 for headers too
 *       large), instead of Vert.x's empty body;</li>
 *   <li>a declared body that stops arriving: 408 once nothing more came for
 *       {@code hub.http.body-idle-timeout-ms}, and the connection is closed, instead of a request that
 *       hangs until the client gives up.</li>
 * </ul>
 */
public final class ServerLimits {

    private static final Logger LOG = LoggerFactory.getLogger(ServerLimits.class);

    /** Camel 4.17 starts its server with Vert.x's default options: this is its request-line limit. */
    public static final int MAX_REQUEST_LINE = HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH;

    private ServerLimits() {
    }

    /**
     * Vert.x answers a request it cannot decode (request line or headers too long) with its
     * invalid-request handler, which it hands to each new connection from the handler it built when
     * the server started listening. Camel 4.17 starts the server itself and offers no hook before
     * that, so the handler is replaced there by reflection; without it the answers stay Vert.x's own
     * (empty 414 / 431), which is logged.
     */
    public static void jsonInvalidRequests(HttpServer server) {
        try {
            var childHandler = io.vertx.core.net.impl.TCPServerBase.class.getDeclaredField("childHandler");
            childHandler.setAccessible(true);
            Object worker = childHandler.get(server);
            var connectionHandler = worker.getClass().getDeclaredField("connectionHandler");
            connectionHandler.setAccessible(true);
            Object connections = connectionHandler.get(worker);
            var invalid = connections.getClass().getDeclaredField("invalidRequestHandler");
            invalid.setAccessible(true);
            invalid.set(connections, (Handler<HttpServerRequest>) ServerLimits::invalidRequest);
            LOG.info("HTTP: a request line over {} bytes is answered 414 with a JSON error", MAX_REQUEST_LINE);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("HTTP: cannot reach the server's invalid-request handler ({}); over-long URLs answer Vert.x's empty 414", e.toString());
        }
    }

    private static void invalidRequest(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        int status;
        String message;
        if (cause instanceof TooLongHttpLineException) {
            status = 414;
            message = "request line too long: the method and URL are over " + MAX_REQUEST_LINE + " bytes; send long values in a JSON body";
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = 431;
            message = "request headers too large: they are over " + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE + " bytes together";
        } else {
            HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
            return;
        }
        request.response().setStatusCode(status).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                .end(Json.write(Map.of("error", message)));
    }

    /**
     * Watches a request whose body is still to come: when no byte of it arrived for {@code idleMs}
     * (checked every {@code idleMs}, so the answer comes between one and two times {@code idleMs}
     * after the last byte), it is answered 408 and its connection closed. A body that has arrived
     * in full is the route's business, however long the route then takes. A {@code streamed} body is
     * read by its route, which must see the connection close (its reader stops then); any other is
     * Vert.x's body handler's, which would report the close as an unhandled error after our answer.
     */
    public static void watchBody(RoutingContext ctx, long idleMs, boolean streamed) {
        HttpServerRequest request = ctx.request();
        if (idleMs <= 0 || request.isEnded() || !declaresBody(request)) {
            return;
        }
        var vertx = ctx.vertx();
        long[] timer = new long[1];
        long[] seen = {request.bytesRead()};
        Handler<Long> check = new Handler<>() {
            @Override
            public void handle(Long id) {
                if (request.isEnded() || ctx.response().ended() || ctx.response().headWritten()) {
                    return;
                }
                long read = request.bytesRead();
                if (read != seen[0]) {
                    seen[0] = read;
                    timer[0] = vertx.setTimer(idleMs, this);
                    return;
                }
                LOG.info("HTTP: {} {} sent {} bytes of its body and then nothing for {} ms: 408", request.method(), request.path(), read, idleMs);
                request.pause();
                if (!streamed) {
                    request.exceptionHandler(closed -> { });
                }
                ctx.response().setStatusCode(408).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                        .end(Json.write(Map.of("error", "the request body stopped arriving: " + read + " bytes came, then nothing for "
                                + idleMs + " ms (hub.http.body-idle-timeout-ms); send the whole body at once")))
                        .onComplete(done -> request.connection().close());
            }
        };
        timer[0] = vertx.setTimer(idleMs, check);
        ctx.addEndHandler(done -> vertx.cancelTimer(timer[0]));
    }

    private static boolean declaresBody(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        if (length != null) {
            return !length.trim().equals("0");
        }
        String encoding = request.getHeader("Transfer-Encoding");
        return encoding != null && encoding.toLowerCase(java.util.Locale.ROOT).contains("chunked");
    }
}
