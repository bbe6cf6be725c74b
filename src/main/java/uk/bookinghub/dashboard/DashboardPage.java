package uk.bookinghub.dashboard;

import io.vertx.core.buffer.Buffer;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

import uk.bookinghub.http.HttpProblem;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * {@code GET /dashboard} and its script and style sheet: the client's live dashboard, a static page
 * (classpath {@code dashboard/}) that signs in with the client's API key and then talks to the API
 * and the event stream like any other client. Only the files named here are served, read once at
 * start-up; each answer carries a Content-Security-Policy that allows this origin only (no inline
 * script or style, no frames, no other host), so the page works with no internet and cannot be
 * made to load anything else.
 */
public final class DashboardPage implements Processor {

    /** Allows scripts, styles and API calls from this origin only; nothing inline, no framing, no forms posted anywhere. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private record File(byte[] bytes, String type) {
    }

    private final Map<String, File> files;

    /** The dashboard's files. */
    public DashboardPage() {
        this(Map.of("/dashboard", "dashboard/index.html", "/dashboard/dashboard.js", "dashboard/dashboard.js",
                "/dashboard/dashboard.css", "dashboard/dashboard.css", "/dashboard/session.js", "dashboard/session.js"));
    }

    /** Another page of the same kind (the onboarding wizard): request path to classpath file, the type by its extension. */
    public DashboardPage(Map<String, String> pathToFile) {
        Map<String, File> f = new java.util.HashMap<>();
        pathToFile.forEach((path, name) -> f.put(path, read(name)));
        this.files = Map.copyOf(f);
    }

    private static File read(String name) {
        String type = name.endsWith(".js") ? "text/javascript; charset=utf-8" : name.endsWith(".css") ? "text/css; charset=utf-8" : "text/html; charset=utf-8";
        try (InputStream in = DashboardPage.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the page file " + name + " is not on the classpath");
            }
            return new File(in.readAllBytes(), type);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the page file " + name, e);
        }
    }

    @Override
    public void process(Exchange exchange) {
        Message m = exchange.getMessage();
        String uri = m.getHeader(Exchange.HTTP_URI, String.class);
        String path = uri == null ? "" : uri.indexOf('?') < 0 ? uri : uri.substring(0, uri.indexOf('?'));
        File f = files.get(path);
        if (f == null) {
            throw new HttpProblem(404, "no such file " + path);
        }
        // platform-http echoes message headers as response headers: none of the request's
        m.getHeaders().clear();
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        m.setHeader(Exchange.CONTENT_TYPE, f.type());
        m.setHeader("Content-Security-Policy", CSP);
        m.setHeader("X-Content-Type-Options", "nosniff");
        m.setHeader("Referrer-Policy", "no-referrer");
        m.setHeader("X-Frame-Options", "DENY");
        m.setHeader("Cache-Control", "no-cache");
        m.setBody(Buffer.buffer(f.bytes()));
    }
}
