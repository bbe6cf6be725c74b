package uk.bookinghub.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The front door as an attacker meets it, on every endpoint of the published description: client B
 * walks every operation against client A's objects and learns and changes nothing of A's; a corpus
 * of malformed requests (wrong content types, NUL in JSON strings, bad numbers, booleans, dates and
 * phone numbers, repeated and unknown parameters, credentials in the URL, odd path ids) gets a 4xx
 * everywhere, never a 5xx, and writes no row.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ApiDoorTest {

    private TestDatabase db;
    private RunningHub hub;
    private String keyA;
    private String keyB;
    private JsonNode api;
    /** A's objects, by the path parameter that names them. */
    private final Map<String, String> objectsOfA = new LinkedHashMap<>();
    private static final String A_LEAD_PHONE = "+447700900901";
    private static final String A_OPTED_OUT = "+447700900903";

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() throws Exception {
        db = TestDatabase.create(kind());
        hub = RunningHub.start(db.hubUrl(), Map.of("hub.backups.dir", java.nio.file.Files.createTempDirectory("door-backups-").toString()));
        keyA = hub.onboard("{\"businessName\":\"Door Alpha\",\"email\":\"alpha@door.example\",\"phone\":\"0113 496 0100\",\"bookingLink\":\"https://alpha.example/book\"}");
        keyB = hub.onboard("{\"businessName\":\"Door Beta\",\"email\":\"beta@door.example\",\"phone\":\"0113 496 0101\"}");
        api = Jsons.read(hub.get("/api/openapi.json").body());

        ok(send("PUT", "/api/clients/door-alpha/settings", "{\"businessHours\":{\"mon\":[[\"09:00\",\"17:00\"]],\"tue\":[[\"09:00\",\"17:00\"]],"
                + "\"wed\":[[\"09:00\",\"17:00\"]],\"thu\":[[\"09:00\",\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]],\"sat\":[],\"sun\":[]},\"slotMinutes\":30}", keyA));
        JsonNode lead = Jsons.read(ok(hub.post("/api/leads", "application/json",
                "{\"name\":\"Alice Secretname\",\"phone\":\"" + A_LEAD_PHONE + "\",\"email\":\"alice@alpha.example\"}", "X-API-Key", keyA)).body());
        objectsOfA.put("id:/api/leads", lead.get("lead").get("id").asText());
        JsonNode msg = Jsons.read(ok(hub.post("/api/messages", "application/json", "{\"kind\":\"follow_up\",\"channels\":[\"sms\"],\"phone\":\"+447700900902\","
                + "\"customerName\":\"Alice\",\"idempotencyKey\":\"door-1\"}", "X-API-Key", keyA)).body());
        objectsOfA.put("id:/api/messages", msg.get("messages").get(0).get("id").asText());
        ok(hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + A_OPTED_OUT + "\"}", "X-API-Key", keyA));
        objectsOfA.put("phone", A_OPTED_OUT);
        ok(send("PUT", "/api/templates/follow_up/sms", "{\"body\":\"Alpha secret wording for {{customerName}}\"}", keyA));
        objectsOfA.put("kind", "follow_up");
        objectsOfA.put("channel", "sms");
        ok(hub.post("/api/import-leads", "text/csv", "name,phone\nAl Import,+447700900904\n", "X-API-Key", keyA));
        objectsOfA.put("jobId", scalar("select id from lead_imports"));
        LocalDate day = LocalDate.now(ZoneId.of("Europe/London")).plusDays(7).with(TemporalAdjusters.next(DayOfWeek.TUESDAY));
        String args = "{\"start\":\"" + day + "T10:00\",\"name\":\"Alice Secretname\",\"phone\":\"" + A_LEAD_PHONE + "\"}";
        HttpResponse<String> booked = hub.postVapi("{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"door-call\",\"assistantOverrides\":{\"variableValues\":"
                + "{\"clientKey\":\"door-alpha\"}}},\"toolCallList\":[{\"id\":\"door-tc\",\"type\":\"function\",\"function\":{\"name\":\"bookAppointment\",\"arguments\":"
                + Jsons.quote(args) + "}}]}}");
        assertThat(booked.body()).contains("Booked");
        objectsOfA.put("id:/api/appointments", scalar("select id from appointments"));
        objectsOfA.put("clientKey", "door-alpha");
        objectsOfA.put("prefix", keyA.substring(0, 10)); // A's API key, as its listing names it
        objectsOfA.put("id:/api/dead-letters", "1");
        objectsOfA.put("fingerprint", "0123456789abcdef"); // an error group (admin only: nobody's object)
        objectsOfA.put("id:/api/admin/backups", "hub-20990101-000000-sqlite"); // a backup (admin only: nobody's object)
    }

    @AfterAll
    void stop() {
        hub.close();
        db.close();
    }

    private HttpResponse<String> ok(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
        return r;
    }

    private String scalar(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getString(1);
        }
    }

    /**
     * The row counts once the setup's own off-path writes (analytics events of its bookings and messages,
     * written by wire taps after the answers) have landed: two counts a second apart that agree.
     */
    private Map<String, Long> settledRowCounts() throws Exception {
        Map<String, Long> last = rowCounts();
        for (int i = 0; i < 30; i++) {
            Thread.sleep(1000);
            Map<String, Long> now = rowCounts();
            if (now.equals(last)) {
                return now;
            }
            last = now;
        }
        throw new AssertionError("the setup's writes did not settle in 30 s: " + last);
    }

    /** Rows in every table the hub writes (Flyway's and Quartz's own tables and the rate limiter's buckets left out; of the audit log, the actions that succeeded). */
    private Map<String, Long> rowCounts() throws Exception {
        Map<String, Long> counts = new TreeMap<>();
        try (Connection c = db.connect()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = c.getMetaData().getTables(null, kind() == TestDatabase.Kind.POSTGRESQL ? "public" : null, "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    String t = rs.getString("TABLE_NAME");
                    // (rate_limit_buckets: the rate limiter's state on PostgreSQL, which every request may change)
                    if (!t.startsWith("flyway") && !t.startsWith("qrtz") && !t.startsWith("sqlite") && !t.equals("rate_limit_buckets")) {
                        tables.add(t);
                    }
                }
            }
            for (String t : tables) {
                // the audit log writes a row for every refused state-changing request, by design (README "Audit log"):
                // what must not change is the count of actions that were done
                String sql = t.equals("audit_log") ? "select count(*) from audit_log where status < 400" : "select count(*) from " + t;
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                    rs.next();
                    counts.put(t, rs.getLong(1));
                }
            }
        }
        return counts;
    }

    private HttpResponse<String> send(String method, String pathAndQuery, String json, String apiKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url(pathAndQuery)))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return apiKey == null ? hub.send(b) : hub.send(b, "X-API-Key", apiKey);
    }

    private HttpResponse<String> raw(String method, String pathAndQuery, String contentType, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url(pathAndQuery)))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return hub.send(b, headers);
    }

    private record Op(String method, String path, JsonNode op) {
        List<String> security() {
            List<String> s = new ArrayList<>();
            op.get("security").forEach(r -> s.add(r.fieldNames().next()));
            return s;
        }

        List<JsonNode> params(String in) {
            List<JsonNode> out = new ArrayList<>();
            if (op.has("parameters")) {
                op.get("parameters").forEach(p -> {
                    if (p.get("in").asText().equals(in)) {
                        out.add(p);
                    }
                });
            }
            return out;
        }

        boolean takesJson() {
            return op.has("requestBody") && op.get("requestBody").get("content").has("application/json");
        }

        boolean partner() {
            return security().contains("vapiSecret") || security().contains("twilioSignature");
        }
    }

    private List<Op> operations() {
        List<Op> ops = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = api.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> p = paths.next();
            p.getValue().fields().forEachRemaining(m -> ops.add(new Op(m.getKey().toUpperCase(), p.getKey(), m.getValue())));
        }
        assertThat(ops).hasSizeGreaterThan(30);
        return ops;
    }

    /** The path with each parameter replaced by A's object of that name (the test fails for a parameter it does not know). */
    private String pathToObjectsOfA(String path) {
        StringBuilder out = new StringBuilder();
        for (String segment : path.split("/")) {
            if (segment.isEmpty()) {
                continue;
            }
            out.append('/');
            if (segment.startsWith("{")) {
                String name = segment.substring(1, segment.length() - 1);
                String value = objectsOfA.get(name);
                if (value == null) {
                    value = objectsOfA.entrySet().stream().filter(e -> e.getKey().startsWith(name + ":") && path.startsWith(e.getKey().substring(name.length() + 1)))
                            .map(Map.Entry::getValue).findFirst().orElse(null);
                }
                assertThat(value).as("an object of client A for {" + name + "} in " + path + " (add it to the test)").isNotNull();
                out.append(URLEncoder.encode(value, StandardCharsets.UTF_8));
            } else {
                out.append(segment);
            }
        }
        return out.toString();
    }

    @Test
    void clientBWalksEveryOperationAgainstClientAsObjectsAndLearnsAndChangesNothing() throws Exception {
        String templateBefore = hub.get("/api/templates", "X-API-Key", keyA).body();
        for (Op op : operations()) {
            String path = pathToObjectsOfA(op.path());
            String body = op.takesJson() ? "{}" : null;
            HttpResponse<String> r = send(op.method(), path, body, keyB);
            String what = "client B: " + op.method() + " " + path + " -> " + r.statusCode() + " " + r.body();
            assertThat(r.statusCode()).as(what).isLessThan(500);
            assertThat(r.body()).as(what).doesNotContain("Secretname").doesNotContain(A_LEAD_PHONE).doesNotContain("alpha@door.example")
                    .doesNotContain("Alpha secret wording");
            if (!op.path().contains("{phone}")) { // (a 404 may repeat the number B itself sent in the path)
                assertThat(r.body()).as(what).doesNotContain(A_OPTED_OUT);
            }
            List<String> rules = op.security();
            if (rules.isEmpty()) {
                continue; // public
            }
            if (rules.contains("apiKey") && op.params("query").stream().anyMatch(p -> p.get("name").asText().equals("clientKey"))) {
                // an operation that lets the caller name the client: B naming A learns nothing (404, as for a wrong id)
                HttpResponse<String> named = send(op.method(), path + (path.contains("?") ? "&" : "?") + "clientKey=door-alpha", body, keyB);
                assertThat(named.statusCode()).as("client B naming A: " + op.method() + " " + path + " -> " + named.body()).isEqualTo(404);
                assertThat(named.body()).doesNotContain(A_LEAD_PHONE).doesNotContain("alpha@door.example");
            }
            if (!rules.contains("apiKey")) {
                // (a partner webhook without a body is refused by type at the router, before its signature: 415)
                assertThat(r.statusCode()).as(what + " (B's key is not " + rules + ")").isIn(401, 403, op.partner() ? 415 : 401);
            } else if (op.path().contains("{") && !op.path().startsWith("/api/templates/")) {
                assertThat(r.statusCode()).as(what + " (A's object is not B's: 404)").isIn(404, 400);
                if (r.statusCode() == 400) {
                    // a body check may come first; with a valid body the answer must still be a 404
                    assertThat(op.takesJson()).as(what).isTrue();
                }
            }
        }
        // A's objects are all still there, unchanged
        assertThat(hub.get("/api/leads/" + objectsOfA.get("id:/api/leads"), "X-API-Key", keyA).statusCode()).isEqualTo(200);
        assertThat(hub.get("/api/opt-outs", "X-API-Key", keyA).body()).contains(A_OPTED_OUT);
        assertThat(hub.get("/api/templates", "X-API-Key", keyA).body()).isEqualTo(templateBefore);
        JsonNode appt = Jsons.read(hub.get("/api/appointments/" + objectsOfA.get("id:/api/appointments"), "X-API-Key", keyA).body());
        assertThat(appt.get("status").asText()).isEqualTo("booked");
        // and B, with a valid body, still cannot touch them
        assertThat(send("PATCH", "/api/appointments/" + objectsOfA.get("id:/api/appointments"), "{\"status\":\"cancelled\"}", keyB).statusCode()).isEqualTo(404);
        assertThat(send("PUT", "/api/clients/door-alpha/settings", "{\"slotMinutes\":15}", keyB).statusCode()).isEqualTo(404);
    }

    @Test
    void aCorpusOfMalformedRequestsOnEveryOperationGetsA4xxAndWritesNothing() throws Exception {
        Map<String, Long> before = settledRowCounts();
        List<String> failures = new ArrayList<>();
        int sent = 0;
        for (Op op : operations()) {
            String path = pathToObjectsOfA(op.path());
            List<String> rules = op.security();
            String[] auth = rules.contains("apiKey") ? new String[] {"X-API-Key", keyA}
                    : rules.contains("adminToken") ? new String[] {"Authorization", "Bearer " + RunningHub.ADMIN_TOKEN}
                    : rules.contains("vapiSecret") ? new String[] {"X-Vapi-Secret", RunningHub.VAPI_SECRET} : new String[0];
            List<String[]> cases = new ArrayList<>(); // method, path+query, content type, body, expected status ("4xx" = any 4xx)
            if (op.takesJson()) {
                cases.add(new String[] {op.method(), path, "application/x-www-form-urlencoded", "{\"name\":\"x\"}", "415"});
                cases.add(new String[] {op.method(), path, null, "{\"name\":\"x\"}", "415"});
                cases.add(new String[] {op.method(), path, "multipart/form-data; boundary=zz", "--zz\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n--zz--\r\n", "415"});
                cases.add(new String[] {op.method(), path, "text/plain", "hello", "415"});
                cases.add(new String[] {op.method(), path, "application/json", "{\"name\": ", "400"});
                cases.add(new String[] {op.method(), path, "application/json", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "400"});
                if (!op.partner()) {
                    for (String field : List.of("name", "businessName", "phone", "body", "kind", "status", "start", "note", "reason", "email")) {
                        cases.add(new String[] {op.method(), path, "application/json", "{\"" + field + "\":\"a\\u0000b\"}", "400"});
                    }
                }
            }
            if (op.path().equals("/api/import-leads")) {
                cases.add(new String[] {op.method(), path, "multipart/form-data; boundary=zz", "--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"l.csv\"\r\n\r\nphone\n07700900123\r\n--zz--\r\n", "415"});
                cases.add(new String[] {op.method(), path, "application/x-www-form-urlencoded", "phone=07700900123", "415"});
                cases.add(new String[] {op.method(), path, null, "phone\n07700900123\n", "415"});
            }
            String sample = op.takesJson() ? "{}" : null;
            String sampleType = op.takesJson() ? "application/json" : null;
            if (!op.partner()) {
                cases.add(new String[] {op.method(), path + "?X-API-Key=" + keyA, sampleType, sample, "400"});
                cases.add(new String[] {op.method(), path + "?Authorization=Bearer%20" + RunningHub.ADMIN_TOKEN, sampleType, sample, "400"});
                cases.add(new String[] {op.method(), path + "?surelyNotAParameter=1", sampleType, sample, "400"});
            }
            for (JsonNode p : op.params("query")) {
                String name = p.get("name").asText();
                String type = p.get("schema").path("type").asText("string");
                String format = p.get("schema").path("format").asText("");
                List<String> bad = new ArrayList<>();
                switch (type) {
                    case "integer" -> {
                        bad.addAll(List.of("abc", "-1", "1e3", "99999999999999999999", "1.5", "%F0%9F%98%80"));
                        if (!format.equals("int64")) {
                            bad.add("2147483648");
                        }
                    }
                    case "boolean" -> bad.addAll(List.of("yes", "1", "maybe"));
                    default -> {
                        if (format.equals("date-time")) {
                            bad.addAll(List.of("%2B999999-01-01T10:00", "abc", "2026-13-45", "yesterday"));
                        } else if (format.equals("phone")) {
                            bad.addAll(List.of("%F0%9F%98%80", "%25", "1%26phone%3D2", "%27%20or%201%3D1%20--", "12345678901234567890123", "abc"));
                        }
                        bad.add("a%00b");
                        bad.add("x".repeat(300));
                    }
                }
                for (String v : bad) {
                    cases.add(new String[] {op.method(), path + "?" + name + "=" + v, sampleType, sample, "400"});
                }
                cases.add(new String[] {op.method(), path + "?" + name + "=1&" + name + "=2", sampleType, sample, op.partner() ? "any" : "400"});
                if (name.equals("page")) {
                    cases.add(new String[] {op.method(), path + "?page=2147483647", sampleType, sample, "any"});
                }
            }
            for (JsonNode p : op.params("path")) {
                String template = "{" + p.get("name").asText() + "}";
                for (String v : List.of("%25", "%00", "%F0%9F%98%80", "99999999999999999999", "%2e%2e", "a%2Fb", "' or 1=1")) {
                    String badPath = pathWith(op.path(), template, v);
                    cases.add(new String[] {op.method(), badPath, sampleType, sample, "4xx"});
                }
            }
            for (String[] c : cases) {
                if (op.partner()) {
                    c[4] = "4xx"; // unsigned: refused (403/401) before anything else is read, or refused by type at the router
                }
                String[] headers = auth;
                HttpResponse<String> r;
                try {
                    r = raw(c[0], c[1].replace("' or 1=1", "%27%20or%201%3D1"), c[2], c[3], headers);
                } catch (IllegalStateException | IllegalArgumentException e) {
                    continue; // a request the Java client refuses to send
                }
                sent++;
                String what = c[0] + " " + c[1] + " [" + c[2] + "] -> " + r.statusCode() + " " + r.body();
                boolean okStatus = switch (c[4]) {
                    case "any" -> r.statusCode() < 500;
                    case "4xx" -> r.statusCode() >= 400 && r.statusCode() < 500;
                    default -> r.statusCode() == Integer.parseInt(c[4]);
                };
                if (!okStatus) {
                    failures.add("expected " + c[4] + ": " + what);
                } else if (r.statusCode() >= 400) {
                    JsonNode error = r.body().isEmpty() ? null : readOrNull(r.body());
                    if (error == null || !error.hasNonNull("error") || error.get("error").asText().isBlank()) {
                        failures.add("not a JSON {\"error\"} body: " + what);
                    }
                }
            }
        }
        assertThat(failures).as(sent + " malformed requests").isEmpty();
        assertThat(sent).isGreaterThan(400);
        assertThat(rowCounts()).as("rows per table after the corpus").isEqualTo(before);
    }

    private static String pathWith(String template, String param, String value) {
        String p = template.replace(param, value);
        return p.replaceAll("\\{[^}]+}", "x");
    }

    private static JsonNode readOrNull(String body) {
        try {
            return Jsons.read(body);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
