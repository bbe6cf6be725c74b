package uk.bookinghub.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.store.StoredMessage;
import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RouteTicks;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The weekly report email through the real hub, routes, database and outbox, to a real SMTP server
 * (GreenMail). Known data: signed Vapi end-of-call reports ended in the last complete ISO week (and
 * 4 calls the week before), plus three bookings recorded as the booking flow records them
 * (appointment.booked events) and the roll-up rebuilt from the raw events. The report's schedule
 * fires every 2 s here; a client whose day is today at 00:00 is due at once (its moment passed
 * before the hub started: the catch-up case, sent at the first pass the same week).
 *
 * <p>Invariants: each enabled client gets its report of the week exactly once however often the
 * batch runs, with the week's numbers in the HTML and the text; a client without the report gets
 * none; one with unreadable settings gets none and an alert; the admin run is idempotent and 400s a
 * week that does not exist or has not ended.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WeeklyReportRouteTest {

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("EEE d MMM", Locale.UK);
    private TestDatabase db;
    private GreenMail smtp;
    private RunningHub hub;
    private final LocalDate monday = CallsInAWeek.lastWeekMonday();
    private final String week = AnalyticsReports.isoWeek(monday);
    private final String weekBefore = AnalyticsReports.isoWeek(monday.minusWeeks(1));
    private String leedsKey;
    private String bristolKey;
    private String derbyKey;
    private String leeds;
    private String bristol;
    private String derby;
    private String cardiff;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() throws Exception {
        db = TestDatabase.create(kind());
        int smtpPort = RunningHub.freePort();
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        hub = RunningHub.start(db.hubUrl(), Map.of("mail.host", "127.0.0.1", "mail.port", String.valueOf(smtpPort), "mail.security", "none",
                "mail.from", "reports@hub.example.test", "hub.analytics.weekly-report-cron", "0/2 * * * * ?"));
        leedsKey = hub.onboard("{\"businessName\":\"Leeds Plumbing & Sons <Ltd>\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\"}");
        bristolKey = hub.onboard("{\"businessName\":\"Bristol Heating\",\"email\":\"office@bristol.example\",\"phone\":\"0117 496 0000\"}");
        String cardiffKey = hub.onboard("{\"businessName\":\"Cardiff Gas\",\"email\":\"office@cardiff.example\",\"phone\":\"029 2018 0000\"}");
        derbyKey = hub.onboard("{\"businessName\":\"Derby Drains\",\"email\":\"office@derby.example\",\"phone\":\"01332 960000\"}");
        leeds = clientKey(leedsKey);
        cardiff = clientKey(cardiffKey);
        bristol = clientKey(bristolKey);
        derby = clientKey(derbyKey);

        // Leeds, last week: 12 calls (Mon 3, Wed 5, Thu 2, Sat 1, Sun 1), $0.25 each; the week before: 4 unanswered calls
        String[][] calls = {
                {"0", "booked"}, {"0", "no_answer"}, {"0", "no_answer"},
                {"2", "booked"}, {"2", "not_interested"}, {"2", "voicemail"}, {"2", "no_answer"}, {"2", "callback_requested"},
                {"3", "booked"}, {"3", "not_interested"},
                {"5", "no_answer"}, {"6", "voicemail"}};
        int n = 0;
        for (String[] c : calls) {
            vapi(CallsInAWeek.report("wr-leeds-" + kind() + "-" + n++, leeds, monday.plusDays(Long.parseLong(c[0])), c[1], "0.25"));
        }
        for (int i = 0; i < 4; i++) {
            vapi(CallsInAWeek.report("wr-leeds-before-" + kind() + "-" + i, leeds, monday.minusWeeks(1).plusDays(1), "no_answer", "0.25"));
        }
        // Bristol (no weekly report) and Derby (its day has not come) had calls too
        vapi(CallsInAWeek.report("wr-bristol-" + kind(), bristol, monday.plusDays(1), "booked", "0.30"));
        vapi(CallsInAWeek.report("wr-derby-" + kind() + "-1", derby, monday.plusDays(1), "not_interested", "0.40"));
        vapi(CallsInAWeek.report("wr-derby-" + kind() + "-2", derby, monday.minusWeeks(1).plusDays(4), "no_answer", "0.40"));
        await().atMost(Duration.ofSeconds(30)).until(() -> calls(leedsKey, week) == 12 && calls(leedsKey, weekBefore) == 4
                && calls(bristolKey, week) == 1 && calls(derbyKey, week) == 1 && calls(derbyKey, weekBefore) == 1);

        // three bookings last week (Mon, Wed, Thu), as the booking flow records them, and the roll-up summed again from the raw events
        for (int d : new int[] {0, 2, 3}) {
            bookedEvent(leeds, monday.plusDays(d));
        }
        HttpResponse<String> rebuilt = hub.post("/api/admin/analytics/rebuild?clientKey=" + leeds, "application/json", "", "Authorization",
                "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(rebuilt.statusCode()).as(rebuilt.body()).isEqualTo(200);
        assertThat(report(leedsKey, week).at("/summary/appointments_booked").asLong()).isEqualTo(3);

        // the data is in: now the reports are switched on (Leeds: today at 00:00 local, so due at once)
        String today = LocalDate.now(CallsInAWeek.LONDON).getDayOfWeek().name();
        settings(leeds, leedsKey, "{\"analytics\":{\"averageJobValue\":150,\"usdToGbp\":0.8,\"weeklyReport\":{\"enabled\":true,"
                + "\"to\":[\"owner@leeds.example\",\"books@leeds.example\"],\"day\":\"" + today + "\",\"time\":\"00:00\"}}}");
        settings(bristol, bristolKey, "{\"analytics\":{\"averageJobValue\":90,\"weeklyReport\":{\"enabled\":false,\"to\":[\"owner@bristol.example\"]}}}");
        settings(derby, derbyKey, "{\"analytics\":{\"weeklyReport\":{\"enabled\":true,\"to\":[\"owner@derby.example\"],\"day\":\"SUNDAY\",\"time\":\"23:59\"}}}");
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("update clients set analytics_settings = ? where client_key = ?")) {
            ps.setString(1, "{\"weeklyReport\": {\"enabled\": tru");
            ps.setString(2, cardiff);
            ps.executeUpdate();
        }
    }

    @AfterAll
    void stop() {
        hub.close();
        smtp.stop();
        db.close();
    }

    @Test
    void theScheduledReportGoesOutOnceWithTheWeeksNumbers() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> ofWeek(to("owner@leeds.example"), week).size() == 1
                && ofWeek(to("books@leeds.example"), week).size() == 1);
        // the batch has run twice more (each pass a whole one) and the sender has looked again: still one email each
        RouteTicks.await(hub.camel(), "analytics-weekly-reports-run", 3);
        RouteTicks.await(hub.camel(), "outbox-sender", 3);
        assertThat(ofWeek(to("owner@leeds.example"), week)).hasSize(1);
        assertThat(ofWeek(to("books@leeds.example"), week)).hasSize(1);

        // (the other test may have asked for the week before by name: that is another week's report)
        JsonNode listed = Jsons.read(hub.get("/api/messages?kind=weekly_report", "X-API-Key", leedsKey).body()).get("items");
        List<JsonNode> thisWeek = new ArrayList<>();
        listed.forEach(m -> {
            if (m.get("subject").asText().endsWith("(" + week + ")")) {
                thisWeek.add(m);
            }
        });
        assertThat(thisWeek).hasSize(1);
        assertThat(thisWeek.get(0).get("channel").asText()).isEqualTo("email");
        assertThat(thisWeek.get(0).get("status").asText()).isEqualTo("sent");
        assertThat(thisWeek.get(0).get("to").asText()).isEqualTo("owner@leeds.example, books@leeds.example");

        MimeMessage mail = ofWeek(to("owner@leeds.example"), week).get(0);
        assertThat(mail.getSubject()).isEqualTo("Your week with Leeds Plumbing & Sons <Ltd>: 12 calls, 3 booked (" + week + ")");
        assertThat(mail.getFrom()[0].toString()).isEqualTo("reports@hub.example.test");
        String html = part(mail, "text/html");
        String text = part(mail, "text/plain");

        // the client's name is escaped; nothing is fetched from anywhere
        assertThat(html).contains("Your week with Leeds Plumbing &amp; Sons &lt;Ltd&gt;").doesNotContain("<Ltd>")
                .doesNotContain("<img", "src=", "http:", "https:", "<link", "<script");
        String cells = html.replaceAll(" style=\"[^\"]*\"", "");
        assertThat(cells).contains(
                "<td>Calls</td><td>12</td><td>+200.00% on last week (4)</td>",
                "<td>Connected</td><td>6</td><td></td>",
                "<td>Appointments booked</td><td>3</td><td>new (0 last week)</td>",
                "<td>Conversion rate</td><td>25.00%</td><td>new</td>",
                "<td>Average call</td><td>90.00 s</td>",
                "<td>Total cost</td><td>£2.40</td>",
                "<td>Cost per appointment</td><td>£0.80</td>",
                "<td>Estimated revenue</td><td>£450</td>",
                "<td>ROI</td><td>18650.00%</td>",
                "<td>Booked</td><td>3</td><td>25.00%</td>",
                "<td>Not interested</td><td>2</td><td>16.67%</td>",
                "<td>No answer</td><td>4</td><td>33.33%</td>",
                "<td>Voicemail</td><td>2</td><td>16.67%</td>",
                "<td>Callback requested</td><td>1</td><td>8.33%</td>",
                "<td>Busy</td><td>0</td><td>0.00%</td>");
        // the daily trend: every day of the week, the busiest (Wednesday, 5 calls) the full width, Monday's 3 at 60 %
        int[] perDay = {3, 0, 5, 2, 0, 1, 1};
        int[] bookedPerDay = {1, 0, 1, 1, 0, 0, 0};
        for (int d = 0; d < 7; d++) {
            assertThat(cells).contains("<tr><td>" + DAY.format(monday.plusDays(d)) + "</td><td>" + perDay[d] + "</td>");
            assertThat(text).containsPattern("\\n  " + DAY.format(monday.plusDays(d)) + " +" + perDay[d] + " +" + bookedPerDay[d] + "  #{"
                    + Math.round(perDay[d] * 20.0 / 5) + "}\\r?\\n");
        }
        assertThat(html).contains("height:10px;width:100%;background:#2b6cb0", "height:10px;width:60%;background:#2b6cb0");
        assertThat(text).contains("Your week with Leeds Plumbing & Sons <Ltd>", week + ": Monday " + monday.getDayOfMonth())
                .containsPattern("Calls: +12   \\+200\\.00% on last week \\(4\\)")
                .containsPattern("Appointments booked: +3   new \\(0 last week\\)")
                .containsPattern("Total cost: +£2\\.40")
                .containsPattern("Estimated revenue: +£450")
                .containsPattern("ROI: +18650\\.00%")
                .containsPattern("No answer +4 +33\\.33%")
                .doesNotContain("<td", "&amp;");

        // Bristol has no weekly report: none was queued or sent
        assertThat(Jsons.read(hub.get("/api/messages?kind=weekly_report", "X-API-Key", bristolKey).body()).get("items")).isEmpty();
        assertThat(to("owner@bristol.example")).isEmpty();
    }

    @Test
    void theAdminRunQueuesAWeekOnceAndSaysPerClientWhatItDid() throws Exception {
        assertBadWeek("2026-W54", "2026 has ISO weeks 01 to 53");
        assertBadWeek("13", "an ISO week such as 2026-W13");
        assertBadWeek(AnalyticsReports.isoWeek(LocalDate.now(CallsInAWeek.LONDON).plusWeeks(2)), "has not ended yet");

        JsonNode first = run(null);
        assertThat(first.get("week").asText()).startsWith("last complete week");
        assertThat(client(first, derby).get("status").asText()).isEqualTo("queued");
        assertThat(client(first, derby).get("week").asText()).isEqualTo(week);
        assertThat(client(first, bristol).get("status").asText()).isEqualTo("not_enabled");
        assertThat(client(first, cardiff).get("status").asText()).isEqualTo("settings_unreadable");
        JsonNode again = run(null);
        assertThat(again.get("queued").asInt()).isZero();
        assertThat(again.get("result").asText()).isEqualTo("nothing queued: every enabled client's report of this week was already queued");
        assertThat(client(again, derby).get("status").asText()).isEqualTo("already_sent");
        assertThat(client(again, derby).get("messageId").asLong()).isEqualTo(client(first, derby).get("messageId").asLong());
        assertThat(client(again, cardiff).get("status").asText()).isEqualTo("settings_unreadable");

        // an earlier week asked for by name: queued once too
        JsonNode earlier = run(weekBefore);
        assertThat(earlier.get("week").asText()).isEqualTo(weekBefore);
        assertThat(client(earlier, derby).get("status").asText()).isEqualTo("queued");
        assertThat(client(run(weekBefore), derby).get("status").asText()).isEqualTo("already_sent");

        await().atMost(Duration.ofSeconds(20)).until(() -> to("owner@derby.example").size() == 2);
        RouteTicks.await(hub.camel(), "outbox-sender", 3);
        List<String> subjects = new ArrayList<>();
        for (MimeMessage m : to("owner@derby.example")) {
            subjects.add(m.getSubject());
        }
        assertThat(subjects).containsExactlyInAnyOrder("Your week with Derby Drains: 1 call, 0 booked (" + week + ")",
                "Your week with Derby Drains: 1 call, 0 booked (" + weekBefore + ")");

        // Cardiff's settings cannot be read: no report, and a critical alert naming it
        assertThat(to("owner@cardiff.example")).isEmpty();
        assertThat(count("select count(*) from messages where kind = 'weekly_report' and client_id = (select id from clients where client_key = '"
                + cardiff + "')")).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> count("select count(*) from error_log where severity = 'critical' and service = 'analytics' "
                + "and message like '%" + cardiff + "%weekly report%'") >= 1);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private void vapi(String report) {
        HttpResponse<String> r = hub.postVapi(report);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private JsonNode report(String apiKey, String isoWeek) {
        HttpResponse<String> r = hub.get("/api/analytics/weekly-report?week=" + isoWeek, "X-API-Key", apiKey);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    private long calls(String apiKey, String isoWeek) {
        return report(apiKey, isoWeek).at("/summary/total_calls").asLong();
    }

    private void settings(String clientKey, String apiKey, String json) {
        HttpResponse<String> r = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/" + clientKey + "/settings")))
                .PUT(HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json"), "X-API-Key", apiKey);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private String clientKey(String apiKey) {
        return Jsons.read(hub.get("/api/clients/me", "X-API-Key", apiKey).body()).get("clientKey").asText();
    }

    /** An appointment.booked event at 12:05 London on {@code day}, as the booking flow writes it. */
    private void bookedEvent(String clientKey, LocalDate day) throws Exception {
        Instant at = ZonedDateTime.of(day, LocalTime.of(12, 5), CallsInAWeek.LONDON).toInstant();
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("insert into analytics_events (event_key, event_type, client_id, "
                + "client_key, props, occurred_at, created_at) select ?, 'appointment.booked', id, client_key, ?, ?, ? from clients where client_key = ?")) {
            ps.setString(1, "appointment.booked:" + clientKey + ":" + day);
            ps.setString(2, "{\"service\":\"Boiler service\"}");
            set(ps, 3, at);
            set(ps, 4, at);
            ps.setString(5, clientKey);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    private void set(PreparedStatement ps, int i, Instant t) throws Exception {
        if (kind() == TestDatabase.Kind.POSTGRESQL) {
            ps.setObject(i, t.atOffset(ZoneOffset.UTC));
        } else {
            ps.setString(i, DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC).format(t));
        }
    }

    private JsonNode run(String isoWeek) {
        HttpResponse<String> r = hub.post("/api/admin/analytics/weekly-reports/run" + (isoWeek == null ? "" : "?week=" + isoWeek), "application/json", "",
                "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body());
    }

    private void assertBadWeek(String isoWeek, String says) {
        HttpResponse<String> r = hub.post("/api/admin/analytics/weekly-reports/run?week=" + isoWeek, "application/json", "",
                "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("week", says);
    }

    private static JsonNode client(JsonNode answer, String key) {
        for (JsonNode c : answer.get("clients")) {
            if (c.get("clientKey").asText().equals(key)) {
                return c;
            }
        }
        throw new AssertionError("no " + key + " in " + answer);
    }

    /** The emails in this address's mailbox (GreenMail keeps one copy per recipient). */
    private List<MimeMessage> to(String address) throws Exception {
        GreenMailUser user = smtp.getUserManager().getUserByEmail(address);
        if (user == null) {
            return List.of();
        }
        List<MimeMessage> out = new ArrayList<>();
        for (StoredMessage m : smtp.getManagers().getImapHostManager().getInbox(user).getMessages()) {
            out.add(m.getMimeMessage());
        }
        return out;
    }

    private static List<MimeMessage> ofWeek(List<MimeMessage> mails, String isoWeek) throws Exception {
        List<MimeMessage> out = new ArrayList<>();
        for (MimeMessage m : mails) {
            if (m.getSubject().endsWith("(" + isoWeek + ")")) {
                out.add(m);
            }
        }
        return out;
    }

    private static String part(MimeMessage m, String type) throws Exception {
        MimeMultipart parts = (MimeMultipart) m.getContent();
        for (int i = 0; i < parts.getCount(); i++) {
            if (parts.getBodyPart(i).isMimeType(type)) {
                return parts.getBodyPart(i).getContent().toString();
            }
        }
        throw new AssertionError("no " + type + " part");
    }

    private long count(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
