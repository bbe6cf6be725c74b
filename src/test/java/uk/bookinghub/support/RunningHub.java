package uk.bookinghub.support;

import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

import uk.bookinghub.HubApp;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The real hub (HubApp, the top-level application.properties and routes/) started in this JVM
 * on free ports, with test settings given as override properties. Tests talk HTTP to it.
 */
public final class RunningHub implements AutoCloseable {

    public static final String ADMIN_TOKEN = "test-admin-token";
    public static final String VAPI_SECRET = "test-vapi-secret";
    /** The key of the client tokens (HS256: at least 32 bytes). */
    public static final String JWT_SECRET = "test-jwt-secret-of-at-least-32-bytes-0123456789";

    private final Main main;
    public final int port;
    public final int managementPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private RunningHub(Main main, int port, int managementPort) {
        this.main = main;
        this.port = port;
        this.managementPort = managementPort;
    }

    public static RunningHub start(String databaseUrl, Map<String, String> extra) {
        return start(databaseUrl, extra, Map.of());
    }

    /**
     * With beans bound before the hub configures itself: {@code hubClock} (a {@link MovableClock}) is the one tests use.
     * {@code camel.server.port} in {@code extra} starts it on that port (a restart on the port a browser knows).
     */
    public static RunningHub start(String databaseUrl, Map<String, String> extra, Map<String, Object> beans) {
        int port = freePort();
        int mgmt = freePort();
        Map<String, String> o = new HashMap<>();
        o.put("camel.main.profile", "test");
        o.put("camel.server.port", String.valueOf(port));
        o.put("camel.management.port", String.valueOf(mgmt));
        o.put("camel.server.host", "127.0.0.1");
        o.put("hub.database.url", databaseUrl);
        o.put("hub.admin.token", ADMIN_TOKEN);
        o.put("vapi.webhook.secret", VAPI_SECRET);
        o.put("hub.auth.jwt-secret", JWT_SECRET);
        o.put("hub.retry.initial-delay-ms", "20");
        o.put("hub.retry.max-redeliveries", "2");
        o.put("hub.routes.reload", "false");
        o.putAll(extra);
        Main main = HubApp.create(o);
        beans.forEach(main::bind);
        try {
            main.start();
        } catch (Exception e) {
            throw new IllegalStateException("hub did not start: " + e.getMessage(), e);
        }
        return new RunningHub(main, Integer.parseInt(o.get("camel.server.port")), mgmt);
    }

    /**
     * The settings that point a hub's SMS at a Twilio stand-in and its email at a local SMTP server
     * (no TLS), with {@code publicBaseUrl} as the URL Twilio signs its webhooks for.
     */
    public static Map<String, String> messagingTo(TwilioStub twilio, String authToken, int smtpPort, String publicBaseUrl) {
        Map<String, String> o = new java.util.LinkedHashMap<>();
        o.put("twilio.account-sid", twilio.accountSid());
        o.put("twilio.auth-token", authToken);
        o.put("twilio.base-url", twilio.baseUrl());
        o.put("mail.host", "127.0.0.1");
        o.put("mail.port", String.valueOf(smtpPort));
        o.put("mail.security", "none");
        o.put("mail.from", "bookings@hub.example.test");
        o.put("hub.public-base-url", publicBaseUrl);
        return o;
    }

    /** A client's calling windows open all day, every day (the rules' own edges are CallingRulesTest's): {@code "calling":{...}} members. */
    public static final String CALLING_ALWAYS_OPEN = "\"windows\":{\"mon\":[[\"00:00\",\"23:59:59\"]],\"tue\":[[\"00:00\",\"23:59:59\"]],"
            + "\"wed\":[[\"00:00\",\"23:59:59\"]],\"thu\":[[\"00:00\",\"23:59:59\"]],\"fri\":[[\"00:00\",\"23:59:59\"]],"
            + "\"sat\":[[\"00:00\",\"23:59:59\"]],\"sun\":[[\"00:00\",\"23:59:59\"]]},\"skipBankHolidays\":false";

    /**
     * The settings that point a hub's dialler at a Vapi stand-in (hub-wide assistant {@code asst-default},
     * number {@code pn-default}), a dialled call with no end-of-call report after {@code callTimeoutSeconds}
     * being marked unknown (checked every 500 ms).
     */
    public static Map<String, String> diallingTo(VapiStub vapi, String privateKey, int callTimeoutSeconds) {
        Map<String, String> o = new java.util.LinkedHashMap<>();
        o.put("vapi.private-key", privateKey);
        o.put("vapi.base-url", vapi.baseUrl());
        o.put("vapi.assistant-id", "asst-default");
        o.put("vapi.phone-number-id", "pn-default");
        o.put("hub.dialler.call-timeout-seconds", String.valueOf(callTimeoutSeconds));
        o.put("hub.dialler.reconcile-ms", "500");
        return o;
    }

    public CamelContext camel() {
        return main.getCamelContext();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    public String managementUrl(String path) {
        return "http://127.0.0.1:" + managementPort + path;
    }

    public HttpResponse<String> get(String path, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(path.startsWith("http") ? path : url(path))).GET(), headers);
    }

    public HttpResponse<String> post(String path, String contentType, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b, headers);
    }

    public HttpResponse<String> postBytes(String path, String contentType, byte[] body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b, headers);
    }

    public HttpResponse<String> delete(String path, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).DELETE(), headers);
    }

    public HttpResponse<String> postVapi(String json) {
        return post("/webhooks/vapi", "application/json", json, "X-Vapi-Secret", VAPI_SECRET);
    }

    public HttpResponse<String> send(HttpRequest.Builder b, String... headers) {
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Onboards a client and returns its API key. */
    public String onboard(String json) {
        HttpResponse<String> r = post("/api/clients/onboard", "application/json", json, "Authorization", "Bearer " + ADMIN_TOKEN);
        if (r.statusCode() != 201) {
            throw new IllegalStateException("onboarding failed: " + r.statusCode() + " " + r.body());
        }
        return Jsons.read(r.body()).get("apiKey").asText();
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            main.stop();
        } catch (Exception e) {
            System.err.println("hub stop: " + e.getMessage());
        }
    }
}
