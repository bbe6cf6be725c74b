package uk.bookinghub.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.twilio.exception.ApiException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.security.RequestValidator;
import com.twilio.type.PhoneNumber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class TwilioStubTest {

    private static final String SID = "AC0123456789abcdef0123456789abcdef";
    private static final String TOKEN = "stub-auth-token";
    private static final String TO = "+447700900123";
    private static final String FROM = "+447700900001";

    private TwilioStub stub;
    private TwilioRestClient client;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() {
        stub = TwilioStub.start(SID, TOKEN);
        client = TwilioStubClient.restClient(SID, TOKEN, stub.baseUrl());
    }

    @AfterEach
    void stop() {
        stub.close();
    }

    // ------------------------------------------------------------------ signer

    @Test
    void signerReproducesTwilioWorkedExample() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("Digits", "1234");
        params.put("To", "+18005551212");
        params.put("From", "+14158675310");
        params.put("Caller", "+14158675310");
        params.put("CallSid", "CA1234567890ABCDE");
        assertThat(TwilioSigner.sign("12345", "https://example.com/myapp.php?foo=1&bar=2", params))
                .isEqualTo("L/OH5YylLD5NRKLltdqwSvS0BnU=");
    }

    @Test
    void signerSortsCaseSensitively() {
        // "Zeta" < "alpha" in Unix order; a case-insensitive sort would give a different string
        Map<String, String> params = Map.of("alpha", "1", "Zeta", "2");
        String url = "https://hub.example.com/x";
        assertThat(TwilioSigner.sign("t", url, params))
                .isEqualTo(TwilioSigner.sign("t", url + "Zeta2alpha1", Map.of()));
    }

    @Test
    void sdkValidatorAcceptsSignedForm() {
        String url = "https://hub.example.com:8443/webhooks/twilio/status";
        Map<String, String> params = TwilioSigner.statusCallback("SM" + "a".repeat(32), "undelivered", "30003",
                SID, FROM, TO);
        assertThat(params).containsKeys("MessageSid", "SmsSid", "AccountSid", "From", "To", "MessageStatus",
                "SmsStatus", "ApiVersion", "ErrorCode", "RawDlrDoneDate");
        assertThat(params.get("RawDlrDoneDate")).matches("\\d{10}");
        String signature = TwilioSigner.sign(TOKEN, url, params);

        RequestValidator validator = new RequestValidator(TOKEN);
        assertThat(validator.validate(url, params, signature)).isTrue();

        Map<String, String> tampered = new LinkedHashMap<>(params);
        tampered.put("MessageStatus", "delivered");
        assertThat(validator.validate(url, tampered, signature)).isFalse();
        assertThat(new RequestValidator("other-token").validate(url, params, signature)).isFalse();

        Map<String, String> inbound = TwilioSigner.inbound(TO, FROM, "STOP", "STOP", SID);
        assertThat(inbound.get("MessageSid")).matches("SM[0-9a-f]{32}").isEqualTo(inbound.get("SmsMessageSid"));
        assertThat(inbound).containsEntry("OptOutType", "STOP").containsEntry("SmsStatus", "received");
        assertThat(TwilioSigner.inbound(TO, FROM, "hi", null, SID)).doesNotContainKey("OptOutType");
        String inboundUrl = "https://hub.example.com/webhooks/twilio/inbound";
        assertThat(validator.validate(inboundUrl, inbound, TwilioSigner.sign(TOKEN, inboundUrl, inbound))).isTrue();
    }

    @Test
    void sdkValidatorAcceptsSignedJson() throws Exception {
        String body = "{\"MessageSid\":\"SMxyz\",\"MessageStatus\":\"delivered\",\"note\":\"caf\u00e9\"}";
        TwilioSigner.SignedJson signed = TwilioSigner.signJson(TOKEN, "https://hub.example.com/webhooks/json?x=1",
                body);
        assertThat(signed.url()).startsWith("https://hub.example.com/webhooks/json?x=1&bodySHA256=")
                .endsWith(TwilioSigner.sha256Hex(body));
        RequestValidator validator = new RequestValidator(TOKEN);
        assertThat(validator.validate(signed.url(), body, signed.signature())).isTrue();
        assertThat(validator.validate(signed.url(), body.replace("delivered", "failed"), signed.signature()))
                .isFalse();
        assertThat(TwilioSigner.signJson(TOKEN, "https://h.example.com/j", "{}").url())
                .startsWith("https://h.example.com/j?bodySHA256=");
    }

    @Test
    void formEncodesInOrder() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("To", "+447700900123");
        p.put("Body", "Hi & bye = é");
        assertThat(TwilioSigner.form(p)).isEqualTo("To=%2B447700900123&Body=Hi+%26+bye+%3D+%C3%A9");
    }

    // ------------------------------------------------------------------ stub through the real SDK

    @Test
    void sdkCreatesMessageAgainstStub() {
        Message m = Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "hello").create(client);

        assertThat(m.getSid()).matches("SM[0-9a-f]{32}");
        assertThat(m.getStatus()).isEqualTo(Message.Status.QUEUED);
        assertThat(m.getTo()).isEqualTo(TO);
        assertThat(m.getFrom().toString()).isEqualTo(FROM);
        assertThat(m.getBody()).isEqualTo("hello");
        assertThat(m.getAccountSid()).isEqualTo(SID);
        assertThat(m.getDirection()).isEqualTo(Message.Direction.OUTBOUND_API);
        assertThat(m.getDateCreated()).isNotNull(); // the SDK parsed our RFC 2822 date
        assertThat(m.getDateSent()).isNull();
        assertThat(m.getErrorCode()).isNull();
        assertThat(m.getNumSegments()).isEqualTo("1");
        assertThat(m.getPriceUnit().getCurrencyCode()).isEqualTo("USD");
        assertThat(m.getUri()).isEqualTo("/2010-04-01/Accounts/" + SID + "/Messages/" + m.getSid() + ".json");

        assertThat(stub.sentCount()).isEqualTo(1);
        TwilioStub.Received r = stub.sent().get(0);
        assertThat(r.to()).isEqualTo(TO);
        assertThat(r.from()).isEqualTo(FROM);
        assertThat(r.body()).isEqualTo("hello");
        assertThat(r.sid()).isEqualTo(m.getSid());
        assertThat(r.httpStatus()).isEqualTo(201);
        assertThat(r.authorization()).isEqualTo("Basic " + Base64.getEncoder()
                .encodeToString((SID + ":" + TOKEN).getBytes(StandardCharsets.UTF_8)));
        assertThat(stub.sentTo(TO)).hasSize(1);
        assertThat(stub.sentTo("+447700900999")).isEmpty();

        Message second = Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "again").create(client);
        assertThat(second.getSid()).isNotEqualTo(m.getSid());
        // fetch goes through the stub too
        assertThat(Message.fetcher(m.getSid()).fetch(client).getBody()).isEqualTo("hello");
    }

    @Test
    void messagingServiceWithoutFromIsAccepted() {
        String mg = "MG00000000000000000000000000000001";
        Message m = Message.creator(new PhoneNumber(TO), mg, "Your appointment \u2013 10:00 \ud83d\udc4d")
                .setStatusCallback(URI.create("https://hub.example.com/webhooks/twilio/status"))
                .setValidityPeriod(600)
                .create(client);
        assertThat(m.getStatus()).isEqualTo(Message.Status.ACCEPTED);
        assertThat(m.getMessagingServiceSid()).isEqualTo(mg);
        assertThat(m.getFrom()).isNull();
        assertThat(m.getBody()).isEqualTo("Your appointment \u2013 10:00 \ud83d\udc4d");
        TwilioStub.Received r = stub.sent().get(0);
        assertThat(r.messagingServiceSid()).isEqualTo(mg);
        assertThat(r.from()).isNull();
        assertThat(r.statusCallback()).isEqualTo("https://hub.example.com/webhooks/twilio/status");
        assertThat(r.params()).containsEntry("ValidityPeriod", "600");
    }

    @Test
    void failNextGivesApiExceptionThenRecovers() {
        // 2, not 1: Apache HttpClient 5.5 under twilio-java (DefaultHttpRequestRetryStrategy) repeats a 429 once
        // after 1 s by itself, see singleTooManyRequestsIsRetriedByHttpClientUnderTheSdk
        stub.failNext(2, 429, 20429, "Too Many Requests");
        ApiException e = catchThrowableOfType(
                () -> Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "one").create(client),
                ApiException.class);
        assertThat(e).isNotNull();
        assertThat(e.getCode()).isEqualTo(20429);
        assertThat(e.getStatusCode()).isEqualTo(429);
        assertThat(e.getMessage()).isEqualTo("Too Many Requests");
        assertThat(e.getMoreInfo()).isEqualTo("https://www.twilio.com/docs/errors/20429");
        assertThat(stub.received()).hasSize(2).allSatisfy(r -> {
            assertThat(r.httpStatus()).isEqualTo(429);
            assertThat(r.sid()).isNull();
        });

        Message m = Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "one").create(client);
        assertThat(m.getSid()).startsWith("SM");
        assertThat(stub.received()).hasSize(3);
        assertThat(stub.sentCount()).isEqualTo(1);
    }

    @Test
    void singleTooManyRequestsIsRetriedByHttpClientUnderTheSdk() {
        stub.failNext(1, 429, 20429, "Too Many Requests");
        long t0 = System.nanoTime();
        Message m = Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "one").create(client);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(m.getSid()).startsWith("SM");
        assertThat(stub.received()).extracting(TwilioStub.Received::httpStatus).containsExactly(429, 201);
        assertThat(ms).isGreaterThanOrEqualTo(900); // HttpClient 5 default retry interval: 1 s
    }

    @Test
    void wrongTokenIs401With20003() {
        TwilioRestClient bad = TwilioStubClient.restClient(SID, "wrong-token", stub.baseUrl());
        ApiException e = catchThrowableOfType(
                () -> Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "x").create(bad),
                ApiException.class);
        assertThat(e.getStatusCode()).isEqualTo(401);
        assertThat(e.getCode()).isEqualTo(20003);
        assertThat(stub.sentCount()).isZero();
        assertThat(stub.received()).singleElement().satisfies(r -> assertThat(r.httpStatus()).isEqualTo(401));

        // right token, other account in the path
        TwilioRestClient other = TwilioStubClient.restClient("AC" + "f".repeat(32), TOKEN, stub.baseUrl());
        ApiException e2 = catchThrowableOfType(
                () -> Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "x").create(other),
                ApiException.class);
        assertThat(e2.getCode()).isEqualTo(20003);
    }

    @Test
    void failForRecipientAndFailAlwaysUntilRecover() {
        stub.failFor("+447700900666", 400, 21610, "Attempt to send to unsubscribed recipient");
        ApiException e = catchThrowableOfType(
                () -> Message.creator(new PhoneNumber("+447700900666"), new PhoneNumber(FROM), "x").create(client),
                ApiException.class);
        assertThat(e.getCode()).isEqualTo(21610);
        assertThat(e.getStatusCode()).isEqualTo(400);
        assertThat(e.getMessage()).isEqualTo("Attempt to send to unsubscribed recipient");
        assertThat(Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "x").create(client).getSid())
                .startsWith("SM");

        stub.failAlways(400, 21614, "'To' number is not a valid mobile number");
        for (int i = 0; i < 3; i++) {
            assertThat(catchThrowableOfType(
                    () -> Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "x").create(client),
                    ApiException.class).getCode()).isEqualTo(21614);
        }
        stub.recover();
        assertThat(Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "x").create(client).getSid())
                .startsWith("SM");
        assertThat(stub.sentCount()).isEqualTo(2);
        assertThat(stub.received()).hasSize(6);

        stub.reset();
        assertThat(stub.received()).isEmpty();
        assertThat(stub.sentCount()).isZero();
        assertThat(Message.creator(new PhoneNumber("+447700900666"), new PhoneNumber(FROM), "x").create(client)
                .getSid()).startsWith("SM");
    }

    @Test
    void sdkRetries5xxSoFailNextOf3IsSeenAsOne500() {
        stub.failNext(3, 500, 20500, "Internal Server Error");
        ApiException e = catchThrowableOfType(
                () -> Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "x").create(client),
                ApiException.class);
        assertThat(e.getStatusCode()).isEqualTo(500);
        assertThat(e.getCode()).isEqualTo(20500);
        assertThat(stub.received()).hasSize(3); // twilio-java's own 3 attempts
        assertThat(Message.creator(new PhoneNumber(TO), new PhoneNumber(FROM), "x").create(client).getSid())
                .startsWith("SM");
    }

    // ------------------------------------------------------------------ raw wire format

    @Test
    void missingParamsGiveTwilioErrors() throws Exception {
        assertError(post("From=%2B447700900001&Body=hi"), 400, 21604);
        assertError(post("To=%2B447700900123&Body=hi"), 400, 21603);
        assertError(post("To=%2B447700900123&From=%2B447700900001"), 400, 21602);
        assertThat(stub.received()).hasSize(3).allSatisfy(r -> assertThat(r.sid()).isNull());

        HttpResponse<String> ok = post("To=%2B447700900123&From=%2B447700900001&Body=" + "a".repeat(161));
        assertThat(ok.statusCode()).isEqualTo(201);
        assertThat(ok.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode json = Jsons.read(ok.body());
        assertThat(json.fieldNames()).toIterable().containsExactly("account_sid", "api_version", "body",
                "date_created", "date_sent", "date_updated", "direction", "error_code", "error_message", "from",
                "messaging_service_sid", "num_media", "num_segments", "price", "price_unit", "sid", "status",
                "subresource_uris", "to", "uri");
        assertThat(json.get("num_segments").isTextual()).isTrue();
        assertThat(json.get("num_segments").asText()).isEqualTo("2");
        assertThat(json.get("date_created").asText())
                .matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} \\+0000");
        assertThat(json.get("error_code").isNull()).isTrue();
        assertThat(json.get("api_version").asText()).isEqualTo("2010-04-01");

        HttpResponse<String> noAuth = http.send(HttpRequest.newBuilder(messagesUri())
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("To=x&From=y&Body=z")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(noAuth.statusCode()).isEqualTo(401);
        assertThat(noAuth.body()).isEqualTo("{\"code\":20003,\"message\":\"Authenticate\","
                + "\"more_info\":\"https://www.twilio.com/docs/errors/20003\",\"status\":401}");
    }

    @Test
    void segmentsCountGsmAndUcs2() {
        assertThat(TwilioStub.segments("a".repeat(160))).isEqualTo(1);
        assertThat(TwilioStub.segments("a".repeat(161))).isEqualTo(2);
        assertThat(TwilioStub.segments("a".repeat(306))).isEqualTo(2);
        assertThat(TwilioStub.segments("a".repeat(307))).isEqualTo(3);
        assertThat(TwilioStub.segments("\u20ac".repeat(80))).isEqualTo(1);  // € = 2 septets
        assertThat(TwilioStub.segments("\u20ac".repeat(81))).isEqualTo(2);
        assertThat(TwilioStub.segments("\u2013".repeat(70))).isEqualTo(1); // en dash: UCS-2
        assertThat(TwilioStub.segments("\u2013".repeat(71))).isEqualTo(2);
    }

    @Test
    void delayIsAppliedWithoutBlockingOtherRequests() throws Exception {
        stub.delay(Duration.ofMillis(300));
        long t0 = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
        for (int i = 0; i < 40; i++) { // more than the 16 workers: latency must not hold a worker
            fs.add(http.sendAsync(form("To=%2B4477009001" + String.format("%02d", i)
                    + "&From=%2B447700900001&Body=hi"), HttpResponse.BodyHandlers.ofString()));
        }
        for (var f : fs) {
            assertThat(f.get().statusCode()).isEqualTo(201);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).isBetween(300L, 5_000L);
        assertThat(stub.sentCount()).isEqualTo(40);
    }

    @Test
    void takesThousandsOfRequestsPerSecond() throws Exception {
        int n = 6_000;
        Semaphore inFlight = new Semaphore(32);
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>(n);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            var f = http.sendAsync(form("To=%2B44770090" + String.format("%04d", i % 10_000)
                    + "&From=%2B447700900001&Body=load"), HttpResponse.BodyHandlers.ofString());
            f.whenComplete((r, t) -> inFlight.release());
            fs.add(f);
        }
        for (var f : fs) {
            assertThat(f.get().statusCode()).isEqualTo(201);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("TwilioStub: %d requests in %.2f s = %.0f req/s%n", n, seconds, n / seconds);
        assertThat(stub.sentCount()).isEqualTo(n);
        assertThat(new HashSet<>(stub.sent().stream().map(TwilioStub.Received::sid).toList())).hasSize(n);

        JsonNode stats = Jsons.read(http.send(HttpRequest.newBuilder(URI.create(stub.baseUrl() + "/stub/stats"))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(stats.get("sent").asInt()).isEqualTo(n);
        assertThat(stats.get("refused").asInt()).isZero();
        assertThat(stats.get("firstAt").asText()).isNotEmpty();
        http.send(HttpRequest.newBuilder(URI.create(stub.baseUrl() + "/stub/reset"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(stub.sentCount()).isZero();
        JsonNode empty = Jsons.read(http.send(HttpRequest.newBuilder(URI.create(stub.baseUrl() + "/stub/stats"))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(empty.get("firstAt").isNull()).isTrue();
    }

    // ------------------------------------------------------------------ helpers

    private URI messagesUri() {
        return URI.create(stub.baseUrl() + "/2010-04-01/Accounts/" + SID + "/Messages.json");
    }

    private HttpRequest form(String body) {
        return HttpRequest.newBuilder(messagesUri())
                .header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString((SID + ":" + TOKEN).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(form(body), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertError(HttpResponse<String> r, int status, int code) {
        assertThat(r.statusCode()).isEqualTo(status);
        JsonNode j = Jsons.read(r.body());
        assertThat(j.get("code").asInt()).isEqualTo(code);
        assertThat(j.get("status").asInt()).isEqualTo(status);
        assertThat(j.get("more_info").asText()).isEqualTo("https://www.twilio.com/docs/errors/" + code);
        assertThat(j.get("message").asText()).isNotBlank();
    }
}
