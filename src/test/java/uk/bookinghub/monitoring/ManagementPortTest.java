package uk.bookinghub.monitoring;

import org.apache.camel.ServiceStatus;
import org.jolokia.client.JolokiaClient;
import org.jolokia.client.JolokiaClientBuilder;
import org.jolokia.client.exception.JolokiaRemoteException;
import org.jolokia.client.request.JolokiaExecRequest;
import org.jolokia.client.request.JolokiaListRequest;
import org.jolokia.client.request.JolokiaReadRequest;
import org.jolokia.client.request.HttpMethod;
import org.jolokia.client.request.JolokiaSearchRequest;
import org.jolokia.client.response.JolokiaListResponse;
import org.jolokia.client.response.JolokiaReadResponse;
import org.jolokia.client.response.JolokiaSearchResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The management port is safe to leave on: Jolokia is read-only (read, list, search, version on
 * org.apache.camel and java.lang), no web page can call it (strict origin check, whatever the method
 * or content type), a route's start / stop / reset needs the operator's switch and password, and
 * DiagnosticCommand or the Camel context's sendBody never run. A real Jolokia Java client (what
 * Hawtio's connection speaks) reads route statistics.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ManagementPortTest {

    private static final String PASSWORD = "operator-password-for-tests";
    private static final String DIALLER = "org.apache.camel:context=booking-hub,type=routes,name=\"dialler\"";
    private static final String OPS_DIALLER = "org.apache.camel:context=ops-hub,type=routes,name=\"dialler\"";
    private static final String OPS_CONTEXT = "org.apache.camel:context=ops-hub,type=context,name=\"ops-hub\"";
    private static final String DIAGNOSTIC = "com.sun.management:type=DiagnosticCommand";

    private final HttpClient http = HttpClient.newHttpClient();
    private TestDatabase readOnlyDb;
    private TestDatabase writeDb;
    private RunningHub readOnly;
    private RunningHub writable;

    @BeforeAll
    void start() {
        readOnlyDb = TestDatabase.create(TestDatabase.Kind.SQLITE);
        writeDb = TestDatabase.create(TestDatabase.Kind.SQLITE);
        readOnly = RunningHub.start(readOnlyDb.hubUrl(), Map.of());
        // its own name: both hubs' MBeans are in this JVM's one MBean server, which each hub's Jolokia serves
        writable = RunningHub.start(writeDb.hubUrl(), Map.of("camel.main.name", "ops-hub", "hub.jolokia.write", "true", "hub.jolokia.password", PASSWORD));
    }

    @AfterAll
    void stop() {
        readOnly.close();
        writable.close();
        readOnlyDb.close();
        writeDb.close();
    }

    private HttpResponse<String> post(RunningHub hub, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.managementUrl("/observe/jolokia")))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String exec(String mbean, String operation) {
        return "{\"type\":\"exec\",\"mbean\":\"" + mbean.replace("\"", "\\\"") + "\",\"operation\":\"" + operation + "\"}";
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static JolokiaClient client(RunningHub hub) {
        return new JolokiaClientBuilder().url(hub.managementUrl("/observe/jolokia")).build();
    }

    private static ServiceStatus dialler(RunningHub hub) {
        return hub.camel().getRouteController().getRouteStatus("dialler");
    }

    @Test
    void aJolokiaJavaClientReadsARoutesStatisticsAsHawtioDoes() throws Exception {
        readOnly.get("/health");
        readOnly.get("/health");
        JolokiaReadResponse stats = client(readOnly).execute(new JolokiaReadRequest(
                "org.apache.camel:context=booking-hub,type=routes,name=\"health\"", "ExchangesTotal", "ExchangesFailed", "State"));
        assertThat(((Number) stats.getValue("ExchangesTotal")).longValue()).isGreaterThanOrEqualTo(2);
        assertThat(((Number) stats.getValue("ExchangesFailed")).longValue()).isZero();
        assertThat((String) stats.getValue("State")).isEqualTo("Started");
        JolokiaReadResponse heap = client(readOnly).execute(new JolokiaReadRequest("java.lang:type=Memory", "HeapMemoryUsage"));
        Map<?, ?> used = heap.getValue();
        assertThat(used.keySet().stream().map(String::valueOf)).contains("used");
    }

    @Test
    void aCrossOriginPostFromAWebPageIsRefusedAndTheRouteKeepsRunning() throws Exception {
        for (RunningHub hub : new RunningHub[] {readOnly, writable}) {
            String dialler = hub == readOnly ? DIALLER : OPS_DIALLER;
            // a "simple" request a browser sends from any page without a preflight, with the operator's password cached or not
            HttpResponse<String> r = post(hub, exec(dialler, "stop()"), "Origin", "http://evil.example", "Content-Type", "text/plain",
                    "Authorization", basic(ManagementJolokia.OPERATOR, PASSWORD));
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.body()).contains("Origin http://evil.example is not allowed");
            assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
            HttpResponse<String> viaReferer = post(hub, exec(dialler, "stop()"), "Referer", "http://evil.example/page", "Content-Type", "text/plain",
                    "Authorization", basic(ManagementJolokia.OPERATOR, PASSWORD));
            assertThat(viaReferer.statusCode()).isEqualTo(403);
            assertThat(dialler(hub)).isEqualTo(ServiceStatus.Started);
        }
    }

    @Test
    void execIsRefusedByDefaultEvenWithThePassword() throws Exception {
        HttpResponse<String> r = post(readOnly, exec(DIALLER, "stop()"), "Authorization", basic(ManagementJolokia.OPERATOR, PASSWORD));
        assertThat(r.body()).contains("\"status\":403").contains("Operation stop() forbidden");
        assertThat(dialler(readOnly)).isEqualTo(ServiceStatus.Started);
        assertThatThrownBy(() -> client(readOnly).execute(new JolokiaExecRequest(DIALLER, "reset()")))
                .isInstanceOf(JolokiaRemoteException.class).hasMessageContaining("forbidden");
        HttpResponse<String> write = post(readOnly, "{\"type\":\"write\",\"mbean\":\"" + DIALLER.replace("\"", "\\\"")
                + "\",\"attribute\":\"Tracing\",\"value\":true}");
        assertThat(write.body()).contains("\"status\":403");
    }

    @Test
    void withTheSwitchAnOperatorWithThePasswordStopsAndStartsARouteAndNobodyElseDoes() throws Exception {
        HttpResponse<String> noPassword = post(writable, exec(OPS_DIALLER, "stop()"));
        assertThat(noPassword.body()).contains("\"status\":403");
        HttpResponse<String> wrong = post(writable, exec(OPS_DIALLER, "stop()"), "Authorization", basic(ManagementJolokia.OPERATOR, "not-the-password"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
        assertThat(dialler(writable)).isEqualTo(ServiceStatus.Started);

        JolokiaClient operator = new JolokiaClientBuilder().url(writable.managementUrl("/observe/jolokia"))
                .user(ManagementJolokia.OPERATOR).password(PASSWORD).build();
        operator.execute(new JolokiaExecRequest(OPS_DIALLER, "stop()"), HttpMethod.POST);
        assertThat(dialler(writable)).isEqualTo(ServiceStatus.Stopped);
        operator.execute(new JolokiaExecRequest(OPS_DIALLER, "start()"), HttpMethod.POST);
        assertThat(dialler(writable)).isEqualTo(ServiceStatus.Started);
        operator.execute(new JolokiaExecRequest(OPS_DIALLER, "reset()"), HttpMethod.POST);
        // never over GET (a link or an image on a web page sends neither Origin nor Referer, but a cached password)
        assertThatThrownBy(() -> operator.execute(new JolokiaExecRequest(OPS_DIALLER, "stop()"), HttpMethod.GET))
                .isInstanceOf(JolokiaRemoteException.class).hasMessageContaining("forbidden");
        assertThat(dialler(writable)).isEqualTo(ServiceStatus.Started);

        // the switch covers route start / stop / reset only
        assertThatThrownBy(() -> operator.execute(new JolokiaExecRequest(OPS_CONTEXT, "sendBody(java.lang.String,java.lang.String)", "direct:dial", "x"), HttpMethod.POST))
                .isInstanceOf(JolokiaRemoteException.class).hasMessageContaining("forbidden");
        assertThatThrownBy(() -> operator.execute(new JolokiaExecRequest(OPS_CONTEXT, "createEndpoint(java.lang.String)", "log:x"), HttpMethod.POST))
                .isInstanceOf(JolokiaRemoteException.class).hasMessageContaining("forbidden");
        assertThatThrownBy(() -> operator.execute(new JolokiaExecRequest("java.lang:type=Memory", "gc()"), HttpMethod.POST))
                .isInstanceOf(JolokiaRemoteException.class).hasMessageContaining("forbidden");
    }

    @Test
    void diagnosticCommandIsNeverReachable() throws Exception {
        JolokiaClient operator = new JolokiaClientBuilder().url(writable.managementUrl("/observe/jolokia"))
                .user(ManagementJolokia.OPERATOR).password(PASSWORD).build();
        for (JolokiaClient c : new JolokiaClient[] {client(readOnly), operator}) {
            assertThatThrownBy(() -> c.execute(new JolokiaExecRequest(DIAGNOSTIC, "vmVersion()"), HttpMethod.POST))
                    .isInstanceOf(JolokiaRemoteException.class).hasMessageContaining("forbidden");
            assertThatThrownBy(() -> c.execute(new JolokiaReadRequest(DIAGNOSTIC, "ImplementationVersion")))
                    .isInstanceOf(JolokiaRemoteException.class);
            JolokiaSearchResponse found = c.execute(new JolokiaSearchRequest("com.sun.management:*"));
            assertThat(found.getObjectNames()).isEmpty();
            JolokiaListResponse list = c.execute(new JolokiaListRequest((String) null));
            Map<?, ?> domains = list.getValue();
            assertThat(domains.keySet().stream().map(String::valueOf)).containsExactlyInAnyOrder("org.apache.camel", "java.lang");
        }
    }

    @Test
    void theSwitchWithoutAPasswordStopsTheStart() {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.SQLITE)) {
            assertThatThrownBy(() -> RunningHub.start(db.hubUrl(), Map.of("hub.jolokia.write", "true")).close())
                    .hasMessageContaining("HUB_JOLOKIA_WRITE=true needs HUB_JOLOKIA_PASSWORD");
        }
    }
}
