package uk.bookinghub.onboarding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.analytics.AnalyticsEvent;
import uk.bookinghub.booking.Appointment;
import uk.bookinghub.booking.BookingStore;
import uk.bookinghub.booking.BookingTools;
import uk.bookinghub.calls.VapiMessage;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.http.Reply;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The wizard's last step: a test call to the owner's own phone ({@code POST /api/onboarding/test-call})
 * through Vapi ({@code POST /call}, the client's assistant and number), followed step by step: the call
 * carries {@code onboardingTestId} in its variables, so the Vapi webhook's tool calls and end-of-call
 * report of that call are recorded as {@code onboarding_test_steps} (each an {@code onboarding_test}
 * event of the client's stream). Once the report is in and the booking's SMS confirmation has left
 * the outbox (or after {@code hub.onboarding.confirmation-wait-seconds}), the test booking is cancelled
 * by the hub and the result recorded; a call with no report after {@code hub.onboarding.test-call-timeout-seconds}
 * fails (its booking cancelled too). Whichever instance gets there first finishes a test call, once.
 */
public final class OnboardingTests {

    private static final Logger LOG = LoggerFactory.getLogger(OnboardingTests.class);
    public static final String TEST_VARIABLE = "onboardingTestId";
    private static final Set<String> WAITING = Set.of("queued", "sending");
    private static final Set<String> SENT = Set.of("sent", "delivered");

    private final OnboardingStore store;
    private final ClientStore clients;
    private final BookingStore bookings;
    private final BookingTools tools;
    private final OnboardingChecks.Vapi vapi;
    private final String sharedPhoneNumberId;
    private final java.util.function.Function<Client, String> assistantOf;
    private final Clock clock;
    private final Duration confirmationWait;
    private final Duration callTimeout;
    private final ProducerTemplate partner;

    public OnboardingTests(OnboardingStore store, ClientStore clients, BookingStore bookings, BookingTools tools, OnboardingChecks.Vapi vapi,
                           String sharedPhoneNumberId, java.util.function.Function<Client, String> assistantOf, Clock clock,
                           Duration confirmationWait, Duration callTimeout, CamelContext camel) {
        this.store = store;
        this.clients = clients;
        this.bookings = bookings;
        this.tools = tools;
        this.vapi = vapi;
        this.sharedPhoneNumberId = sharedPhoneNumberId;
        this.assistantOf = assistantOf;
        this.clock = clock;
        this.confirmationWait = confirmationWait;
        this.callTimeout = callTimeout;
        this.partner = camel.createProducerTemplate();
    }

    static Map<String, Object> view(OnboardingStore.TestCall t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("testId", t.id());
        m.put("status", t.status());
        m.put("ok", t.ok());
        m.put("vapiCallId", t.vapiCallId());
        m.put("placedAt", t.placedAt() == null ? null : t.placedAt().toString());
        m.put("endedAt", t.endedAt() == null ? null : t.endedAt().toString());
        m.put("finishedAt", t.finishedAt() == null ? null : t.finishedAt().toString());
        if (t.result() != null) {
            m.put("result", OnboardingApi.read(t.result()));
        }
        return m;
    }

    // ---- placing the call -----------------------------------------------------------------------

    /** {@code POST /api/onboarding/test-call}: Vapi calls the owner's phone with the client's assistant; 201 with the test's id. */
    public Reply start(Client given, uk.bookinghub.audit.Audit audit) {
        Client c = clients.byId(given.id()).orElse(given);
        Map<String, Object> missing = new LinkedHashMap<>();
        String assistant = assistantOf.apply(c);
        if (assistant == null) {
            missing.put("assistant", "the client has no assistant of its own yet: create it first (POST /api/clients/me/assistant)");
        }
        String number = OnboardingChecks.present(c.vapiPhoneNumberId()) ? c.vapiPhoneNumberId() : sharedPhoneNumberId;
        if (number == null) {
            missing.put("vapiPhoneNumberId", "no Vapi phone number to call from: check the numbers first (POST /api/onboarding/numbers-check)");
        }
        if (c.phone() == null) {
            missing.put("phone", "the owner's phone is not known");
        }
        if (vapi.privateKey() == null || vapi.baseUrl() == null) {
            missing.put("vapi", "Vapi is not configured on this hub (VAPI_PRIVATE_KEY)");
        }
        if (!missing.isEmpty()) {
            throw new HttpProblem(409, "the test call cannot be placed yet: " + String.join("; ", missing.values().stream().map(String::valueOf).toList()),
                    Map.of("fields", missing));
        }
        Optional<OnboardingStore.TestCall> last = store.latestTestCall(c.id());
        if (last.isPresent() && Set.of("placed", "ended").contains(last.get().status())) {
            throw new HttpProblem(409, "test call " + last.get().id() + " is still " + last.get().status() + ": wait for it to finish",
                    Map.of("testCall", view(last.get())));
        }
        Instant now = clock.instant();
        long testId = store.insertTestCall(c.id(), now);
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("assistantId", assistant);
        body.put("phoneNumberId", number);
        body.putObject("customer").put("number", c.phone()).put("name", c.businessName());
        ObjectNode vars = body.putObject("assistantOverrides").putObject("variableValues");
        vars.put("name", c.businessName());
        vars.put("businessName", c.businessName());
        vars.put("clientKey", c.clientKey());
        vars.put(TEST_VARIABLE, String.valueOf(testId));
        Exchange ex = partner.request("direct:onboarding-test-call-place", e -> {
            var m = e.getMessage();
            m.setHeader(Exchange.HTTP_METHOD, "POST");
            m.setHeader(Exchange.HTTP_URI, vapi.baseUrl() + "/call");
            m.setHeader(Exchange.CONTENT_TYPE, "application/json");
            m.setHeader("Authorization", "Bearer " + vapi.privateKey());
            m.setBody(body.toString());
        });
        int code = ex.getException() == null ? ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class) : 0;
        String answer = ex.getException() == null ? ex.getMessage().getBody(String.class) : null;
        String vapiCallId = code == 201 || code == 200 ? OnboardingApi.read(answer).path("id").asText(null) : null;
        audit.client(c.id(), c.clientKey()).target("test_call:" + testId);
        if (vapiCallId == null) {
            String why = ex.getException() != null ? "Vapi did not answer: " + ex.getException().getMessage()
                    : "Vapi refused the call (" + code + "): " + OnboardingApi.read(answer).path("message");
            store.database().inTransaction("recording a failed test call", conn -> {
                store.move(conn, testId, "placed", "failed", false, Json.write(Map.of("missing", List.of(why))), clock.instant());
                store.step(conn, testId, c.id(), "failed", Json.write(data(testId, "failed", null, Map.of("reason", why))), clock.instant());
                audit.detail("result", "refused");
                audit.write(conn, 502);
                return null;
            });
            LOG.warn("[ONBOARDING] {}: test call {} not placed: {}", c.clientKey(), testId, why);
            throw new HttpProblem(502, why, Map.of("testId", testId));
        }
        store.database().inTransaction("recording a placed test call", conn -> {
            store.setVapiCallId(conn, testId, vapiCallId);
            store.step(conn, testId, c.id(), "placed", Json.write(data(testId, "placed", vapiCallId, Map.of())), clock.instant());
            audit.write(conn, 201);
            return null;
        });
        LOG.info("[ONBOARDING] {}: test call {} placed (Vapi call {})", c.clientKey(), testId, vapiCallId);
        return Reply.created(view(store.testCall(c.id(), testId).orElseThrow()));
    }

    private static Map<String, Object> data(long testId, String step, String vapiCallId, Map<String, ?> more) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("testId", testId);
        m.put("step", step);
        m.put("vapiCallId", vapiCallId);
        m.putAll(more);
        return m;
    }

    // ---- following the call (steps of routes/vapi-webhooks.camel.yaml) ---------------------------

    /** The test call a Vapi message is about (its {@code onboardingTestId} variable and client), or none: most calls cost no read. */
    private Optional<OnboardingStore.TestCall> testOf(VapiMessage m) {
        if (m == null || m.call() == null) {
            return Optional.empty();
        }
        JsonNode vars = m.call().path("assistantOverrides").path("variableValues");
        String id = vars.path(TEST_VARIABLE).asText(null);
        String key = vars.path("clientKey").asText(null);
        if (id == null || key == null || !id.matches("\\d{1,18}")) {
            return Optional.empty();
        }
        Optional<Client> c = clients.byKey(key);
        return c.flatMap(client -> store.testCall(client.id(), Long.parseLong(id)));
    }

    /** After tool calls were answered: one {@code tool_call} step per answer of a test call. Never fails the webhook. */
    public Object toolCalls(VapiMessage m, Object answered) {
        try {
            Optional<OnboardingStore.TestCall> t = testOf(m);
            if (t.isEmpty() || !"placed".equals(t.get().status())) {
                return answered;
            }
            Object reply = answered instanceof AnalyticsEvent.Recorded<?> r ? r.reply() : answered;
            JsonNode results = Json.MAPPER.valueToTree(reply).path("results");
            String vapiCallId = m.call().path("id").asText(null);
            store.database().inTransaction("recording test call tool calls", conn -> {
                for (JsonNode r : results) {
                    boolean ok = r.hasNonNull("result");
                    String said = ok ? r.get("result").asText() : r.path("error").asText();
                    store.step(conn, t.get().id(), t.get().clientId(), "tool_call", Json.write(data(t.get().id(), "tool_call", vapiCallId,
                            Map.of("name", r.path("name").asText(""), "ok", ok, "said", said.length() > 300 ? said.substring(0, 300) + "..." : said))),
                            clock.instant());
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warn("[ONBOARDING] could not record a test call's tool calls: {}", e.toString());
        }
        return answered;
    }

    /** After an end-of-call report was stored: a test call's report step, then its finish if the confirmation has gone. Never fails the webhook. */
    public void callEnded(VapiMessage m) {
        try {
            Optional<OnboardingStore.TestCall> t = testOf(m);
            if (t.isEmpty()) {
                return;
            }
            String vapiCallId = m.call().path("id").asText(null);
            JsonNode msg = m.message();
            String endedReason = msg.path("endedReason").asText(m.call().path("endedReason").asText(null));
            boolean moved = store.database().inTransaction("recording a test call's report", conn -> {
                if (t.get().vapiCallId() == null && vapiCallId != null) {
                    store.setVapiCallId(conn, t.get().id(), vapiCallId);
                }
                if (!store.move(conn, t.get().id(), "placed", "ended", false, null, clock.instant())) {
                    return false;
                }
                Map<String, Object> more = new LinkedHashMap<>();
                more.put("endedReason", endedReason);
                more.put("summary", msg.path("analysis").path("summary").asText(null));
                store.step(conn, t.get().id(), t.get().clientId(), "report", Json.write(data(t.get().id(), "report", vapiCallId, more)), clock.instant());
                return true;
            });
            if (moved) {
                LOG.info("[ONBOARDING] test call {}: end-of-call report in ({})", t.get().id(), endedReason);
                store.testCall(t.get().clientId(), t.get().id()).ifPresent(x -> finish(x, false));
            }
        } catch (RuntimeException e) {
            LOG.warn("[ONBOARDING] could not record a test call's report: {}", e.toString());
        }
    }

    // ---- finishing --------------------------------------------------------------------------------

    /**
     * Every {@code hub.onboarding.sweep-ms}: finishes each ended test call whose confirmation has left the outbox
     * (or waited long enough), and fails each placed one with no report after the timeout. The cancellations'
     * analytics events go to the route's wire tap.
     */
    public AnalyticsEvent.Recorded<Integer> sweep() {
        List<AnalyticsEvent> events = new ArrayList<>();
        int done = 0;
        Instant now = clock.instant();
        for (OnboardingStore.TestCall t : store.open()) {
            boolean late = "placed".equals(t.status()) && t.placedAt() != null && t.placedAt().plus(callTimeout).isBefore(now);
            if ("ended".equals(t.status()) || late) {
                List<AnalyticsEvent> e = finish(t, late);
                if (e != null) {
                    events.addAll(e);
                    done++;
                }
            }
        }
        return AnalyticsEvent.Recorded.of(done, events);
    }

    /** Cancels what the test call booked and records its result, once; null when it must wait (the confirmation still in the outbox). */
    private List<AnalyticsEvent> finish(OnboardingStore.TestCall t, boolean noReport) {
        Client c = clients.byId(t.clientId()).orElse(null);
        if (c == null) {
            return null;
        }
        Instant now = clock.instant();
        List<Appointment> cancelled = new ArrayList<>();
        Boolean finished = store.database().inTransaction("finishing a test call", conn -> {
            List<Long> booked = t.vapiCallId() == null ? List.of() : store.bookedDuring(conn, c.id(), t.vapiCallId());
            List<String> missing = new ArrayList<>();
            Map<String, Object> result = new LinkedHashMap<>();
            String confirmation = null;
            if (noReport) {
                missing.add("no end-of-call report within " + callTimeout.toSeconds() + " s");
            }
            if (booked.isEmpty()) {
                missing.add("no booking was made during the test call");
            } else {
                Optional<OnboardingStore.Confirmation> conf = store.confirmation(conn, booked.get(0));
                confirmation = conf.map(OnboardingStore.Confirmation::status).orElse(null);
                boolean waited = t.endedAt() == null || !t.endedAt().plus(confirmationWait).isAfter(now);
                if (confirmation != null && WAITING.contains(confirmation) && !waited && !noReport) {
                    return null; // the confirmation is still on its way: cancelling now would stop it
                }
                if (confirmation == null) {
                    missing.add("no confirmation SMS was queued for the booking");
                } else if (!SENT.contains(confirmation)) {
                    missing.add("the confirmation SMS was not sent: " + confirmation
                            + (conf.get().errorCode() == null ? "" : " (Twilio error " + conf.get().errorCode() + ")"));
                }
            }
            boolean ok = missing.isEmpty();
            result.put("booked", !booked.isEmpty());
            result.put("appointmentIds", booked);
            result.put("confirmation", confirmation);
            result.put("reportReceived", !noReport);
            result.put("cancelled", booked);
            result.put("missing", missing);
            if (!store.move(conn, t.id(), noReport ? "placed" : "ended", noReport ? "failed" : "finished", ok, Json.write(result), now)) {
                return false;
            }
            for (Long id : booked) {
                Optional<Appointment> a = bookings.byId(conn, id);
                if (a.isPresent() && "booked".equals(a.get().status())) {
                    tools.cancel(conn, a.get());
                    bookings.byId(conn, id).ifPresent(cancelled::add);
                }
            }
            Map<String, Object> more = new LinkedHashMap<>(result);
            more.put("ok", ok);
            store.step(conn, t.id(), c.id(), noReport ? "failed" : "finished", Json.write(data(t.id(), noReport ? "failed" : "finished",
                    t.vapiCallId(), more)), now);
            return true;
        });
        if (finished == null || !finished) {
            return null;
        }
        LOG.info("[ONBOARDING] {}: test call {} {}; {} test booking(s) cancelled", c.clientKey(), t.id(), noReport ? "failed" : "finished",
                cancelled.size());
        return cancelled.stream().map(a -> BookingTools.cancelled(c, a)).toList();
    }
}
