package uk.bookinghub.leads;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Lead intake through the real routes and database: every row is validated, deduplicated in the
 * file and against the client's history, checked against the opt-out list and stored with a
 * status; the report says what happened to each problem row; request-level errors store nothing;
 * a client never sees or touches another client's leads or opt-outs. Numbers: Ofcom drama ranges only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class LeadIntakeRouteTest {

    private static final AtomicInteger NEXT = new AtomicInteger();
    private TestDatabase db;
    private RunningHub hub;
    private String keyA;
    private String keyB;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        hub = RunningHub.start(db.hubUrl(), Map.of("hub.leads.async-threshold-rows", "300", "hub.leads.chunk-size", "100",
                "hub.leads.max-upload-bytes", "400000", "hub.leads.max-problems", "20"));
        keyA = hub.onboard("{\"businessName\":\"Leeds Plumbing\",\"email\":\"a@leeds.example\",\"phone\":\"0113 496 0000\"}");
        keyB = hub.onboard("{\"businessName\":\"Other Business\",\"email\":\"b@other.example\",\"phone\":\"0113 496 0001\"}");
    }

    @AfterAll
    void stop() {
        hub.close();
        db.close();
    }

    /** A drama-range mobile not used by any other test in this class. */
    private static String mobile() {
        return "07700 900" + String.format("%03d", NEXT.incrementAndGet());
    }

    private static String e164(String national) {
        return "+44" + national.replace(" ", "").substring(1);
    }

    private JsonNode importCsv(String key, String csv) {
        HttpResponse<String> r = hub.post("/api/import-leads", "text/csv", csv, "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    private JsonNode importJson(String key, String json) {
        HttpResponse<String> r = hub.post("/api/import-leads", "application/json", json, "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    private JsonNode leadByPhone(String key, String phone) {
        HttpResponse<String> r = hub.get("/api/leads?phone=" + phone.replace(" ", "%20").replace("+", "%2B"), "X-API-Key", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode items = Jsons.read(r.body()).get("items");
        return items.isEmpty() ? null : items.get(0);
    }

    private static JsonNode problem(JsonNode report, int line) {
        for (JsonNode p : report.get("problems")) {
            if (p.get("line").asInt() == line) {
                return p;
            }
        }
        return null;
    }

    @Test
    void everyFormatOfOneNumberIsOneLeadAndLaterRowsPointAtTheFirst() {
        String n = mobile();
        String digits = n.replace(" ", "").substring(1); // 7700900xxx
        String csv = "name,phone\n"
                + "A," + n + "\n"
                + "B,+44 " + digits.substring(0, 4) + " " + digits.substring(4) + "\n"
                + "C,0044 " + digits + "\n"
                + "D,44" + digits + "\n"
                + "E,(0" + digits.substring(0, 4) + ") " + digits.substring(4, 7) + "-" + digits.substring(7) + "\n"
                + "F,+44 (0)" + digits + "\n";
        JsonNode r = importCsv(keyA, csv);
        assertThat(r.get("total").asInt()).isEqualTo(6);
        assertThat(r.get("imported").asInt()).isEqualTo(1);
        assertThat(r.get("duplicateInFile").asInt()).isEqualTo(5);
        for (int line = 3; line <= 7; line++) {
            assertThat(problem(r, line).get("reason").asText()).isEqualTo("duplicate of line 2");
        }
        JsonNode lead = leadByPhone(keyA, e164(n));
        assertThat(lead.get("name").asText()).isEqualTo("A");
        assertThat(lead.get("phoneType").asText()).isEqualTo("mobile");
        assertThat(lead.get("smsCapable").asBoolean()).isTrue();
        assertThat(lead.get("status").asText()).isEqualTo("new");
        assertThat(lead.get("importId").asText()).isEqualTo(r.get("importId").asText());
    }

    @Test
    void classesAreStoredWithSmsAndDiallingRules() {
        JsonNode r = importCsv(keyA, "name,phone\nLand,01632 960101\nFree,08081 570101\nPremium,0909 879 0101\nUk,03069 990101\nBad,0113 49\n");
        assertThat(r.get("imported").asInt()).isEqualTo(4);
        assertThat(r.get("invalid").asInt()).isEqualTo(1);
        assertThat(problem(r, 6).get("reason").asText()).isEqualTo("invalid phone: invalid for region GB");
        JsonNode land = leadByPhone(keyA, "+441632960101");
        assertThat(land.get("phoneType").asText()).isEqualTo("fixed_line");
        assertThat(land.get("smsCapable").asBoolean()).isFalse();
        assertThat(land.get("dialable").asBoolean()).isTrue();
        JsonNode premium = leadByPhone(keyA, "+449098790101");
        assertThat(premium.get("phoneType").asText()).isEqualTo("premium_rate");
        assertThat(premium.get("dialable").asBoolean()).isFalse();
        assertThat(premium.get("status").asText()).isEqualTo("new"); // stored, never dialled
        assertThat(leadByPhone(keyA, "+448081570101").get("phoneType").asText()).isEqualTo("freephone");
        assertThat(leadByPhone(keyA, "+443069990101").get("phoneType").asText()).isEqualTo("uan");
        HttpResponse<String> invalid = hub.get("/api/leads?status=invalid&pageSize=500", "X-API-Key", keyA);
        assertThat(invalid.body()).contains("0113 49");
    }

    @Test
    void csvWithBomCrlfQuotesNewlinesAndUnknownColumns() {
        String n1 = mobile();
        String n2 = mobile();
        String csv = "\uFEFFName,PHONE,Email,Source,Postcode,consent,consent_at,consent_source\r\n"
                + "\"Smith, John \"\"Jack\"\"\"," + n1 + ",  John.Smith@EXAMPLE.Com ,web,LS1 4AB,yes,2026-11-01T10:00:00Z,web-form\r\n"
                + "\"Line\nBreak\"," + n2 + ",,referral,,,,\r\n";
        JsonNode r = importCsv(keyA, csv);
        assertThat(r.get("imported").asInt()).as(r.toString()).isEqualTo(2);
        JsonNode a = leadByPhone(keyA, e164(n1));
        assertThat(a.get("name").asText()).isEqualTo("Smith, John \"Jack\"");
        assertThat(a.get("email").asText()).isEqualTo("John.Smith@example.com");
        assertThat(a.get("attributes").get("postcode").asText()).isEqualTo("LS1 4AB");
        assertThat(a.get("consent").asText()).isEqualTo("yes");
        assertThat(a.get("consentAt").asText()).isEqualTo("2026-11-01T10:00:00Z");
        assertThat(a.get("consentSource").asText()).isEqualTo("web-form");
        JsonNode b = leadByPhone(keyA, e164(n2));
        assertThat(b.get("name").asText()).isEqualTo("Line\nBreak");
        assertThat(b.get("importLine").asInt()).isEqualTo(3);
    }

    @Test
    void formulaLookingCellsAreKeptAsText() {
        String[] names = {"=HYPERLINK(\"http://x\",\"y\")", "+SUM(1,2)", "-2+3", "@cmd"};
        StringBuilder json = new StringBuilder("[");
        List<String> numbers = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            String n = mobile();
            numbers.add(n);
            json.append(i == 0 ? "" : ",").append("{\"name\":").append(Jsons.quote(names[i])).append(",\"phone\":\"").append(n).append("\"}");
        }
        JsonNode r = importJson(keyA, json.append("]").toString());
        assertThat(r.get("imported").asInt()).isEqualTo(4);
        for (int i = 0; i < names.length; i++) {
            assertThat(leadByPhone(keyA, e164(numbers.get(i))).get("name").asText()).isEqualTo(names[i]);
        }
    }

    @Test
    void sameFileTwiceImportsNothingTheSecondTimeAndSaysWhy() {
        String csv = "name,phone\nX," + mobile() + "\nY," + mobile() + "\n";
        JsonNode first = importCsv(keyA, csv);
        assertThat(first.get("imported").asInt()).isEqualTo(2);
        JsonNode second = importCsv(keyA, csv);
        assertThat(second.get("imported").asInt()).isZero();
        assertThat(second.get("alreadyImported").asInt()).isEqualTo(2);
        assertThat(second.get("sameFileAs").asText()).isEqualTo(first.get("importId").asText());
        assertThat(second.get("note").asText()).contains("imported before");
        assertThat(problem(second, 2).get("reason").asText()).startsWith("already a lead since");
    }

    /** An end-of-call report from Vapi for this client and number, ended at {@code endedAt}: the client's contact history. */
    private void calledAt(String number, Instant endedAt) {
        String json = """
                {"message":{"type":"end-of-call-report","endedReason":"customer-did-not-answer",
                 "call":{"id":"hist-%s","customer":{"number":"%s"},"assistantOverrides":{"variableValues":{"clientKey":"leeds-plumbing"}}},
                 "startedAt":"%s","endedAt":"%s","analysis":{},"artifact":{}}}""".formatted(number.replace(" ", "") + endedAt.toEpochMilli(),
                number, endedAt.minusSeconds(30), endedAt);
        assertThat(hub.postVapi(json).statusCode()).isEqualTo(200);
    }

    @Test
    void contactHistoryWindowsAtTheirEdges() {
        Instant now = Instant.now();
        String in7 = mobile();
        String past7 = mobile();
        String in30 = mobile();
        String past30 = mobile();
        calledAt(in7, now.minus(Duration.ofDays(7)).plus(Duration.ofHours(1)));
        calledAt(past7, now.minus(Duration.ofDays(7)).minus(Duration.ofHours(1)));
        calledAt(in30, now.minus(Duration.ofDays(30)).plus(Duration.ofHours(1)));
        calledAt(past30, now.minus(Duration.ofDays(30)).minus(Duration.ofHours(1)));
        JsonNode r = importCsv(keyA, "name,phone\nA," + in7 + "\nB," + past7 + "\nC," + in30 + "\nD," + past30 + "\n");
        assertThat(r.get("recentlyContacted").asInt()).isEqualTo(1);
        assertThat(r.get("imported").asInt()).isEqualTo(3);
        assertThat(r.get("warned").asInt()).isEqualTo(2);
        assertThat(problem(r, 2).get("reason").asText()).startsWith("contacted 6 days ago").contains("within 7 days");
        assertThat(problem(r, 3).get("reason").asText()).startsWith("last contacted 7 days ago");
        assertThat(problem(r, 4).get("reason").asText()).startsWith("last contacted 29 days ago");
        assertThat(problem(r, 5)).isNull();
        assertThat(leadByPhone(keyA, e164(in7)).get("status").asText()).isEqualTo("skipped");
        assertThat(leadByPhone(keyA, e164(in7)).get("statusReason").asText()).isEqualTo("recently_contacted");
        assertThat(leadByPhone(keyA, e164(past7)).get("warning").asText()).startsWith("last contacted 7 days ago");
        assertThat(leadByPhone(keyA, e164(past30)).get("warning").isNull()).isTrue();
    }

    @Test
    void windowsArePerClient() {
        String key = hub.onboard("{\"businessName\":\"Strict Windows\",\"email\":\"s@w.example\",\"phone\":\"0113 496 0002\","
                + "\"recentContactSkipDays\":1,\"recentContactWarnDays\":2}");
        String n = mobile();
        String json = """
                {"message":{"type":"end-of-call-report","endedReason":"voicemail",
                 "call":{"id":"hist-strict-%s","customer":{"number":"%s"},"metadata":{"clientKey":"strict-windows"}},
                 "startedAt":"%s","endedAt":"%s","analysis":{},"artifact":{}}}""".formatted(n.replace(" ", ""), n,
                Instant.now().minus(Duration.ofDays(3)), Instant.now().minus(Duration.ofDays(3)));
        assertThat(hub.postVapi(json).statusCode()).isEqualTo(200);
        JsonNode r = importCsv(key, "name,phone\nA," + n + "\n");
        assertThat(r.get("imported").asInt()).isEqualTo(1);
        assertThat(r.get("warned").asInt()).isZero(); // 3 days ago: outside this client's 2-day warning window
    }

    @Test
    void optOutAddRemoveAndReimport() {
        String n = mobile();
        assertThat(importCsv(keyA, "name,phone\nA," + n + "\n").get("imported").asInt()).isEqualTo(1);
        HttpResponse<String> add = hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + n + "\",\"reason\":\"user_request\"}", "X-API-Key", keyA);
        assertThat(add.statusCode()).as(add.body()).isEqualTo(201);
        assertThat(hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + e164(n) + "\",\"reason\":\"complaint\"}", "X-API-Key", keyA).statusCode())
                .isEqualTo(200); // already on the list
        assertThat(leadByPhone(keyA, e164(n)).get("status").asText()).isEqualTo("skipped");
        assertThat(leadByPhone(keyA, e164(n)).get("statusReason").asText()).isEqualTo("opted_out");

        JsonNode again = importCsv(keyA, "name,phone\nA," + n + "\n"); // takes effect at once, never brought back
        assertThat(again.get("optedOut").asInt()).isEqualTo(1);
        assertThat(again.get("imported").asInt()).isZero();
        assertThat(problem(again, 2).get("reason").asText()).isEqualTo("opted out: user_request");
        assertThat(leadByPhone(keyA, e164(n)).get("status").asText()).isEqualTo("skipped");

        HttpResponse<String> removed = hub.delete("/api/opt-outs/" + e164(n).replace("+", "%2B"), "X-API-Key", keyA);
        assertThat(removed.statusCode()).as(removed.body()).isEqualTo(200);
        JsonNode entry = Jsons.read(removed.body());
        assertThat(entry.get("active").asBoolean()).isFalse();
        assertThat(entry.get("removedBy").asText()).isEqualTo("client:leeds-plumbing");
        assertThat(entry.get("removedAt").asText()).isNotEmpty();
        assertThat(hub.delete("/api/opt-outs/" + e164(n).replace("+", "%2B"), "X-API-Key", keyA).statusCode()).isEqualTo(404);
        JsonNode list = Jsons.read(hub.get("/api/opt-outs?includeInactive=true", "X-API-Key", keyA).body());
        assertThat(list.get("items").toString()).contains(e164(n)); // never erased
        assertThat(Jsons.read(hub.get("/api/opt-outs", "X-API-Key", keyA).body()).get("items").toString()).doesNotContain(e164(n));

        JsonNode back = importCsv(keyA, "name,phone\nA," + n + "\n");
        assertThat(back.get("imported").asInt()).isEqualTo(1);
        assertThat(leadByPhone(keyA, e164(n)).get("status").asText()).isEqualTo("new");
    }

    @Test
    void globalOptOutIsAdminOnlyAndCoversEveryClient() {
        String n = mobile();
        assertThat(hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + n + "\",\"scope\":\"global\"}", "X-API-Key", keyA).statusCode())
                .isEqualTo(403);
        HttpResponse<String> add = hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + n + "\",\"scope\":\"global\",\"reason\":\"compliance\"}",
                "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(add.statusCode()).as(add.body()).isEqualTo(201);
        assertThat(importCsv(keyA, "name,phone\nA," + n + "\n").get("optedOut").asInt()).isEqualTo(1);
        JsonNode b = importCsv(keyB, "name,phone\nA," + n + "\n");
        assertThat(b.get("optedOut").asInt()).isEqualTo(1);
        assertThat(problem(b, 2).get("reason").asText()).isEqualTo("opted out: compliance (global)");
        assertThat(hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + n + "\",\"reason\":\"nonsense\"}", "X-API-Key", keyA).statusCode())
                .isEqualTo(400);
    }

    @Test
    void clientsNeverSeeOrTouchEachOthersLeadsOrOptOuts() {
        String n = mobile();
        importCsv(keyA, "name,phone\nSecret," + n + "\n");
        long id = leadByPhone(keyA, e164(n)).get("id").asLong();
        assertThat(hub.get("/api/leads/" + id, "X-API-Key", keyA).statusCode()).isEqualTo(200);
        assertThat(hub.get("/api/leads/" + id, "X-API-Key", keyB).statusCode()).isEqualTo(404);
        assertThat(leadByPhone(keyB, e164(n))).isNull();
        assertThat(hub.get("/api/leads", "X-API-Key", keyB).body()).doesNotContain("Secret");

        hub.post("/api/opt-outs", "application/json", "{\"phone\":\"" + n + "\"}", "X-API-Key", keyA);
        assertThat(hub.delete("/api/opt-outs/" + e164(n).replace("+", "%2B"), "X-API-Key", keyB).statusCode()).isEqualTo(404);
        assertThat(hub.get("/api/opt-outs", "X-API-Key", keyB).body()).doesNotContain(e164(n));
        JsonNode b = importCsv(keyB, "name,phone\nMine," + n + "\n"); // A's opt-out is A's
        assertThat(b.get("imported").asInt()).isEqualTo(1);
        assertThat(hub.get("/api/leads", "X-API-Key", "bh_wrong").statusCode()).isEqualTo(401);
    }

    @Test
    void singleLeadFromAWebForm() {
        String n = mobile();
        HttpResponse<String> r = hub.post("/api/leads", "application/json",
                "{\"name\":\"Web Lead\",\"phone\":\"" + n + "\",\"email\":\"w@Example.org\",\"source\":\"web-form\",\"instant\":true}", "X-API-Key", keyA);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode lead = Jsons.read(r.body()).get("lead");
        assertThat(lead.get("status").asText()).isEqualTo("queued");
        assertThat(lead.get("instant").asBoolean()).isTrue();
        HttpResponse<String> again = hub.post("/api/leads", "application/json", "{\"name\":\"Web Lead\",\"phone\":\"" + n + "\"}", "X-API-Key", keyA);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(Jsons.read(again.body()).get("result").asText()).isEqualTo("alreadyImported");
        HttpResponse<String> bad = hub.post("/api/leads", "application/json", "{\"name\":\"X\",\"phone\":\"12\"}", "X-API-Key", keyA);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Jsons.read(bad.body()).get("error").asText()).contains("too short");
        HttpResponse<String> queued = hub.get("/api/leads?status=queued&pageSize=500", "X-API-Key", keyA);
        assertThat(queued.body()).contains(e164(n));
        assertThat(hub.get("/api/leads?status=bogus", "X-API-Key", keyA).statusCode()).isEqualTo(400);
    }

    @Test
    void largeImportRunsAsAJobWithProgressThenTheReport() throws Exception {
        StringBuilder csv = new StringBuilder("name,phone,email,note\n");
        String[] names = {"Zoë Ñúñez 😀", "\"Quoted, \"\"name\"\"\"", "=cmd|' /C calc'!A0", "\"Two\nlines\""};
        for (int i = 0; i < 1000; i++) { // 1,000 rows over 0113 496 0xxx and 0114 496 0xxx: the drama ranges
            String name = i < names.length ? names[i] : "Row " + i;
            csv.append(name).append(",011").append(3 + i / 500).append(" 496 ").append(String.format("%04d", i % 500 + 500))
                    .append(",,").append(i % 7 == 0 ? "\"{\"\"a\"\": \\\\ \"\"tab\t\"\"}\"" : "x").append('\n');
        }
        csv.append("Dup,0113 496 0500,,\nBad,0113,,\n");
        HttpResponse<String> r = hub.post("/api/import-leads", "text/csv", csv.toString(), "X-API-Key", keyA);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        String jobId = Jsons.read(r.body()).get("jobId").asText();
        assertThat(Jsons.read(r.body()).get("statusUrl").asText()).isEqualTo("/api/import-leads/" + jobId);
        assertThat(hub.get("/api/import-leads/" + jobId, "X-API-Key", keyB).statusCode()).isEqualTo(404);
        List<Integer> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            JsonNode job = Jsons.read(hub.get("/api/import-leads/" + jobId, "X-API-Key", keyA).body());
            seen.add(job.get("rowsDone").asInt());
            return "completed".equals(job.get("status").asText());
        });
        assertThat(seen).isSorted();
        JsonNode job = Jsons.read(hub.get("/api/import-leads/" + jobId, "X-API-Key", keyA).body());
        assertThat(job.get("rowsDone").asInt()).isEqualTo(1002);
        assertThat(job.get("rowsTotal").asInt()).isEqualTo(1002);
        JsonNode summary = job.get("summary");
        assertThat(summary.get("total").asInt()).isEqualTo(1002);
        assertThat(summary.get("imported").asInt()).isEqualTo(1000);
        assertThat(summary.get("duplicateInFile").asInt()).isEqualTo(1);
        assertThat(summary.get("invalid").asInt()).isEqualTo(1);
        assertThat(job.get("counts").get("imported").asInt()).isEqualTo(1000);
        assertThat(job.get("finishedAt").asText()).isNotEmpty();
        // the bulk path (COPY on PostgreSQL) keeps every character of what was sent
        assertThat(leadByPhone(keyA, "+441134960500").get("name").asText()).isEqualTo("Zoë Ñúñez 😀");
        assertThat(leadByPhone(keyA, "+441134960501").get("name").asText()).isEqualTo("Quoted, \"name\"");
        assertThat(leadByPhone(keyA, "+441134960502").get("name").asText()).isEqualTo("=cmd|' /C calc'!A0");
        assertThat(leadByPhone(keyA, "+441134960503").get("name").asText()).isEqualTo("Two\nlines");
        assertThat(leadByPhone(keyA, "+441134960500").get("attributes").get("note").asText()).isEqualTo("{\"a\": \\\\ \"tab\t\"}");
        assertThat(leadByPhone(keyA, "+441134960501").get("attributes").get("note").asText()).isEqualTo("x");
    }

    @Test
    void importsOfAStoppedInstanceAreMarkedFailedButLiveOnesAreNot() throws Exception {
        long client;
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select id from clients where client_key = 'leeds-plumbing'")) {
            rs.next();
            client = rs.getLong(1);
        }
        String stale = kind() == TestDatabase.Kind.SQLITE ? "strftime('%Y-%m-%dT%H:%M:%fZ','now','-10 minutes')" : "now() - interval '10 minutes'";
        String fresh = kind() == TestDatabase.Kind.SQLITE ? "strftime('%Y-%m-%dT%H:%M:%fZ','now')" : "now()";
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("insert into lead_imports (id, client_id, status, content_type, file_fingerprint, created_at, heartbeat_at) values ('imp_dead', "
                    + client + ", 'running', 'text/csv', 'x', " + stale + ", " + stale + ")");
            s.execute("insert into lead_imports (id, client_id, status, content_type, file_fingerprint, created_at, heartbeat_at) values ('imp_elsewhere', "
                    + client + ", 'running', 'text/csv', 'x', " + fresh + ", " + fresh + ")");
        }
        importCsv(keyA, "name,phone\nA," + mobile() + "\n"); // every new import sweeps first
        JsonNode dead = Jsons.read(hub.get("/api/import-leads/imp_dead", "X-API-Key", keyA).body());
        assertThat(dead.get("status").asText()).isEqualTo("failed");
        assertThat(dead.get("error").asText()).contains("upload the file again");
        assertThat(Jsons.read(hub.get("/api/import-leads/imp_elsewhere", "X-API-Key", keyA).body()).get("status").asText()).isEqualTo("running");
    }

    @Test
    void problemRowsAreCappedWithACountOfTheRest() {
        StringBuilder csv = new StringBuilder("name,phone\n");
        for (int i = 0; i < 50; i++) {
            csv.append("Bad ").append(i).append(",12").append(i).append('\n');
        }
        JsonNode r = importCsv(keyA, csv.toString());
        assertThat(r.get("invalid").asInt()).isEqualTo(50);
        assertThat(r.get("problems").size()).isEqualTo(20);
        assertThat(r.get("moreProblems").asInt()).isEqualTo(30);
    }

    @Test
    void badInputGetsA4xxAndRequestLevelErrorsStoreNothing() throws Exception {
        long leads = count("select count(*) from leads");
        long imports = count("select count(*) from lead_imports");
        assertError(hub.post("/api/import-leads", "text/csv", "", "X-API-Key", keyA), 400, "empty body");
        assertError(hub.post("/api/import-leads", "text/csv", "name,email\nA,a@b.c\n", "X-API-Key", keyA), 400, "no phone column");
        byte[] latin1 = "name,phone\nJos\u00e9,07700 900999\n".getBytes(StandardCharsets.ISO_8859_1);
        assertError(hub.postBytes("/api/import-leads", "text/csv", latin1, "X-API-Key", keyA), 400, "not valid UTF-8");
        assertError(hub.post("/api/import-leads", "application/json", "{\"phone\":\"07700 900999\"}", "X-API-Key", keyA), 400, "JSON array");
        assertError(hub.post("/api/import-leads", "application/json", "[{\"phone\":\"07700 900999\"}, 5]", "X-API-Key", keyA), 400, "item 2 is number");
        assertError(hub.post("/api/import-leads", "application/json", "[{\"phone\":", "X-API-Key", keyA), 400, "malformed JSON");
        assertError(hub.post("/api/import-leads", "application/xml", "<leads/>", "X-API-Key", keyA), 415, "Content-Type must be text/csv or application/json");
        assertError(hub.postBytes("/api/import-leads", "text/csv", new byte[400_001], "X-API-Key", keyA), 413, "limit is 400000");
        assertError(hub.post("/api/import-leads", "text/csv", "name,phone\nA,07700 900999\n"), 401, "X-API-Key");
        assertThat(count("select count(*) from leads")).isEqualTo(leads);
        assertThat(count("select count(*) from lead_imports")).isEqualTo(imports);

        String ok = mobile();
        JsonNode r = importCsv(keyA, "name,phone,email\nA," + ok + ",a@b.c\nB,07700 900998\nC,07700 900997,x,extra\n");
        assertThat(r.get("imported").asInt()).isEqualTo(1);
        assertThat(problem(r, 3).get("reason").asText()).isEqualTo("expected 3 fields, found 2");
        assertThat(problem(r, 4).get("reason").asText()).isEqualTo("expected 3 fields, found 4");
    }

    private static void assertError(HttpResponse<String> r, int status, String text) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(Jsons.read(r.body()).get("error").asText()).contains(text);
    }

    private long count(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void exec(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Test
    void aJobThatFailsPartWaySaysExactlyWhatWasStoredInTheHubsWords() throws Exception {
        // a row the database refuses at line ~650 (here a trigger; in life a constraint, a full disk, a value out of range)
        if (kind() == TestDatabase.Kind.SQLITE) {
            exec("create trigger refuse_lead before insert on leads when new.name = 'Refuse me' "
                    + "begin select raise(abort, 'value too long for type character varying(40)'); end");
        } else {
            exec("create function refuse_lead() returns trigger language plpgsql as $$ begin if new.name = 'Refuse me' then "
                    + "raise exception 'value too long for type character varying(40)'; end if; return new; end $$");
            exec("create trigger refuse_lead before insert on leads for each row execute function refuse_lead()");
        }
        StringBuilder csv = new StringBuilder("name,phone\n");
        for (int i = 0; i < 1000; i++) { // 0115 496 0000-0499 and 0116 496 0000-0499: drama ranges no other test uses
            csv.append(i == 648 ? "Refuse me" : "Part " + i).append(",011").append(5 + i / 500).append(" 496 ").append(String.format("%04d", i % 500)).append('\n');
        }
        JsonNode job;
        String jobId;
        try {
            HttpResponse<String> r = hub.post("/api/import-leads", "text/csv", csv.toString(), "X-API-Key", keyA);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            jobId = Jsons.read(r.body()).get("jobId").asText();
            await().atMost(Duration.ofSeconds(60)).until(() -> !List.of("queued", "running").contains(
                    Jsons.read(hub.get("/api/import-leads/" + jobId, "X-API-Key", keyA).body()).get("status").asText()));
            job = Jsons.read(hub.get("/api/import-leads/" + jobId, "X-API-Key", keyA).body());
        } finally {
            exec("drop trigger refuse_lead" + (kind() == TestDatabase.Kind.SQLITE ? "" : " on leads"));
            if (kind() == TestDatabase.Kind.POSTGRESQL) {
                exec("drop function refuse_lead()");
            }
        }
        long stored = count("select count(*) from leads where import_id = '" + jobId + "'");
        assertThat(stored).as("the chunks before the refused one were committed").isGreaterThanOrEqualTo(600);
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("partial");
        assertThat(job.get("counts").get("imported").asLong()).isEqualTo(stored);
        assertThat(job.get("rowsDone").asInt()).isEqualTo(job.get("counts").get("total").asInt()).isLessThan(1000);
        assertThat(job.get("rowsTotal").asInt()).isEqualTo(1000);
        String error = job.get("error").asText();
        assertThat(error).contains("refused to store lines", "upload the file again", stored + " leads imported")
                .doesNotContain("character varying", "SQLITE", "ERROR:", "trigger", "RAISE");
        assertThat(count("select count(*) from leads where name = 'Refuse me'")).isZero();

        // fixed (the trigger is gone): the same file again imports exactly the rest
        HttpResponse<String> again = hub.post("/api/import-leads", "text/csv", csv.toString(), "X-API-Key", keyA);
        String againId = Jsons.read(again.body()).get("jobId").asText();
        await().atMost(Duration.ofSeconds(60)).until(() -> "completed".equals(
                Jsons.read(hub.get("/api/import-leads/" + againId, "X-API-Key", keyA).body()).get("status").asText()));
        JsonNode summary = Jsons.read(hub.get("/api/import-leads/" + againId, "X-API-Key", keyA).body()).get("summary");
        assertThat(summary.get("imported").asLong()).isEqualTo(1000 - stored);
        assertThat(summary.get("alreadyImported").asLong()).isEqualTo(stored);
    }

    @Test
    void aWebFormLeadWithWrongTypesIsA400NamingEachFieldAndStoresNothing() throws Exception {
        long before = count("select count(*) from leads");
        String n = mobile();
        HttpResponse<String> r = hub.post("/api/leads", "application/json", "{\"name\":[\"Ann\"],\"phone\":\"" + n + "\",\"email\":\"not-an-email\","
                + "\"consentAt\":\"abc\",\"instant\":-1}", "X-API-Key", keyA);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode fields = Jsons.read(r.body()).get("fields");
        assertThat(fields.get("name").asText()).contains("text");
        assertThat(fields.get("email").asText()).contains("not an email address");
        assertThat(fields.get("consentAt").asText()).contains("ISO-8601", "'abc'");
        assertThat(fields.get("instant").asText()).contains("JSON boolean");
        for (String instant : List.of("12345", "\"yes\"", "1", "\"true\"")) {
            HttpResponse<String> i = hub.post("/api/leads", "application/json", "{\"name\":\"Ann\",\"phone\":\"" + n + "\",\"instant\":" + instant + "}",
                    "X-API-Key", keyA);
            assertThat(i.statusCode()).as(instant + ": " + i.body()).isEqualTo(400);
            assertThat(Jsons.read(i.body()).get("fields").has("instant")).isTrue();
        }
        HttpResponse<String> numberPhone = hub.post("/api/leads", "application/json", "{\"phone\":7700900123}", "X-API-Key", keyA);
        assertThat(numberPhone.statusCode()).isEqualTo(400);
        assertThat(Jsons.read(numberPhone.body()).get("fields").get("phone").asText()).contains("text");
        HttpResponse<String> longName = hub.post("/api/leads", "application/json", "{\"name\":\"" + "x".repeat(101) + "\",\"phone\":\"" + n + "\"}",
                "X-API-Key", keyA);
        assertThat(Jsons.read(longName.body()).get("fields").get("name").asText()).contains("at most 100");
        assertThat(count("select count(*) from leads")).isEqualTo(before);

        // the right types are taken: consent as true, consentAt a date-time, instant false
        HttpResponse<String> ok = hub.post("/api/leads", "application/json", "{\"name\":\"Ann\",\"phone\":\"" + n + "\",\"email\":\"ann@example.org\","
                + "\"consent\":true,\"consentAt\":\"2026-11-30T14:05:00Z\",\"instant\":false}", "X-API-Key", keyA);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
        assertThat(Jsons.read(ok.body()).get("lead").get("status").asText()).isEqualTo("new");
    }
}
