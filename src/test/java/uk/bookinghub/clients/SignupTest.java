package uk.bookinghub.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.MovableClock;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.TwilioStub;
import uk.bookinghub.support.VapiStub;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Signup and the client's life cycle through the real hub: a signup gets one email (GreenMail) with a
 * one-time link; following it makes a trial client whose key travels only in the redirect's fragment;
 * the link works once and not after it expires; duplicates are a 409 that reveals nothing; a trial
 * client texts (Twilio stand-in) and calls (Vapi stand-in) its owner only, anyone else is refused at
 * the API or held by the dialler; a suspended client reads only and its queued message is held until an
 * admin activates it, then sent. Numbers: Ofcom drama ranges only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SignupTest {

    static final String SID = "AC0123456789abcdef0123456789abcdef";
    static final String TOKEN = "twilio-test-auth-token";
    static final String VAPI_KEY = "vapi-private-test-key";
    static final String PUBLIC = "https://hub.example.test";
    private static final AtomicInteger NEXT = new AtomicInteger(300);
    private static final Pattern LINK = Pattern.compile("https://hub\\.example\\.test/signup/verify\\?token=([A-Za-z0-9_-]{20,})");

    private final MovableClock clock = new MovableClock();
    private TestDatabase db;
    private RunningHub hub;
    private TwilioStub twilio;
    private VapiStub vapi;
    private GreenMail smtp;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        twilio = TwilioStub.start(SID, TOKEN);
        vapi = VapiStub.start(VAPI_KEY);
        int smtpPort = RunningHub.freePort();
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        Map<String, String> o = new LinkedHashMap<>(RunningHub.messagingTo(twilio, TOKEN, smtpPort, PUBLIC));
        o.putAll(RunningHub.diallingTo(vapi, VAPI_KEY, 30));
        o.put("twilio.from-number", "+447700900000");
        hub = RunningHub.start(db.hubUrl(), o, Map.of("hubClock", clock));
    }

    @AfterAll
    void stop() {
        hub.close();
        twilio.close();
        vapi.close();
        smtp.stop();
        db.close();
    }

    @BeforeEach
    void clean() {
        twilio.reset();
        vapi.reset();
    }

    private static String mobile() {
        return "+447700900" + String.format("%03d", NEXT.incrementAndGet());
    }

    private HttpResponse<String> signup(String name, String email, String phone) {
        return hub.post("/api/signup", "application/json", "{\"businessName\":\"" + name + "\",\"email\":\"" + email + "\",\"phone\":\"" + phone
                + "\",\"industry\":\"plumbing\",\"services\":[\"boiler service\"],\"timezone\":\"Europe/London\"}");
    }

    /** The verification link of the email sent to {@code email} (decoded from its MIME parts). */
    private String linkSentTo(String email) {
        String[] token = new String[1];
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (MimeMessage m : smtp.getReceivedMessages()) {
                if (Arrays.stream(m.getAllRecipients()).anyMatch(a -> a.toString().equalsIgnoreCase(email))) {
                    Matcher t = LINK.matcher(text(m));
                    if (t.find()) {
                        token[0] = t.group(1);
                        return true;
                    }
                }
            }
            return false;
        });
        return "/signup/verify?token=" + token[0];
    }

    private static String text(Part p) throws Exception {
        Object content = p.getContent();
        if (content instanceof Multipart mp) {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < mp.getCount(); i++) {
                BodyPart part = mp.getBodyPart(i);
                all.append(text(part)).append('\n');
            }
            return all.toString();
        }
        return String.valueOf(content);
    }

    private long emailsTo(String email) throws Exception {
        long n = 0;
        for (MimeMessage m : smtp.getReceivedMessages()) {
            if (Arrays.stream(m.getAllRecipients()).anyMatch(a -> a.toString().equalsIgnoreCase(email))) {
                n++;
            }
        }
        return n;
    }

    /** Signs up and verifies a business; returns its API key (from the 303's fragment). */
    private String trialClient(String name, String email, String phone) {
        HttpResponse<String> r = signup(name, email, phone);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        HttpResponse<String> verified = hub.get(linkSentTo(email));
        assertThat(verified.statusCode()).as(verified.body()).isEqualTo(303);
        String location = verified.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith("/onboarding#key=bh_");
        return location.substring("/onboarding#key=".length());
    }

    private String one(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private HttpResponse<String> admin(String path) {
        return hub.post(path, "application/json", "{}", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
    }

    private List<String> listed(String state) {
        HttpResponse<String> r = hub.get("/api/admin/clients?state=" + state + "&pageSize=500", "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<String> keys = new ArrayList<>();
        Jsons.read(r.body()).get("items").forEach(i -> {
            assertThat(i.get("state").asText()).isEqualTo(state);
            keys.add(i.get("clientKey").asText());
        });
        return keys;
    }

    private void settings(String clientKey, String apiKey, String json) {
        HttpResponse<String> r = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/" + clientKey + "/settings")))
                .PUT(HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json"), "X-API-Key", apiKey);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private HttpResponse<String> message(String apiKey, String phone, String extra) {
        return hub.post("/api/messages", "application/json", "{\"kind\":\"confirmation\",\"channels\":[\"sms\"],\"phone\":\"" + phone
                + "\",\"customerName\":\"Ann\",\"appointment\":{\"start\":\"2030-12-03T14:30\",\"service\":\"Boiler service\"}" + extra + "}",
                "X-API-Key", apiKey);
    }

    private String messageStatus(String apiKey, long id) {
        HttpResponse<String> r = hub.get("/api/messages/" + id, "X-API-Key", apiKey);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body()).get("status").asText();
    }

    @Test
    void aSignupIsVerifiedOnceByItsEmailedLinkAndBecomesATrialClient() throws Exception {
        String phone = mobile();
        HttpResponse<String> r = signup("Verify Me Plumbing", "Owner@VerifyMe.example", phone);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JsonNode body = Jsons.read(r.body());
        assertThat(body.get("state").asText()).isEqualTo("pending_verification");
        assertThat(body.has("apiKey")).isFalse();
        assertThat(one("select count(*) from api_keys k join clients c on c.id = k.client_id where c.client_key = 'verify-me-plumbing'")).isEqualTo("0");
        assertThat(listed("pending_verification")).contains("verify-me-plumbing");

        String link = linkSentTo("owner@verifyme.example");
        String token = link.substring(link.indexOf('=') + 1);
        assertThat(one("select token_hash from signup_tokens t join clients c on c.id = t.client_id where c.client_key = 'verify-me-plumbing'"))
                .hasSize(64).isNotEqualTo(token).doesNotContain(token);

        HttpResponse<String> verified = hub.get(link);
        assertThat(verified.statusCode()).as(verified.body()).isEqualTo(303);
        String location = verified.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith("/onboarding#key=bh_");
        String apiKey = location.substring("/onboarding#key=".length());

        HttpResponse<String> me = hub.get("/api/clients/me", "X-API-Key", apiKey);
        assertThat(me.statusCode()).as(me.body()).isEqualTo(200);
        assertThat(Jsons.read(me.body()).get("state").asText()).isEqualTo("trial");
        assertThat(Jsons.read(me.body()).get("clientKey").asText()).isEqualTo("verify-me-plumbing");
        assertThat(listed("trial")).contains("verify-me-plumbing");
        assertThat(listed("pending_verification")).doesNotContain("verify-me-plumbing");

        HttpResponse<String> again = hub.get(link);
        assertThat(again.statusCode()).as(again.body()).isEqualTo(410);
        assertThat(Jsons.read(again.body()).get("reason").asText()).isEqualTo("used");
        assertThat(one("select count(*) from api_keys k join clients c on c.id = k.client_id where c.client_key = 'verify-me-plumbing'")).isEqualTo("1");
        assertThat(one("select body from messages where kind = 'signup_verification' and to_address = 'owner@verifyme.example'"))
                .contains("[used verification link]").doesNotContain(token);
        assertThat(emailsTo("owner@verifyme.example")).isEqualTo(1);
        assertThat(one("select count(*) from audit_log where action in ('signup', 'signup_verify') and client_key = 'verify-me-plumbing'")).isEqualTo("2");
        assertThat(Long.parseLong(one("select count(*) from audit_log where action = 'signup_verify' and status = 410"))).isPositive();

        HttpResponse<String> unknown = hub.get("/signup/verify?token=not-a-token-the-hub-ever-made");
        assertThat(unknown.statusCode()).isEqualTo(404);
    }

    @Test
    void anExpiredLinkIsRefusedAndTheClientStaysPending() throws Exception {
        HttpResponse<String> r = signup("Late Clicker Ltd", "late@clicker.example", mobile());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        String link = linkSentTo("late@clicker.example");
        clock.advance(Duration.ofHours(25));
        HttpResponse<String> expired = hub.get(link);
        assertThat(expired.statusCode()).as(expired.body()).isEqualTo(410);
        assertThat(Jsons.read(expired.body()).get("reason").asText()).isEqualTo("expired");
        assertThat(one("select state from clients where client_key = 'late-clicker-ltd'")).isEqualTo("pending_verification");
        assertThat(one("select count(*) from api_keys k join clients c on c.id = k.client_id where c.client_key = 'late-clicker-ltd'")).isEqualTo("0");
    }

    @Test
    void aDuplicateEmailOrBusinessNameIsA409ThatRevealsNothingMore() throws Exception {
        assertThat(signup("First Dup Co", "first@dup.example", mobile()).statusCode()).isEqualTo(202);
        hub.onboard("{\"businessName\":\"Admin Made Ltd\",\"email\":\"admin-made@dup.example\",\"phone\":\"0113 496 0100\"}");
        String before = one("select count(*) from clients");
        for (HttpResponse<String> dup : List.of(
                signup("Another Name Entirely", "FIRST@dup.example", mobile()),    // same email, other case
                signup("first  dup co.", "other@dup.example", mobile()),           // same business name, normalised
                signup("Brand New Name", "admin-made@dup.example", mobile()))) {   // an admin-onboarded client's email
            assertThat(dup.statusCode()).as(dup.body()).isEqualTo(409);
            JsonNode err = Jsons.read(dup.body());
            assertThat(err.get("error").asText()).isEqualTo("a business with these details is already registered; check your email "
                    + "(including its verification link) or contact support");
            assertThat(dup.body()).doesNotContain("first-dup-co", "admin-made-ltd", "clientKey", "businessName", "fields");
        }
        assertThat(one("select count(*) from clients")).isEqualTo(before);
        assertThat(emailsTo("other@dup.example")).isZero();
    }

    @Test
    void ofConcurrentDuplicateSignupsTheDatabaseLetsExactlyOneIn() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Integer>> sameName = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String email = "race" + i + "@samename.example";
                String phone = mobile();
                sameName.add(pool.submit(() -> signup("Race Condition Cafe", email, phone).statusCode()));
            }
            List<Integer> codes = new ArrayList<>();
            for (var f : sameName) {
                codes.add(f.get());
            }
            assertThat(codes).as("same business name").containsExactlyInAnyOrder(202, 409, 409, 409);

            List<java.util.concurrent.Future<Integer>> sameEmail = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String name = "Same Email Race " + (char) ('A' + i);
                String phone = mobile();
                sameEmail.add(pool.submit(() -> signup(name, "race@sameemail.example", phone).statusCode()));
            }
            codes.clear();
            for (var f : sameEmail) {
                codes.add(f.get());
            }
            assertThat(codes).as("same email").containsExactlyInAnyOrder(202, 409, 409);
        } finally {
            pool.shutdownNow();
        }
        assertThat(one("select count(*) from clients where client_key = 'race-condition-cafe'")).isEqualTo("1");
        assertThat(one("select count(*) from clients where contact_email = 'race@sameemail.example'")).isEqualTo("1");
        await().atMost(Duration.ofSeconds(20)).until(() -> emailsTo("race@sameemail.example") == 1);
    }

    @Test
    void oneEmailMaySignUpAtMostThePerEmailLimitADay() {
        String email = "limit@perday.example";
        assertThat(signup("Per Day One", email, mobile()).statusCode()).isEqualTo(202);
        assertThat(signup("Per Day Two", email, mobile()).statusCode()).isEqualTo(409);
        assertThat(signup("Per Day Three", email, mobile()).statusCode()).isEqualTo(409);
        HttpResponse<String> fourth = signup("Per Day Four", email, mobile());
        assertThat(fourth.statusCode()).as(fourth.body()).isEqualTo(429);
        assertThat(Jsons.read(fourth.body()).get("error").asText()).contains("hub.signup.per-email-per-day");
        assertThat(fourth.headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    void aSignupMayNotSetWhatOnlyAnAdminSets() {
        HttpResponse<String> r = hub.post("/api/signup", "application/json", "{\"businessName\":\"Greedy Ltd\",\"email\":\"g@greedy.example\","
                + "\"phone\":\"" + mobile() + "\",\"tier\":\"enterprise\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(Jsons.read(r.body()).get("fields").has("tier")).isTrue();
        HttpResponse<String> bad = hub.post("/api/signup", "application/json", "{\"businessName\":\"Bad Ltd\",\"email\":\"nope\",\"phone\":\"12\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Jsons.read(bad.body()).get("fields").get("email").asText()).contains("not an email address");
    }

    @Test
    void aTrialClientTextsAndCallsOnlyItsOwner() throws Exception {
        String owner = mobile();
        String stranger = mobile();
        String key = trialClient("Trial Texts Ltd", "owner@trialtexts.example", owner);

        HttpResponse<String> toOwner = message(key, owner, "");
        assertThat(toOwner.statusCode()).as(toOwner.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(20)).until(() -> !twilio.sentTo(owner).isEmpty());

        HttpResponse<String> toStranger = message(key, stranger, "");
        assertThat(toStranger.statusCode()).as(toStranger.body()).isEqualTo(403);
        assertThat(Jsons.read(toStranger.body()).get("rule").asText()).isEqualTo("trial clients send only to their owner");
        assertThat(one("select count(*) from messages where to_address = '" + stranger + "'")).isEqualTo("0");

        settings("trial-texts-ltd", key, "{\"calling\":{" + RunningHub.CALLING_ALWAYS_OPEN + "}}");
        HttpResponse<String> strangerLead = hub.post("/api/leads", "application/json", "{\"name\":\"Stranger\",\"phone\":\"" + stranger + "\",\"instant\":true}",
                "X-API-Key", key);
        assertThat(strangerLead.statusCode()).as(strangerLead.body()).isEqualTo(201);
        HttpResponse<String> ownerLead = hub.post("/api/leads", "application/json", "{\"name\":\"Owner\",\"phone\":\"" + owner + "\",\"instant\":true}",
                "X-API-Key", key);
        assertThat(ownerLead.statusCode()).as(ownerLead.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(20)).until(() -> !vapi.callsTo(owner).isEmpty());
        // the stranger's lead was due first (lower id) and is still held: queued, never dialled
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> vapi.callsTo(stranger).isEmpty());
        assertThat(one("select status from leads where phone_e164 = '" + stranger + "'")).isEqualTo("queued");
    }

    @Test
    void aSuspendedClientReadsOnlyItsQueuedMessageIsHeldAndGoesOutOnceActivated() throws Exception {
        String customer = mobile();
        String key = hub.onboard("{\"businessName\":\"Suspend Me Ltd\",\"email\":\"o@suspend.example\",\"phone\":\"0113 496 0200\"}");
        HttpResponse<String> me = hub.get("/api/clients/me", "X-API-Key", key);
        assertThat(Jsons.read(me.body()).get("state").asText()).isEqualTo("active");
        assertThat(listed("active")).contains("suspend-me-ltd");

        // queued while active, due in two minutes
        String sendAt = clock.instant().plus(Duration.ofMinutes(2)).toString();
        HttpResponse<String> queued = message(key, customer, ",\"sendAt\":\"" + sendAt + "\"");
        assertThat(queued.statusCode()).as(queued.body()).isEqualTo(201);
        long id = Jsons.read(queued.body()).get("messages").get(0).get("id").asLong();

        HttpResponse<String> suspended = hub.post("/api/admin/clients/suspend-me-ltd/suspend", "application/json", "{\"reason\":\"unpaid invoice\"}",
                "Authorization", "Bearer " + RunningHub.ADMIN_TOKEN);
        assertThat(suspended.statusCode()).as(suspended.body()).isEqualTo(200);
        assertThat(Jsons.read(suspended.body()).get("state").asText()).isEqualTo("suspended");
        assertThat(Jsons.read(suspended.body()).get("stateReason").asText()).isEqualTo("unpaid invoice");

        HttpResponse<String> write = message(key, customer, "");
        assertThat(write.statusCode()).as(write.body()).isEqualTo(403);
        assertThat(Jsons.read(write.body()).get("error").asText()).contains("client suspended");
        HttpResponse<String> read = hub.get("/api/clients/me", "X-API-Key", key);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(Jsons.read(read.body()).get("state").asText()).isEqualTo("suspended");
        assertThat(hub.post("/api/auth/token", null, "", "X-API-Key", key).statusCode()).isNotEqualTo(403);

        clock.advance(Duration.ofMinutes(3)); // the message is due now, but held
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> twilio.sentTo(customer).isEmpty());
        assertThat(messageStatus(key, id)).isEqualTo("queued");
        assertThat(listed("suspended")).contains("suspend-me-ltd");

        HttpResponse<String> activated = admin("/api/admin/clients/suspend-me-ltd/activate");
        assertThat(activated.statusCode()).as(activated.body()).isEqualTo(200);
        assertThat(Jsons.read(activated.body()).get("state").asText()).isEqualTo("active");
        await().atMost(Duration.ofSeconds(20)).until(() -> twilio.sentTo(customer).size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> messageStatus(key, id).equals("sent") || messageStatus(key, id).equals("delivered"));
        assertThat(message(key, customer, "").statusCode()).isEqualTo(201);
        assertThat(one("select count(*) from audit_log where action in ('client_suspend', 'client_activate') and client_key = 'suspend-me-ltd'"))
                .isEqualTo("2");
    }

    @Test
    void aClientPendingVerificationCannotBeActivated() {
        assertThat(signup("Not Yet Verified", "nyv@pending.example", mobile()).statusCode()).isEqualTo(202);
        HttpResponse<String> r = admin("/api/admin/clients/not-yet-verified/activate");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
        assertThat(admin("/api/admin/clients/no-such-client/activate").statusCode()).isEqualTo(404);
    }
}
