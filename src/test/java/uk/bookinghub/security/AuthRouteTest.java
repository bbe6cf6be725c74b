package uk.bookinghub.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.MovableClock;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Client authentication as a client meets it, on the real hub: an API key gets a short-lived token
 * that opens every client endpoint; a token that expired (by the hub's clock), was changed in any
 * part, is unsigned, was signed with another key, or names another issuer or audience is a 401 that
 * says which and never repeats the token or the key; a revoked key and every token issued from it
 * stop at once, on a second instance too (PostgreSQL); the admin token is no client and a client is
 * no admin; a client lists, creates and revokes only its own keys.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AuthRouteTest {

    private static final String ISSUER = "booking-hub";
    private static final String AUDIENCE = "booking-hub-api";
    private static final int MAX_KEYS = 4;

    private final MovableClock clock = new MovableClock();
    private TestDatabase db;
    private RunningHub hub;
    /** A second instance on the same database (PostgreSQL only; SQLite is one instance). */
    private RunningHub second;
    private String keyA;
    private String keyB;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        hub = RunningHub.start(db.hubUrl(), Map.of("hub.auth.max-keys-per-client", String.valueOf(MAX_KEYS)), Map.of("hubClock", clock));
        if (kind() == TestDatabase.Kind.POSTGRESQL) {
            second = RunningHub.start(db.hubUrl(), Map.of("camel.main.name", "hub-b"), Map.of("hubClock", clock));
        }
        keyA = hub.onboard("{\"businessName\":\"Token Alpha\",\"email\":\"alpha@token.example\",\"phone\":\"0113 496 0200\"}");
        keyB = hub.onboard("{\"businessName\":\"Token Beta\",\"email\":\"beta@token.example\",\"phone\":\"0113 496 0201\"}");
    }

    @AfterAll
    void stop() {
        if (second != null) {
            second.close();
        }
        hub.close();
        db.close();
    }

    private String token(RunningHub on, String apiKey) {
        HttpResponse<String> r = on.post("/api/auth/token", null, "", "X-API-Key", apiKey);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body()).get("token").asText();
    }

    private HttpResponse<String> me(RunningHub on, String token) {
        return on.get("/api/clients/me", "Authorization", "Bearer " + token);
    }

    /** A 401 whose reason is {@code reason}, saying nothing of the token or of any key. */
    private void refused(HttpResponse<String> r, String reason, String token) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
        JsonNode body = Jsons.read(r.body());
        assertThat(body.get("reason").asText()).as(r.body()).isEqualTo(reason);
        assertThat(body.get("error").asText()).contains(reason);
        assertThat(r.body()).doesNotContain(token).doesNotContain(keyA).doesNotContain(keyB).doesNotContain(RunningHub.JWT_SECRET);
    }

    private static String sign(String secret, JWSAlgorithm alg, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    /** Claims as the hub issues them for client A's onboarding key, now by the hub's clock. */
    private JWTClaimsSet.Builder claimsOfA() {
        Instant now = clock.instant();
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject("token-alpha").issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofMinutes(15)))).jwtID(UUID.randomUUID().toString())
                .claim("tier", "free").claim("akp", ApiKeys.prefix(keyA));
    }

    /** The token with its part {@code index} (0 header, 1 payload) decoded, changed as JSON and encoded again. */
    private static String withPart(String token, int index, UnaryOperator<ObjectNode> change) {
        String[] parts = token.split("\\.", -1);
        ObjectNode json = (ObjectNode) Jsons.read(new Base64URL(parts[index]).decodeToString());
        parts[index] = Base64URL.encode(change.apply(json).toString()).toString();
        return String.join(".", parts);
    }

    @Test
    void anApiKeyGetsATokenThatOpensEveryClientEndpoint() throws Exception {
        HttpResponse<String> r = hub.post("/api/auth/token", null, "", "X-API-Key", keyA);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = Jsons.read(r.body());
        assertThat(body.get("tokenType").asText()).isEqualTo("Bearer");
        assertThat(body.get("expiresIn").asInt()).isEqualTo(900);
        assertThat(r.headers().firstValue("Cache-Control")).as("no cache keeps a token").hasValue("no-store");
        String token = body.get("token").asText();

        SignedJWT jwt = SignedJWT.parse(token);
        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.HS256);
        JWTClaimsSet c = jwt.getJWTClaimsSet();
        assertThat(c.getIssuer()).isEqualTo(ISSUER);
        assertThat(c.getAudience()).containsExactly(AUDIENCE);
        assertThat(c.getSubject()).isEqualTo("token-alpha");
        assertThat(c.getJWTID()).isNotBlank();
        assertThat(c.getStringClaim("tier")).isEqualTo("free");
        assertThat(c.getStringClaim("akp")).isEqualTo(ApiKeys.prefix(keyA));
        assertThat(c.getExpirationTime().getTime() - c.getIssueTime().getTime()).isEqualTo(900_000L);
        assertThat(c.getIssueTime().toInstant()).isBetween(clock.instant().minusSeconds(5), clock.instant().plusSeconds(1));
        assertThat(token).doesNotContain(keyA).doesNotContain(keyA.substring(10));

        // the token is the client: reads, writes, and endpoints that also take the admin token
        assertThat(Jsons.read(me(hub, token).body()).get("clientKey").asText()).isEqualTo("token-alpha");
        HttpResponse<String> lead = hub.post("/api/leads", "application/json", "{\"name\":\"Ann Token\",\"phone\":\"+447700900211\"}",
                "Authorization", "Bearer " + token);
        assertThat(lead.statusCode()).as(lead.body()).isIn(200, 201);
        HttpResponse<String> optOut = hub.post("/api/opt-outs", "application/json", "{\"phone\":\"+447700900212\"}", "Authorization", "Bearer " + token);
        assertThat(optOut.statusCode()).as(optOut.body()).isIn(200, 201);
        assertThat(hub.get("/api/opt-outs", "Authorization", "Bearer " + token).body()).contains("+447700900212");
        assertThat(hub.get("/api/opt-outs", "X-API-Key", keyB).body()).doesNotContain("+447700900212");

        // a token is not exchanged for another
        HttpResponse<String> again = hub.post("/api/auth/token", null, "", "Authorization", "Bearer " + token);
        assertThat(again.statusCode()).as(again.body()).isEqualTo(403);
        assertThat(again.body()).contains("X-API-Key");
    }

    @Test
    void aTokenExpiresByTheHubsClockWithSixtySecondsOfSkew() {
        String token = token(hub, keyA);
        clock.advance(Duration.ofMinutes(15).plusSeconds(50)); // past exp, within the 60 s skew
        assertThat(me(hub, token).statusCode()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(20));
        refused(me(hub, token), "expired", token);
        assertThat(me(hub, token(hub, keyA)).statusCode()).as("a new token").isEqualTo(200);
    }

    @Test
    void aTokenChangedInAnyPartIsRefused() {
        String token = token(hub, keyA);
        String header = withPart(token, 0, h -> h.put("kid", "other"));
        String payload = withPart(token, 1, p -> p.put("sub", "token-beta"));
        String longer = withPart(token, 1, p -> p.put("exp", p.get("exp").asLong() + 86_400));
        String[] parts = token.split("\\.");
        String signature = parts[0] + "." + parts[1] + "." + (parts[2].charAt(0) == 'A' ? 'B' : 'A') + parts[2].substring(1);
        for (String changed : List.of(header, payload, longer, signature)) {
            refused(me(hub, changed), "bad_signature", changed);
        }
        refused(me(hub, parts[0] + "." + parts[1] + "."), "bad_signature", token);
        refused(me(hub, "not.a.token"), "malformed", token);
        assertThat(me(hub, token).statusCode()).as("the token itself still works").isEqualTo(200);
    }

    @Test
    void anUnsignedTokenOrAnotherAlgorithmIsRefused() throws Exception {
        String real = token(hub, keyA);
        String payload = real.split("\\.")[1];
        for (String alg : List.of("none", "None", "NONE")) {
            String unsigned = Base64URL.encode("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}") + "." + payload + ".";
            refused(me(hub, unsigned), "alg_none", unsigned);
        }
        // the real token's payload under a header changed to alg none, its signature kept
        String downgraded = withPart(real, 0, h -> h.put("alg", "none"));
        refused(me(hub, downgraded), "alg_none", downgraded);
        String hs512 = sign(RunningHub.JWT_SECRET + RunningHub.JWT_SECRET, JWSAlgorithm.HS512, claimsOfA().build());
        refused(me(hub, hs512), "alg_not_accepted", hs512);
    }

    @Test
    void aTokenSignedWithAnotherKeyIsRefused() throws Exception {
        String forged = sign("another-secret-of-at-least-32-bytes-9876543210", JWSAlgorithm.HS256, claimsOfA().build());
        refused(me(hub, forged), "bad_signature", forged);
        String genuine = sign(RunningHub.JWT_SECRET, JWSAlgorithm.HS256, claimsOfA().build());
        assertThat(me(hub, genuine).statusCode()).as("the same claims with the hub's key").isEqualTo(200);
    }

    @Test
    void aTokenOfAnotherAudienceOrIssuerOrWithoutExpiryIsRefused() throws Exception {
        String audience = sign(RunningHub.JWT_SECRET, JWSAlgorithm.HS256, claimsOfA().audience("another-api").build());
        refused(me(hub, audience), "wrong_audience", audience);
        String noAudience = sign(RunningHub.JWT_SECRET, JWSAlgorithm.HS256, claimsOfA().audience((String) null).build());
        refused(me(hub, noAudience), "wrong_audience", noAudience);
        String issuer = sign(RunningHub.JWT_SECRET, JWSAlgorithm.HS256, claimsOfA().issuer("booking-hub-staging").build());
        refused(me(hub, issuer), "wrong_issuer", issuer);
        String noExpiry = sign(RunningHub.JWT_SECRET, JWSAlgorithm.HS256, claimsOfA().expirationTime(null).build());
        refused(me(hub, noExpiry), "missing_claims", noExpiry);
        String notYet = sign(RunningHub.JWT_SECRET, JWSAlgorithm.HS256, claimsOfA().notBeforeTime(Date.from(clock.instant().plusSeconds(600))).build());
        refused(me(hub, notYet), "not_yet_valid", notYet);
        String otherKey = sign(RunningHub.JWT_SECRET, JWSAlgorithm.HS256, claimsOfA().claim("akp", "bh_nosuchk").build());
        refused(me(hub, otherKey), "key_unknown", otherKey);
    }

    @Test
    void aRevokedKeyAndItsTokensStopAtOnceOnEveryInstance() {
        HttpResponse<String> created = hub.post("/api/clients/me/api-keys", null, "", "X-API-Key", keyA);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String key2 = Jsons.read(created.body()).get("apiKey").asText();
        String prefix2 = Jsons.read(created.body()).get("prefix").asText();
        assertThat(key2).startsWith(prefix2).startsWith("bh_");
        String token2 = token(hub, key2);
        List<RunningHub> instances = new ArrayList<>(List.of(hub));
        if (second != null) {
            instances.add(second);
        }
        for (RunningHub on : instances) {
            assertThat(on.get("/api/clients/me", "X-API-Key", key2).statusCode()).isEqualTo(200);
            assertThat(me(on, token2).statusCode()).isEqualTo(200);
        }

        HttpResponse<String> revoked = hub.delete("/api/clients/me/api-keys/" + prefix2, "X-API-Key", keyA);
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
        JsonNode row = Jsons.read(revoked.body());
        assertThat(row.get("active").asBoolean()).isFalse();
        assertThat(row.get("revokedAt").asText()).isNotBlank();

        for (RunningHub on : instances) {
            HttpResponse<String> byKey = on.get("/api/clients/me", "X-API-Key", key2);
            assertThat(byKey.statusCode()).as(byKey.body()).isEqualTo(401);
            assertThat(Jsons.read(byKey.body()).get("reason").asText()).isEqualTo("key_revoked");
            assertThat(byKey.body()).doesNotContain(key2);
            refused(me(on, token2), "key_revoked", token2);
            assertThat(on.post("/api/auth/token", null, "", "X-API-Key", key2).statusCode()).isEqualTo(401);
        }
        // a retry of the revocation changes nothing; the onboarding key goes on working
        HttpResponse<String> retry = hub.delete("/api/clients/me/api-keys/" + prefix2, "X-API-Key", keyA);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(Jsons.read(retry.body()).get("revokedAt").asText()).isEqualTo(row.get("revokedAt").asText());
        assertThat(hub.get("/api/clients/me", "X-API-Key", keyA).statusCode()).isEqualTo(200);
    }

    @Test
    void aRequestCannotRevokeTheKeyItIsAuthenticatedBy() {
        String prefixA = ApiKeys.prefix(keyA);
        HttpResponse<String> byKey = hub.delete("/api/clients/me/api-keys/" + prefixA, "X-API-Key", keyA);
        assertThat(byKey.statusCode()).as(byKey.body()).isEqualTo(409);
        HttpResponse<String> byToken = hub.delete("/api/clients/me/api-keys/" + prefixA, "Authorization", "Bearer " + token(hub, keyA));
        assertThat(byToken.statusCode()).as(byToken.body()).isEqualTo(409);
        assertThat(byToken.body()).contains("another of your keys");
        assertThat(hub.get("/api/clients/me", "X-API-Key", keyA).statusCode()).isEqualTo(200);
    }

    @Test
    void aClientListsCreatesAndRevokesOnlyItsOwnKeys() {
        String prefixA = ApiKeys.prefix(keyA);
        hub.get("/api/clients/me", "X-API-Key", keyA); // a use to record
        JsonNode listA = Jsons.read(hub.get("/api/clients/me/api-keys", "X-API-Key", keyA).body()).get("apiKeys");
        JsonNode onboarding = null;
        for (JsonNode k : listA) {
            assertThat(k.has("apiKey")).as("a listing never shows a key").isFalse();
            if (k.get("prefix").asText().equals(prefixA)) {
                onboarding = k;
            }
        }
        assertThat(onboarding).as("the onboarding key is listed").isNotNull();
        assertThat(onboarding.get("active").asBoolean()).isTrue();
        assertThat(onboarding.get("current").asBoolean()).isTrue();
        assertThat(onboarding.get("createdAt").asText()).isNotBlank();
        assertThat(onboarding.get("lastUsedAt").isTextual()).as("last used recorded").isTrue();
        assertThat(onboarding.get("revokedAt").isNull()).isTrue();

        // B sees only its own keys, and A's prefix is nothing to B: 404, and A's key is untouched
        JsonNode listB = Jsons.read(hub.get("/api/clients/me/api-keys", "X-API-Key", keyB).body()).get("apiKeys");
        assertThat(listB).extracting(k -> k.get("prefix").asText()).containsExactly(ApiKeys.prefix(keyB));
        HttpResponse<String> bRevokesA = hub.delete("/api/clients/me/api-keys/" + prefixA, "X-API-Key", keyB);
        assertThat(bRevokesA.statusCode()).as(bRevokesA.body()).isEqualTo(404);
        assertThat(hub.delete("/api/clients/me/api-keys/bh_nothere", "X-API-Key", keyB).statusCode()).isEqualTo(404);
        assertThat(hub.get("/api/clients/me", "X-API-Key", keyA).statusCode()).isEqualTo(200);
        assertThat(Jsons.read(hub.get("/api/clients/me/api-keys", "X-API-Key", keyB).body()).get("apiKeys")).hasSize(1);
    }

    @Test
    void aClientHoldsAtMostTheConfiguredNumberOfActiveKeys() {
        String keyC = hub.onboard("{\"businessName\":\"Token Gamma\",\"email\":\"gamma@token.example\",\"phone\":\"0113 496 0202\"}");
        List<String> prefixes = new ArrayList<>();
        for (int i = 1; i < MAX_KEYS; i++) {
            HttpResponse<String> r = hub.post("/api/clients/me/api-keys", null, "", "X-API-Key", keyC);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            prefixes.add(Jsons.read(r.body()).get("prefix").asText());
        }
        HttpResponse<String> over = hub.post("/api/clients/me/api-keys", null, "", "X-API-Key", keyC);
        assertThat(over.statusCode()).as(over.body()).isEqualTo(409);
        assertThat(over.body()).contains("hub.auth.max-keys-per-client");
        assertThat(hub.delete("/api/clients/me/api-keys/" + prefixes.get(0), "X-API-Key", keyC).statusCode()).isEqualTo(200);
        assertThat(hub.post("/api/clients/me/api-keys", null, "", "X-API-Key", keyC).statusCode()).as("one revoked, one more").isEqualTo(201);
    }

    @Test
    void theAdminTokenIsNoClientAndAClientIsNoAdmin() {
        String admin = "Bearer " + RunningHub.ADMIN_TOKEN;
        HttpResponse<String> adminAsClient = hub.get("/api/clients/me", "Authorization", admin);
        assertThat(adminAsClient.statusCode()).as(adminAsClient.body()).isEqualTo(403);
        assertThat(adminAsClient.body()).doesNotContain(RunningHub.ADMIN_TOKEN);
        assertThat(hub.post("/api/auth/token", null, "", "Authorization", admin).statusCode()).isEqualTo(403);
        assertThat(hub.get("/api/clients/me/api-keys", "Authorization", admin).statusCode()).isEqualTo(403);

        String token = token(hub, keyA);
        HttpResponse<String> clientAsAdmin = hub.get("/api/admin/db-stats", "Authorization", "Bearer " + token);
        assertThat(clientAsAdmin.statusCode()).as(clientAsAdmin.body()).isEqualTo(403);
        assertThat(hub.get("/api/admin/db-stats", "X-API-Key", keyA).statusCode()).isEqualTo(403);
        HttpResponse<String> onboard = hub.post("/api/clients/onboard", "application/json", "{}", "Authorization", "Bearer " + token);
        assertThat(onboard.statusCode()).as(onboard.body()).isEqualTo(403);
        // a bad token on an admin endpoint is a 401 with its reason, not a 403
        refused(hub.get("/api/admin/db-stats", "Authorization", "Bearer " + withPart(token, 1, p -> p.put("sub", "x"))), "bad_signature", token);

        // the admin token keeps working, also where clients are served too
        assertThat(hub.get("/api/admin/db-stats", "Authorization", admin).statusCode()).isEqualTo(200);
        HttpResponse<String> global = hub.get("/api/opt-outs?scope=global", "Authorization", admin);
        assertThat(global.statusCode()).as(global.body()).isEqualTo(200);
        // and on such an endpoint a client token is the client, not the admin
        HttpResponse<String> asClient = hub.get("/api/opt-outs?scope=global", "Authorization", "Bearer " + token);
        assertThat(asClient.statusCode()).as(asClient.body()).isIn(400, 403, 404);
    }

    /** A client onboarded before V14 (its key a row of api_keys without a last-use column) keeps its key, and gets tokens with it. */
    @Test
    void aKeyFromBeforeTheKeysMigrationKeepsWorking() throws Exception {
        try (TestDatabase old = TestDatabase.create(kind())) {
            old.migrateTo("13");
            String key = ApiKeys.newKey();
            try (Connection c = old.connect()) {
                try (PreparedStatement ps = c.prepareStatement("insert into clients (client_key, business_name, contact_email, contact_phone) values (?,?,?,?)")) {
                    ps.setString(1, "old-plumbing");
                    ps.setString(2, "Old Plumbing");
                    ps.setString(3, "old@plumbing.example");
                    ps.setString(4, "+441134960300");
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement("insert into api_keys (client_id, key_prefix, key_hash) "
                        + "select id, ?, ? from clients where client_key = 'old-plumbing'")) {
                    ps.setString(1, ApiKeys.prefix(key));
                    ps.setString(2, ApiKeys.hash(key));
                    ps.executeUpdate();
                }
            }
            try (RunningHub upgraded = RunningHub.start(old.hubUrl(), Map.of("camel.main.name", "hub-upgraded"))) {
                assertThat(Jsons.read(upgraded.get("/api/clients/me", "X-API-Key", key).body()).get("clientKey").asText()).isEqualTo("old-plumbing");
                HttpResponse<String> t = upgraded.post("/api/auth/token", null, "", "X-API-Key", key);
                assertThat(t.statusCode()).as(t.body()).isEqualTo(200);
                assertThat(me(upgraded, Jsons.read(t.body()).get("token").asText()).statusCode()).isEqualTo(200);
                JsonNode keys = Jsons.read(upgraded.get("/api/clients/me/api-keys", "X-API-Key", key).body()).get("apiKeys");
                assertThat(keys).singleElement().satisfies(k -> {
                    assertThat(k.get("prefix").asText()).isEqualTo(ApiKeys.prefix(key));
                    assertThat(k.get("active").asBoolean()).isTrue();
                });
            }
        }
    }
}
