package uk.bookinghub.http;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.store.DatabaseUnavailableException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the exchange as an HTTP JSON reply: the body (a {@link Reply}, or any object for 200)
 * becomes the JSON body. Every inbound header is dropped first, because platform-http echoes
 * message headers back as response headers.
 *
 * <p>As {@code httpErrorReply} it answers a failed exchange instead: {@link HttpProblem} with its
 * own status, {@link DatabaseUnavailableException} with 503 (the sender may retry), anything else
 * with 500 and no internals.
 */
public final class JsonReply implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(JsonReply.class);
    private final boolean forErrors;

    private JsonReply(boolean forErrors) {
        this.forErrors = forErrors;
    }

    public static JsonReply success() {
        return new JsonReply(false);
    }

    public static JsonReply error() {
        return new JsonReply(true);
    }

    /** Expressions (setProperty with a bean method) wrap what the bean threw: find the hub's own exception. */
    static Throwable meaningful(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HttpProblem || t instanceof DatabaseUnavailableException) {
                return t;
            }
        }
        return error;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        int status;
        Object body;
        if (forErrors) {
            Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
            if (error == null) {
                error = exchange.getException();
            }
            error = meaningful(error);
            Map<String, Object> json = new LinkedHashMap<>();
            if (error instanceof HttpProblem p) {
                status = p.status();
                json.put("error", p.getMessage());
                json.putAll(p.details());
                if (status == 429 && p.details().get("retryAfterSeconds") instanceof Number wait) { // a limit a handler applied
                    exchange.getMessage().setHeader("Retry-After", String.valueOf(wait.longValue()));
                }
            } else if (error instanceof DatabaseUnavailableException) {
                status = 503;
                json.put("error", "database unavailable; nothing was stored, please retry");
                exchange.getMessage().setHeader("Retry-After", "5");
            } else {
                status = 500;
                json.put("error", "internal error; it has been logged");
                LOG.error("Unhandled failure in route {}: {}", exchange.getFromRouteId(), String.valueOf(error), error);
            }
            body = json;
        } else {
            Object in = exchange.getMessage().getBody();
            if (in instanceof Reply r) {
                status = r.status();
                body = r.body();
            } else {
                status = 200;
                body = in;
            }
        }
        Message m = exchange.getMessage();
        String retryAfter = m.getHeader("Retry-After", String.class);
        m.getHeaders().clear();
        if (retryAfter != null) {
            m.setHeader("Retry-After", retryAfter);
        }
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        // a Vert.x Buffer is written by the HTTP server as it is; a byte[] would be converted to an
        // InputStream and pumped through a worker thread (a fifth of the webhook path's CPU in W1)
        m.setBody(io.vertx.core.buffer.Buffer.buffer(body == null ? new byte[0] : Json.MAPPER.writeValueAsBytes(body)));
    }
}
