package uk.bookinghub;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import uk.bookinghub.phones.PhoneClassifier;
import uk.bookinghub.support.HubProcess;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.Readme;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's "Try it", copied and pasted: the hub is started with the environment variables and
 * JVM options of its one start command (a separate JVM, as from a shell), then its curl requests are
 * sent as written (only {@code localhost:8080} becomes the test's port and {@code <the apiKey>} the
 * key the onboarding answered). So the README's requests cannot drift from what the hub answers.
 */
class ReadmeTryItTest {

    /** One curl command of the README. */
    private record Curl(String method, String url, List<String> headers, String body) {

        static Curl parse(String command) {
            List<String> w = Readme.words(command);
            assertThat(w.get(0)).isEqualTo("curl");
            String method = null;
            String url = null;
            String body = null;
            List<String> headers = new ArrayList<>();
            for (int i = 1; i < w.size(); i++) {
                switch (w.get(i)) {
                    case "-s" -> { }
                    case "-X" -> method = w.get(++i);
                    case "-H" -> headers.add(w.get(++i));
                    case "-d", "--data", "--data-binary" -> body = w.get(++i);
                    default -> {
                        assertThat(w.get(i)).as("a curl option this test does not know: " + command).doesNotStartWith("-");
                        url = w.get(i);
                    }
                }
            }
            return new Curl(method != null ? method : body != null ? "POST" : "GET", url, headers, body);
        }

        HttpResponse<String> send(HubProcess hub, String apiKey) {
            String target = url.startsWith("http") ? url : "http://" + url;
            assertThat(target).startsWith("http://localhost:8080/");
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url(target.substring("http://localhost:8080".length()))))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            for (String h : headers) {
                int colon = h.indexOf(':');
                b.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim().replace("<the apiKey>", apiKey == null ? "" : apiKey));
            }
            return hub.send(b);
        }
    }

    @Test
    void theReadmesTryItRequestsWorkAgainstAHubStartedAsItSays() {
        List<String> section = Readme.load().section("The two commands");
        int tryIt = -1;
        for (int i = 0; i < section.size(); i++) {
            if (section.get(i).startsWith("Try it")) {
                tryIt = i;
            }
        }
        assertThat(tryIt).as("a paragraph starting 'Try it' in 'The two commands'").isNotNegative();
        List<String> commands = Readme.commands(section.subList(tryIt, section.size()));
        // both start the hub with the launcher, bin/hub, and no other options (LauncherTest: what it runs)
        Readme.HubStart start = Readme.hubStart(commands);
        Readme.HubStart buildAndStart = Readme.hubStart(Readme.commands(section.subList(0, tryIt)));
        assertThat(buildAndStart.env()).as("the first command sets nothing").isEmpty();
        assertThat(start.env()).containsKeys("HUB_ADMIN_TOKEN", "VAPI_WEBHOOK_SECRET");

        List<Curl> curls = commands.stream().filter(c -> c.startsWith("curl ")).map(Curl::parse).toList();
        assertThat(curls).extracting(Curl::url).containsExactly("localhost:8080/health", "localhost:8080/api/clients/onboard",
                "localhost:8080/api/clients/me");

        // onboarding itself takes any number libphonenumber parses; the README's example must be one the
        // hub's lead checks accept too (not an Ofcom drama range) without HUB_ALLOW_TEST_NUMBERS
        String phone = Jsons.read(curls.get(1).body()).path("phone").asText();
        var check = new PhoneClassifier(false).check(phone, "GB");
        assertThat(check.valid()).as("README example phone " + phone + ": " + check.reason()).isTrue();
        assertThat(start.env()).doesNotContainKey("HUB_ALLOW_TEST_NUMBERS");

        try (HubProcess hub = HubProcess.start(List.of("-XX:+UseParallelGC"), start.env())) {
            HttpResponse<String> health = curls.get(0).send(hub, null);
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(Jsons.read(health.body()).has("status")).isTrue();

            HttpResponse<String> onboard = curls.get(1).send(hub, null);
            assertThat(onboard.statusCode()).as(onboard.body()).isEqualTo(201);
            JsonNode client = Jsons.read(onboard.body());
            assertThat(client.path("clientKey").asText()).isEqualTo("acme-solar");
            String apiKey = client.path("apiKey").asText();
            assertThat(apiKey).isNotBlank();

            HttpResponse<String> me = curls.get(2).send(hub, apiKey);
            assertThat(me.statusCode()).as(me.body()).isEqualTo(200);
            assertThat(Jsons.read(me.body()).path("clientKey").asText()).isEqualTo("acme-solar");
        }
    }
}
