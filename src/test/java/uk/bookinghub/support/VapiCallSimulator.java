package uk.bookinghub.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Vapi does after it accepted a {@code POST /call} to a number someone answers and books by voice: for each
 * call {@link VapiStub} creates to a number {@link #answer answered} here, it posts to the hub's server URL
 * ({@code POST /webhooks/vapi}, with the shared secret header as Vapi sends it) the server messages of that call,
 * in Vapi's wire format (protocols.md §1): {@code status-update} in-progress, {@code tool-calls} with
 * {@code checkAvailability} (tomorrow to a week on), {@code tool-calls} with {@code bookAppointment} on the first
 * start the hub offered, {@code status-update} ended, then the {@code end-of-call-report}. Each message's
 * {@code call} is the Call Vapi stored (so its {@code assistantOverrides.variableValues} come back as sent).
 * Each conversation is recorded ({@link #conversations()}): what was sent and what the hub answered.
 */
public final class VapiCallSimulator implements AutoCloseable {

    /** One message of a simulated call and the hub's answer. */
    public record Exchanged(String type, String request, int status, String answer) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FIRST_START = Pattern.compile("Starts: (\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2})");

    private final String webhookUrl;
    private final String secretHeader;
    private final String secret;
    private final Set<String> answered = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, List<Exchanged>> conversations = new ConcurrentHashMap<>();
    private final ExecutorService calls = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "vapi-call-simulator");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile Duration ringing = Duration.ofMillis(300);
    private volatile String callerName = "Owner Test";

    /** Follows {@code vapi}'s calls; posts to {@code hubBaseUrl + "/webhooks/vapi"} with {@code X-Vapi-Secret: secret}. */
    public VapiCallSimulator(VapiStub vapi, String hubBaseUrl, String secret) {
        this.webhookUrl = hubBaseUrl.replaceAll("/+$", "") + "/webhooks/vapi";
        this.secretHeader = "X-Vapi-Secret";
        this.secret = secret;
        vapi.onCallCreated(call -> {
            String number = call.path("customer").path("number").asText("");
            if (answered.contains(number)) {
                calls.execute(() -> converse(call));
            }
        });
    }

    /** Calls to this E.164 number are answered and a slot booked by voice. */
    public VapiCallSimulator answer(String e164) {
        answered.add(e164);
        return this;
    }

    /** How long the phone rings before the first message (default 300 ms). */
    public VapiCallSimulator ringing(Duration d) {
        this.ringing = d;
        return this;
    }

    /** The conversations so far, by Vapi call id. */
    public java.util.Map<String, List<Exchanged>> conversations() {
        return java.util.Map.copyOf(conversations);
    }

    private void converse(JsonNode call) {
        String id = call.path("id").asText();
        List<Exchanged> log = conversations.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
        try {
            Thread.sleep(ringing.toMillis());
            Instant started = Instant.now();
            ObjectNode live = ((ObjectNode) call.deepCopy()).put("status", "in-progress");
            send(log, "status-update", message("status-update", live).put("status", "in-progress"));
            LocalDate tomorrow = LocalDate.now(ZoneId.of("Europe/London")).plusDays(1);
            String available = send(log, "tool-calls", toolCalls(live, "checkAvailability",
                    "{\"date\":\"" + tomorrow + "\",\"endDate\":\"" + tomorrow.plusDays(6) + "\"}"));
            Matcher m = FIRST_START.matcher(resultOf(available));
            if (m.find()) {
                String number = call.path("customer").path("number").asText();
                send(log, "tool-calls", toolCalls(live, "bookAppointment",
                        JSON.writeValueAsString(java.util.Map.of("start", m.group(1), "name", callerName, "phone", number))));
            }
            Instant ended = Instant.now();
            ObjectNode done = ((ObjectNode) call.deepCopy()).put("status", "ended").put("endedReason", "customer-ended-call");
            send(log, "status-update", message("status-update", done).put("status", "ended").put("endedReason", "customer-ended-call"));
            ObjectNode report = message("end-of-call-report", done);
            report.put("endedReason", "customer-ended-call");
            report.put("startedAt", started.toString());
            report.put("endedAt", ended.toString());
            report.put("cost", 0.12);
            ObjectNode analysis = report.putObject("analysis");
            analysis.put("summary", "The owner booked a test appointment.");
            analysis.putObject("structuredData").put("outcome", m.find(0) ? "booked" : "not_interested");
            analysis.put("successEvaluation", "true");
            report.putObject("artifact").put("transcript", "AI: Hello, when would suit you?\nUser: The first free time, please.");
            report.set("customer", call.path("customer").deepCopy());
            send(log, "end-of-call-report", report);
        } catch (Exception e) {
            log.add(new Exchanged("error", e.toString(), 0, null));
        }
    }

    private static ObjectNode message(String type, JsonNode call) {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("type", type);
        m.put("timestamp", System.currentTimeMillis());
        m.set("call", call);
        return m;
    }

    /** A tool-calls message in the shape of Vapi's custom-tools page: toolCallList with function.arguments as a JSON string. */
    private static ObjectNode toolCalls(JsonNode call, String name, String arguments) {
        ObjectNode m = message("tool-calls", call);
        String toolCallId = "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        ObjectNode tc = m.putArray("toolCallList").addObject();
        tc.put("id", toolCallId);
        tc.put("type", "function");
        tc.putObject("function").put("name", name).put("arguments", arguments);
        ObjectNode w = m.putArray("toolWithToolCallList").addObject();
        w.put("type", "function");
        w.put("name", name);
        w.set("toolCall", tc.deepCopy());
        return m;
    }

    private static String resultOf(String answer) throws Exception {
        JsonNode n = JSON.readTree(answer == null ? "{}" : answer);
        return n.path("results").path(0).path("result").asText("");
    }

    private String send(List<Exchanged> log, String type, ObjectNode message) throws Exception {
        ObjectNode envelope = JsonNodeFactory.instance.objectNode();
        envelope.set("message", message);
        String body = JSON.writeValueAsString(envelope);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(webhookUrl)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").header(secretHeader, secret)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        log.add(new Exchanged(type, body, r.statusCode(), r.body()));
        return r.body();
    }

    @Override
    public void close() {
        calls.shutdownNow();
    }
}
