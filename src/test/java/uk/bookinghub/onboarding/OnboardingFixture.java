package uk.bookinghub.onboarding;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;

import uk.bookinghub.support.GoogleCalendarStub;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;
import uk.bookinghub.support.TwilioStub;
import uk.bookinghub.support.VapiCallSimulator;
import uk.bookinghub.support.VapiStub;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A hub with every partner of the onboarding wizard stood in: Vapi (with the call simulator: the owner's
 * phone answers and books), Twilio (numbers on the account, delivery reports), Google Calendar, SMTP.
 */
final class OnboardingFixture implements AutoCloseable {

    static final String VAPI_KEY = "vapi-private-key";
    static final String TWILIO_SID = "AC" + "0".repeat(31) + "1";
    static final String TWILIO_TOKEN = "twilio-token";
    static final String SERVICE_ACCOUNT = "booking-hub@hub-project.iam.gserviceaccount.com";
    static final String SHARED_FROM = "+441134960999";

    final TestDatabase db;
    final VapiStub vapi;
    final TwilioStub twilio;
    final GoogleCalendarStub google;
    final GreenMail smtp;
    final VapiCallSimulator simulator;
    final RunningHub hub;

    OnboardingFixture(TestDatabase.Kind kind, Map<String, String> more) {
        db = TestDatabase.create(kind);
        vapi = VapiStub.start(VAPI_KEY);
        twilio = TwilioStub.start(TWILIO_SID, TWILIO_TOKEN);
        twilio.deliverMessages(true);
        twilio.addIncomingNumber(SHARED_FROM);
        google = GoogleCalendarStub.start();
        int smtpPort = RunningHub.freePort();
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
        smtp.start();
        int port = more.containsKey("camel.server.port") ? Integer.parseInt(more.get("camel.server.port")) : RunningHub.freePort();
        String base = "http://127.0.0.1:" + port;
        Map<String, String> o = new LinkedHashMap<>(RunningHub.messagingTo(twilio, TWILIO_TOKEN, smtpPort, base));
        o.putAll(RunningHub.diallingTo(vapi, VAPI_KEY, 60));
        o.put("camel.server.port", String.valueOf(port));
        o.put("twilio.from-number", SHARED_FROM);
        o.put("google.base-url", google.baseUrl());
        o.put("google.client-email", SERVICE_ACCOUNT);
        o.put("hub.leads.allow-test-numbers", "true");
        o.put("hub.onboarding.sweep-ms", "300");
        o.put("hub.onboarding.confirmation-wait-seconds", "20");
        o.put("hub.events.poll-ms", "500");
        o.putAll(more);
        hub = RunningHub.start(db.hubUrl(), o);
        simulator = new VapiCallSimulator(vapi, base, RunningHub.VAPI_SECRET);
    }

    /** A new business as the admin would create it (until self-service signup), with its own assistant; its API key. */
    String business(String name, String ownerPhone) {
        return hub.onboard("{\"businessName\":\"" + name + "\",\"email\":\"owner@" + Onboardings.slug(name) + ".example\",\"phone\":\"" + ownerPhone
                + "\",\"vapiAssistantId\":\"asst-" + Onboardings.slug(name) + "\"}");
    }

    private static final java.util.regex.Pattern VERIFY = java.util.regex.Pattern.compile("/signup/verify\\?token=([A-Za-z0-9_-]{20,})");

    /**
     * A business signing itself up ({@code POST /api/signup}): the path of the verification link its email
     * (at the local SMTP server) carries, {@code /signup/verify?token=…}.
     */
    String signUp(String name, String email, String phone) {
        HttpResponse<String> r = hub.post("/api/signup", "application/json", "{\"businessName\":\"" + name + "\",\"email\":\"" + email
                + "\",\"phone\":\"" + phone + "\",\"industry\":\"plumbing\",\"services\":[\"boiler service\"],\"timezone\":\"Europe/London\"}");
        if (r.statusCode() != 202) {
            throw new AssertionError("signup: " + r.statusCode() + " " + r.body());
        }
        String[] path = new String[1];
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).pollInterval(java.time.Duration.ofMillis(100)).until(() -> {
            for (jakarta.mail.internet.MimeMessage m : smtp.getReceivedMessages()) {
                if (java.util.Arrays.stream(m.getAllRecipients()).anyMatch(a -> a.toString().equalsIgnoreCase(email))) {
                    java.util.regex.Matcher t = VERIFY.matcher(com.icegreen.greenmail.util.GreenMailUtil.getBody(m).replace("=\r\n", "")
                            .replace("=3D", "="));
                    if (t.find()) {
                        path[0] = "/signup/verify?token=" + t.group(1);
                        return true;
                    }
                }
            }
            return false;
        });
        return path[0];
    }

    /** Signs up and follows the link as its owner would: the API key of the 303 to {@code /onboarding#key=…}. */
    String signUpAndVerify(String name, String email, String phone) {
        HttpResponse<String> v = hub.get(signUp(name, email, phone));
        String location = v.headers().firstValue("Location").orElse("");
        if (v.statusCode() != 303 || !location.startsWith("/onboarding#key=")) {
            throw new AssertionError("verify: " + v.statusCode() + " " + location + " " + v.body());
        }
        return location.substring("/onboarding#key=".length());
    }

    HttpResponse<String> get(String path, String key) {
        return hub.get(path, "X-API-Key", key);
    }

    HttpResponse<String> post(String path, String json, String key) {
        return hub.post(path, "application/json", json, "X-API-Key", key);
    }

    HttpResponse<String> put(String path, String json, String key) {
        return hub.send(HttpRequest.newBuilder(URI.create(hub.url(path))).method("PUT", HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json"), "X-API-Key", key);
    }

    com.fasterxml.jackson.databind.JsonNode status(String key) {
        HttpResponse<String> r = get("/api/onboarding/status", key);
        if (r.statusCode() != 200) {
            throw new AssertionError("status: " + r.statusCode() + " " + r.body());
        }
        return Jsons.read(r.body());
    }

    /** The step's entry of the status. */
    com.fasterxml.jackson.databind.JsonNode step(String key, String id) {
        for (var s : status(key).get("steps")) {
            if (s.get("id").asText().equals(id)) {
                return s;
            }
        }
        throw new AssertionError("no step " + id);
    }

    @Override
    public void close() {
        simulator.close();
        hub.close();
        vapi.close();
        twilio.close();
        google.close();
        smtp.stop();
        db.close();
    }

    /** Names to slugs as the hub makes client keys. */
    static final class Onboardings {
        static String slug(String name) {
            return uk.bookinghub.clients.Onboarding.slug(name);
        }
    }
}
