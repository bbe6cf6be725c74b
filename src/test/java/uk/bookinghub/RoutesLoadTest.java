package uk.bookinghub;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.Scrape;
import uk.bookinghub.support.TestDatabase;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every file in {@code routes/} starts with the route ids it should have, each route has a
 * description, and every route is visible to operations: a JMX MBean named by its id, Prometheus
 * metrics, Jolokia on the loopback-only management port.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoutesLoadTest {

    static final Map<String, Set<String>> EXPECTED = Map.ofEntries(
            Map.entry("vapi-webhooks.camel.yaml", Set.of("vapi-webhooks")),
            Map.entry("analytics.camel.yaml", Set.of("analytics-record", "analytics-reconcile", "analytics-reconcile-run", "analytics-reconcile-now",
                    "analytics-metrics", "analytics-trend", "analytics-outcomes", "analytics-campaigns", "analytics-weekly-report", "analytics-rebuild",
                    "analytics-export", "analytics-weekly-reports", "analytics-weekly-reports-run", "analytics-weekly-reports-run-now")),
            Map.entry("clients.camel.yaml", Set.of("clients-onboard", "clients-me", "clients-update", "clients-activate", "clients-suspend",
                    "clients-list")),
            Map.entry("signup.camel.yaml", Set.of("signup", "signup-verify")),
            Map.entry("assistants.camel.yaml", Set.of("assistant-get", "assistant-create", "assistant-sync", "vapi-assistants")),
            Map.entry("onboarding.camel.yaml", Set.of("onboarding-page", "onboarding-script", "onboarding-style",
                    "onboarding-status", "onboarding-business-get", "onboarding-business", "onboarding-slots-preview", "onboarding-calendar-check",
                    "onboarding-numbers-check", "onboarding-vapi-phone-number", "onboarding-twilio-number", "templates-preview", "onboarding-test-call",
                    "onboarding-test-call-place", "onboarding-sweep")),
            Map.entry("auth.camel.yaml", Set.of("auth-token", "api-keys-list", "api-keys-create", "api-keys-revoke")),
            Map.entry("monitoring.camel.yaml", Set.of("health", "monitor-tenant-resolution", "monitor-vapi-messages", "error-stats", "error-stats-group",
                    "db-stats", "db-health", "dead-letter-store")),
            Map.entry("alerts.camel.yaml", Set.of("alerts-list", "alerts-test")),
            Map.entry("audit.camel.yaml", Set.of("audit-log-list", "audit-log-verify")),
            Map.entry("lead-intake.camel.yaml", Set.of("lead-intake", "lead-intake-job", "lead-intake-single", "lead-intake-list", "lead-intake-get")),
            Map.entry("opt-outs.camel.yaml", Set.of("opt-outs", "opt-outs-list", "opt-outs-remove")),
            Map.entry("messaging.camel.yaml", Set.of("outbox-sender", "message-send", "message-dead", "messages-list", "messages-get", "messages-queue",
                    "templates-list", "templates-save", "templates-reset", "dead-letters-list", "dead-letters-replay", "twilio-status", "twilio-inbound", "twilio-message-lookup",
                    "inbound-messages-list")),
            Map.entry("booking.camel.yaml", Set.of("vapi-tools", "appointments-list", "appointments-get", "appointments-patch",
                    "appointments-attendance", "appointments-attendance-run", "client-settings-get", "client-settings-put")),
            Map.entry("calendar.camel.yaml", Set.of("calendar-sync", "calendar-sync-one", "google-freebusy")),
            Map.entry("reminders.camel.yaml", Set.of("reminders", "reminders-run", "reminders-run-now", "follow-ups",
                    "follow-ups-run", "follow-ups-run-now", "follow-up-sequences-get", "follow-up-sequences-put")),
            Map.entry("dialler.camel.yaml", Set.of("dialler", "dial", "dial-dead", "vapi-list-calls", "dialler-reconcile", "dial-attempts-list",
                    "dialler-status", "dialler-resume")),
            Map.entry("quality.camel.yaml", Set.of("quality", "quality-run", "quality-run-now", "quality-admin-list", "quality-client-list")),
            Map.entry("events.camel.yaml", Set.of("events-stream", "events-ticket", "events-purge")),
            Map.entry("dashboard.camel.yaml", Set.of("dashboard-page", "dashboard-script", "dashboard-style", "dashboard-session-script")),
            Map.entry("privacy.camel.yaml", Set.of("privacy-export", "privacy-access", "privacy-erasure", "leads-expire", "leads-expire-run",
                    "leads-expire-run-now", "retention", "retention-run", "retention-run-now")),
            Map.entry("backups.camel.yaml", Set.of("backups-list", "backups-create-now", "backups-verify", "backups-nightly", "backups-age")),
            Map.entry("error-handling.camel.yaml", Set.of()),
            Map.entry("front-door.camel.yaml", Set.of("api-description", "front-door-rate-limit-sweep")));

    static final long BODY_IDLE_MS = 1000;

    private TestDatabase db;
    private RunningHub hub;

    @BeforeAll
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.SQLITE);
        // a short body idle timeout, so that the stalled-body test waits about a second
        hub = RunningHub.start(db.hubUrl(), Map.of("hub.http.body-idle-timeout-ms", String.valueOf(BODY_IDLE_MS)));
    }

    @AfterAll
    void stop() {
        hub.close();
        db.close();
    }

    @Test
    void everyRouteFileStartsWithItsIdsAndDescriptions() throws Exception {
        Set<String> files;
        try (var list = Files.list(Path.of("routes"))) {
            files = list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".camel.yaml")).collect(Collectors.toSet());
        }
        assertThat(files).containsExactlyInAnyOrderElementsOf(EXPECTED.keySet());
        Map<String, Set<String>> actual = new TreeMap<>();
        for (Route r : hub.camel().getRoutes()) {
            String file = Path.of(r.getSourceResource().getLocation().replaceFirst("^file:", "")).getFileName().toString();
            actual.computeIfAbsent(file, k -> new HashSet<>()).add(r.getRouteId());
            assertThat(r.getDescription()).as("description of " + r.getRouteId()).isNotBlank();
            assertThat(hub.camel().getRouteController().getRouteStatus(r.getRouteId()).isStarted()).as(r.getRouteId()).isTrue();
        }
        EXPECTED.forEach((file, ids) -> assertThat(actual.getOrDefault(file, Set.of())).as(file).isEqualTo(ids));
    }

    /** Issue 19: an event notifier that takes exchange events costs every exchange and step of every route. */
    @Test
    void noEventNotifierTakesExchangeEventsSoCamelOffersNone() {
        for (var notifier : hub.camel().getManagementStrategy().getEventNotifiers()) {
            assertThat(notifier.isIgnoreExchangeEvents()).as(notifier.getClass().getName() + " ignores exchange events").isTrue();
        }
        assertThat(hub.camel().getCamelContextExtension().isEventNotificationApplicable()).as("exchange events offered").isFalse();
        // Camel's HTTP servers add an endpoint-summary notifier each time routes start after the context (once per route
        // file at start): one per server is kept, so the list Camel walks at every asynchronous step stays short
        Map<String, Long> byClass = hub.camel().getManagementStrategy().getStartedEventNotifiers().stream()
                .collect(Collectors.groupingBy(n -> n.getClass().getName(), Collectors.counting()));
        assertThat(byClass.getOrDefault("org.apache.camel.component.platform.http.main.MainHttpServerUtil$1$1", 0L))
                .as("endpoint-summary notifiers (one per HTTP server)").isBetween(1L, 2L);
        assertThat(hub.camel().getManagementStrategy().getStartedEventNotifiers()).as(byClass.toString()).hasSizeLessThan(15);
    }

    /** The HTTP router tries its routes in the order they started: the partners' webhooks come before every API path. */
    @Test
    void thePartnersWebhooksAreTheRoutersFirstPaths() {
        List<String> paths = uk.bookinghub.HubApp.appRouter(hub.camel()).getRoutes().stream()
                .map(io.vertx.ext.web.Route::getPath).filter(java.util.Objects::nonNull).toList();
        int lastWebhook = -1;
        int firstOther = Integer.MAX_VALUE;
        for (int i = 0; i < paths.size(); i++) {
            if (paths.get(i).startsWith("/webhooks/")) {
                lastWebhook = i;
            } else if (!paths.get(i).equals("/api/events")) { // the event stream's own handler, placed before Camel's by its order
                firstOther = Math.min(firstOther, i);
            }
        }
        assertThat(paths).as("router paths").contains("/webhooks/vapi", "/webhooks/twilio/status", "/webhooks/twilio/sms");
        assertThat(lastWebhook).as(paths.toString()).isLessThan(firstOther);
    }

    @Test
    void everyRouteHasAJmxMBeanNamedByItsId() throws Exception {
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        Set<String> names = mbeans.queryNames(new ObjectName("org.apache.camel:context=booking-hub,type=routes,*"), null)
                .stream().map(n -> n.getKeyProperty("name").replace("\"", "")).collect(Collectors.toSet());
        Set<String> ids = hub.camel().getRoutes().stream().map(Route::getRouteId).collect(Collectors.toSet());
        assertThat(names).containsAll(ids);
    }

    /** The uploads (POST text/csv declarations) and only they read their body as a stream (ApiCatalog.streamsUploads). */
    @Test
    void exactlyTheUploadEndpointsStreamTheirBodies() {
        var catalog = hub.camel().getRegistry().lookupByNameAndType("apiCatalog", uk.bookinghub.api.ApiCatalog.class);
        Set<String> uploads = catalog.endpoints().stream().filter(uk.bookinghub.api.ApiEndpoint::streamed)
                .map(uk.bookinghub.api.ApiEndpoint::path).collect(Collectors.toSet());
        assertThat(uploads).contains("/api/import-leads");
        var http = hub.camel().getEndpoints().stream()
                .filter(e -> e instanceof org.apache.camel.component.platform.http.PlatformHttpEndpoint)
                .map(e -> (org.apache.camel.component.platform.http.PlatformHttpEndpoint) e).toList();
        assertThat(http).hasSizeGreaterThan(20);
        Set<String> streaming = http.stream().filter(org.apache.camel.component.platform.http.PlatformHttpEndpoint::isUseStreaming)
                .map(org.apache.camel.component.platform.http.PlatformHttpEndpoint::getPath).collect(Collectors.toSet());
        assertThat(streaming).isEqualTo(uploads);
    }

    /**
     * The hub's MBean assembler ({@code ManagedBeanInfos}, which describes each managed class once) gives every route,
     * consumer and endpoint MBean exactly the description Camel's own assembler gives the same object, and each MBean
     * its own copy of it (no attribute or operation info shared between two MBeans).
     */
    @Test
    void everyMBeanIsDescribedAsCamelWouldEachWithItsOwnCopy() throws Exception {
        var camel = hub.camel();
        assertThat(camel.getCamelContextExtension().getManagementMBeanAssembler())
                .isInstanceOf(uk.bookinghub.monitoring.ManagedBeanInfos.class);
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        var objects = camel.getManagementStrategy().getManagementObjectStrategy();
        var names = camel.getManagementStrategy().getManagementObjectNameStrategy();
        var camels = new org.apache.camel.support.management.DefaultManagementMBeanAssembler(camel);
        camels.start();
        Map<ObjectName, Object> managed = new java.util.LinkedHashMap<>();
        for (Route route : camel.getRoutes()) {
            managed.put(names.getObjectNameForRoute(route), objects.getManagedObjectForRoute(camel, route));
            managed.put(names.getObjectNameForConsumer(camel, route.getConsumer()), objects.getManagedObjectForConsumer(camel, route.getConsumer()));
        }
        for (var endpoint : camel.getEndpoints()) {
            managed.put(names.getObjectNameForEndpoint(endpoint), objects.getManagedObjectForEndpoint(camel, endpoint));
        }
        int compared = 0;
        for (var e : managed.entrySet()) {
            if (!mbeans.isRegistered(e.getKey())) {
                continue; // an endpoint Camel does not register (RoutesOnly keeps a few out)
            }
            var expected = camels.assemble(mbeans, e.getValue(), e.getKey()).getMBeanInfo();
            assertThat(mbeans.getMBeanInfo(e.getKey())).as(e.getKey().toString()).isEqualTo(expected);
            compared++;
        }
        assertThat(compared).as("MBeans compared").isGreaterThan(2 * camel.getRoutes().size());

        var ours = (uk.bookinghub.monitoring.ManagedBeanInfos) camel.getCamelContextExtension().getManagementMBeanAssembler();
        List<Route> routes = camel.getRoutes();
        var first = ours.assemble(mbeans, objects.getManagedObjectForRoute(camel, routes.get(0)), names.getObjectNameForRoute(routes.get(0)));
        var second = ours.assemble(mbeans, objects.getManagedObjectForRoute(camel, routes.get(1)), names.getObjectNameForRoute(routes.get(1)));
        var a = first.getMBeanInfo();
        var b = second.getMBeanInfo();
        assertThat(a).isEqualTo(b);
        assertThat(a.getAttributes()).isNotEmpty();
        for (int i = 0; i < a.getAttributes().length; i++) {
            assertThat(a.getAttributes()[i]).isNotSameAs(b.getAttributes()[i]);
        }
        for (int i = 0; i < a.getOperations().length; i++) {
            assertThat(a.getOperations()[i]).isNotSameAs(b.getOperations()[i]);
        }
        camels.stop();
    }

    @Test
    void healthMetricsAndJolokiaAnswerOnTheManagementPort() {
        HttpResponse<String> health = hub.get(hub.managementUrl("/observe/health"));
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(Jsons.read(health.body()).get("status").asText()).isEqualTo("UP");

        hub.postVapi("{\"message\":{\"type\":\"hang\",\"call\":{\"id\":\"c-metrics\"}}}");
        Scrape metrics = Scrape.of(hub);
        assertThat(metrics.value("camel_exchanges_total", "route_id", "vapi-webhooks")).isPositive();
        assertThat(metrics.text).doesNotContain("routeId=").doesNotContain("camelContext=");
        assertThat(metrics.problems()).as("what promtool check metrics would say about the whole scrape").isEmpty();

        String read = "{\"type\":\"read\",\"mbean\":\"org.apache.camel:context=booking-hub,type=routes,name=\\\"vapi-webhooks\\\"\",\"attribute\":\"ExchangesTotal\"}";
        HttpResponse<String> jolokia = hub.send(HttpRequest.newBuilder(URI.create(hub.managementUrl("/observe/jolokia")))
                .POST(HttpRequest.BodyPublishers.ofString(read)).header("Content-Type", "application/json"));
        JsonNode j = Jsons.read(jolokia.body());
        assertThat(j.get("status").asInt()).as(jolokia.body()).isEqualTo(200);
        assertThat(j.get("value").asLong()).isPositive();

        assertThat(hub.get("/observe/health").statusCode()).as("not on the public port").isEqualTo(404);
    }

    /**
     * A webhook whose route an operator stopped (JMX, as Jolokia or Hawtio would) answers 503 with
     * Retry-After and a JSON error (Vapi and Twilio retry a 503; a 404 they give up as gone), and
     * /observe/health is DOWN naming the route; started again, it serves and health is UP.
     */
    @Test
    void aStoppedRouteAnswersLikeABusyOneAndHealthNamesIt() throws Exception {
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        ObjectName route = new ObjectName("org.apache.camel:context=booking-hub,type=routes,name=\"vapi-webhooks\"");
        String hang = "{\"message\":{\"type\":\"hang\",\"call\":{\"id\":\"c-stopped\"}}}";
        mbeans.invoke(route, "stop", null, null);
        try {
            HttpResponse<String> r = hub.postVapi(hang);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(Jsons.read(r.body()).get("error").asText()).contains("POST /webhooks/vapi").contains("vapi-webhooks");
            assertThat(hub.get("/webhooks/no-such").statusCode()).as("an unknown path stays a 404").isEqualTo(404);

            HttpResponse<String> health = hub.get(hub.managementUrl("/observe/health"));
            assertThat(health.statusCode()).isEqualTo(503);
            JsonNode h = Jsons.read(health.body());
            assertThat(h.get("status").asText()).isEqualTo("DOWN");
            JsonNode check = null;
            for (JsonNode c : h.get("checks")) {
                if (c.get("name").asText().equals("http-routes")) {
                    check = c;
                }
            }
            assertThat(check).as(health.body()).isNotNull();
            assertThat(check.get("status").asText()).isEqualTo("DOWN");
            assertThat(check.toString()).contains("vapi-webhooks");
        } finally {
            mbeans.invoke(route, "start", null, null);
        }
        assertThat(hub.postVapi(hang).statusCode()).isEqualTo(200);
        HttpResponse<String> health = hub.get(hub.managementUrl("/observe/health"));
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(Jsons.read(health.body()).get("status").asText()).isEqualTo("UP");
    }

    /** A client that asks first ({@code Expect: 100-continue}, as curl does for large uploads) is told to go on at once. */
    @Test
    void expectContinueIsAnsweredAtOnceUnlessTheBodyIsTooLarge() throws Exception {
        URI u = URI.create(hub.url("/api/import-leads"));
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(3000);
            var out = s.getOutputStream();
            out.write(("POST /api/import-leads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: 11\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
            long t0 = System.nanoTime();
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 100 Continue");
            assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until the go-ahead").isLessThan(900);
            in.readLine(); // the blank line after the interim response
            out.write("phone\n07700\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, 11);
            out.flush();
            assertThat(in.readLine()).as("then the real answer: no API key").isEqualTo("HTTP/1.1 401 Unauthorized");
        }
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(3000);
            var out = s.getOutputStream();
            out.write(("POST /api/import-leads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: 999999999999\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
            String first;
            try {
                first = in.readLine();
            } catch (java.net.SocketTimeoutException e) {
                first = "no answer";
            }
            assertThat(first).as("an oversized body is not invited: refused at once").startsWith("HTTP/1.1 413");
        }
        // a JSON endpoint's own limit (hub.http.max-json-bytes) is known from its declaration: refused straight
        // after the headers, without waiting for a body that may never come
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(3000);
            var out = s.getOutputStream();
            out.write(("POST /api/leads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 150000\r\n\r\n{")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
            long t0 = System.nanoTime();
            assertThat(in.readLine()).startsWith("HTTP/1.1 413");
            assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until the 413").isLessThan(1000);
        }
    }

    /** Vert.x refuses a request line over its limit before any route; the answer is a JSON error a person understands, not an empty 414. */
    @Test
    void aUrlOverTheRequestLineLimitIsAJson414() {
        HttpResponse<String> r = hub.get("/api/leads?status=" + "a".repeat(5000));
        assertThat(r.statusCode()).isEqualTo(414);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(Jsons.read(r.body()).get("error").asText()).startsWith("request line too long").contains("4096 bytes");
        assertThat(hub.get("/api/leads?status=" + "a".repeat(3000)).statusCode()).as("under the limit: the front door answers").isEqualTo(401);
    }

    /**
     * A request that declares a body and then stops sending it is answered 408 with a JSON error once
     * nothing came for hub.http.body-idle-timeout-ms (checked every that often: at most twice that
     * after the last byte), and its connection is closed; it no longer waits for the client to give up.
     */
    @Test
    void aBodyThatStopsArrivingIsAnsweredWithAJson408WithinTheBound() throws Exception {
        stalledBodyIsAJson408("POST /api/leads", "application/json", "", "{\"name\":\"");
        // the streamed lead upload too, past the front door (its route reads the body itself)
        String key = hub.onboard("{\"businessName\":\"Stall Ltd\",\"email\":\"s@stall.example\",\"phone\":\"0113 496 0009\"}");
        stalledBodyIsAJson408("POST /api/import-leads", "text/csv", "X-API-Key: " + key + "\r\n", "name,phone\n");
    }

    private void stalledBodyIsAJson408(String requestLine, String contentType, String headers, String part) throws Exception {
        URI u = URI.create(hub.url("/"));
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(10_000);
            var out = s.getOutputStream();
            out.write((requestLine + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + contentType + "\r\n" + headers + "Content-Length: 100\r\n\r\n" + part)
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            long t0 = System.nanoTime();
            var in = new java.io.DataInputStream(s.getInputStream());
            String status = line(in);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(status).as(requestLine).startsWith("HTTP/1.1 408");
            assertThat(ms).as("ms until the 408: not before the idle time, within twice it (plus slack for a loaded machine)")
                    .isBetween(BODY_IDLE_MS - 100, 2 * BODY_IDLE_MS + 2000);
            int length = -1;
            String type = null;
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                String lower = h.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Integer.parseInt(h.substring(15).trim());
                } else if (lower.startsWith("content-type:")) {
                    type = h.substring(13).trim();
                }
            }
            assertThat(type).isEqualTo("application/json");
            byte[] body = in.readNBytes(length);
            assertThat(Jsons.read(new String(body, java.nio.charset.StandardCharsets.UTF_8)).get("error").asText())
                    .startsWith("the request body stopped arriving: ").contains("then nothing for " + BODY_IDLE_MS + " ms");
            assertThat(in.read()).as("the connection is closed").isEqualTo(-1);
        }
    }

    /** A slow body that keeps arriving is not cut off: only a body with no progress for the idle time is. */
    @Test
    void aSlowBodyThatKeepsArrivingIsNotCutOff() throws Exception {
        URI u = URI.create(hub.url("/api/leads"));
        String json = "{\"name\":\"Slow\",\"phone\":\"07700900123\"}";
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(10_000);
            var out = s.getOutputStream();
            out.write(("POST /api/leads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + json.length() + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            long end = System.nanoTime() + 3 * BODY_IDLE_MS * 1_000_000;
            int sent = 0;
            while (sent < json.length() - 1) {
                out.write(json.charAt(sent++));
                out.flush();
                if (System.nanoTime() < end) {
                    Thread.sleep(BODY_IDLE_MS / 3); // the client's pace, not a wait for the hub
                }
            }
            out.write(json.charAt(sent));
            out.flush();
            assertThat(line(new java.io.DataInputStream(s.getInputStream()))).as("the whole body came: the front door answers (no API key)")
                    .isEqualTo("HTTP/1.1 401 Unauthorized");
        }
    }

    private static String line(java.io.DataInputStream in) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    @Test
    void managementPortIsNotReachableFromOtherAddresses() throws Exception {
        Optional<InetAddress> external = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).findFirst();
        List<InetAddress> targets = external.map(List::of).orElse(List.of());
        for (InetAddress a : targets) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(a, hub.managementPort), 1000);
                throw new AssertionError("management port reachable on " + a);
            } catch (java.io.IOException expected) {
                // refused: bound to loopback only
            }
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), hub.managementPort), 1000);
        }
    }
}
