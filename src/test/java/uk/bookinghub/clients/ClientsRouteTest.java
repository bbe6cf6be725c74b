package uk.bookinghub.clients;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Onboarding (admin) gives a client a unique key and an API key that works at once and is never
 * stored in clear; a missing or wrong key is 401; invalid input is a 400 naming each field.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ClientsRouteTest {

    private TestDatabase db;
    private RunningHub hub;

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        hub = RunningHub.start(db.hubUrl(), Map.of());
    }

    @AfterAll
    void stop() {
        hub.close();
        db.close();
    }

    private HttpResponse<String> onboard(String json, String token) {
        return hub.post("/api/clients/onboard", "application/json", json, "Authorization", "Bearer " + token);
    }

    @Test
    void onboardedClientsKeyWorksAndIsNotStoredInClear() throws Exception {
        HttpResponse<String> r = onboard("{\"businessName\":\"Smith & Sons Plumbing Ltd.\",\"email\":\"Office@Smith.example\","
                + "\"phone\":\"+44 (0)113 496 0123\",\"industry\":\"plumbing\",\"services\":[\"boiler service\",\"repair\"],"
                + "\"timezone\":\"Europe/London\",\"vapiAssistantId\":\"asst-1\"}", RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode body = Jsons.read(r.body());
        assertThat(body.get("clientKey").asText()).isEqualTo("smith-sons-plumbing-ltd");
        assertThat(body.get("phone").asText()).isEqualTo("+441134960123");
        String apiKey = body.get("apiKey").asText();
        assertThat(apiKey).startsWith("bh_").hasSizeGreaterThan(40);

        HttpResponse<String> me = hub.get("/api/clients/me", "X-API-Key", apiKey);
        assertThat(me.statusCode()).isEqualTo(200);
        assertThat(Jsons.read(me.body()).get("clientKey").asText()).isEqualTo("smith-sons-plumbing-ltd");
        assertThat(Jsons.read(me.body()).has("apiKey")).isFalse();

        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select key_hash, key_prefix from api_keys k join clients c on c.id = k.client_id where c.client_key = 'smith-sons-plumbing-ltd'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("key_hash")).isNotEqualTo(apiKey).doesNotContain(apiKey.substring(3)).hasSize(64);
            assertThat(apiKey).startsWith(rs.getString("key_prefix"));
        }
        assertThat(dump()).doesNotContain(apiKey).doesNotContain(apiKey.substring(10));
    }

    private String dump() throws Exception {
        StringBuilder all = new StringBuilder();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (String table : new String[] {"clients", "api_keys", "error_log", "dead_letters"}) {
                try (ResultSet rs = s.executeQuery("select * from " + table)) {
                    int n = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        for (int i = 1; i <= n; i++) {
                            all.append(rs.getString(i)).append('|');
                        }
                    }
                }
            }
        }
        return all.toString();
    }

    @Test
    void sameBusinessNameGetsTheNextFreeKey() {
        String json = "{\"businessName\":\"Bright Smiles\",\"email\":\"a@b.example\",\"phone\":\"07700 900001\"}";
        assertThat(Jsons.read(onboard(json, RunningHub.ADMIN_TOKEN).body()).get("clientKey").asText()).isEqualTo("bright-smiles");
        assertThat(Jsons.read(onboard(json, RunningHub.ADMIN_TOKEN).body()).get("clientKey").asText()).isEqualTo("bright-smiles-2");
    }

    @Test
    void missingOrWrongKeysAre401() {
        assertThat(hub.get("/api/clients/me").statusCode()).isEqualTo(401);
        HttpResponse<String> wrong = hub.get("/api/clients/me", "X-API-Key", "bh_not-a-real-key");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(Jsons.read(wrong.body()).get("error").asText()).isEqualTo("invalid API key");
        assertThat(onboard("{}", "wrong-token").statusCode()).isEqualTo(401);
        assertThat(hub.post("/api/clients/onboard", "application/json", "{}").statusCode()).isEqualTo(401);
    }

    @Test
    void invalidClientIs400NamingEachFieldAndStoresNothing() throws Exception {
        long before = clients();
        HttpResponse<String> r = onboard("{\"businessName\":\"  \",\"email\":\"nope\",\"phone\":\"12\",\"timezone\":\"Mars/Base\",\"services\":[1]}",
                RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode fields = Jsons.read(r.body()).get("fields");
        assertThat(fields.get("businessName").asText()).isEqualTo("required");
        assertThat(fields.get("email").asText()).contains("not an email address");
        assertThat(fields.get("phone").asText()).contains("not a valid phone number");
        assertThat(fields.get("timezone").asText()).contains("Mars/Base");
        assertThat(fields.get("services").asText()).contains("strings");
        assertThat(onboard("not json", RunningHub.ADMIN_TOKEN).statusCode()).isEqualTo(400);
        assertThat(clients()).isEqualTo(before);
    }

    private long clients() throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from clients")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aPhoneTheLeadIntakeWouldRefuseIsRefusedAtOnboardingToo() throws Exception {
        long before = clients();
        HttpResponse<String> r = onboard("{\"businessName\":\"Short Number Ltd\",\"email\":\"a@short.example\",\"phone\":\"12345\"}", RunningHub.ADMIN_TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(Jsons.read(r.body()).get("fields").get("phone").asText()).contains("'12345' is not a valid phone number");
        HttpResponse<String> from = onboard("{\"businessName\":\"Short Number Ltd\",\"email\":\"a@short.example\",\"phone\":\"0113 496 0000\","
                + "\"smsFromNumber\":\"12345\"}", RunningHub.ADMIN_TOKEN);
        assertThat(from.statusCode()).as(from.body()).isEqualTo(400);
        assertThat(Jsons.read(from.body()).get("fields").get("smsFromNumber").asText()).contains("not a valid phone number");
        assertThat(clients()).isEqualTo(before);
    }
}
