package uk.bookinghub.messaging;

import com.twilio.security.RequestValidator;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.analytics.AnalyticsEvent;
import uk.bookinghub.analytics.AnalyticsFacts;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.http.Upload;
import com.fasterxml.jackson.databind.JsonNode;
import uk.bookinghub.leads.OptOutStore;
import uk.bookinghub.phones.Phones;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Twilio's webhooks: delivery status ({@code POST /webhooks/twilio/status}) and inbound SMS
 * ({@code POST /webhooks/twilio/sms}). Both are verified first with twilio-java's own
 * {@link RequestValidator} against the URL Twilio was given ({@code PUBLIC_BASE_URL} + path +
 * query) and every form parameter received, or the {@code bodySHA256} form for JSON bodies; a
 * missing or wrong {@code X-Twilio-Signature} is a 403 and changes nothing.
 */
public final class TwilioWebhooks {

    private static final Logger LOG = LoggerFactory.getLogger(TwilioWebhooks.class);
    static final Set<String> STOP = Set.of("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT");
    static final Set<String> START = Set.of("START", "YES", "UNSTOP");
    static final Set<String> HELP = Set.of("HELP", "INFO");
    /** Opt-outs a customer's START reverses: the ones they made themselves. A business's compliance entry stays. */
    static final Set<String> CUSTOMER_REASONS = Set.of("sms_stop", "user_request");
    static final String EMPTY_TWIML = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

    private final RequestValidator validator;
    private final String publicBaseUrl;
    private final OutboxStore outbox;
    private final InboundStore inbound;
    private final OptOutStore optOuts;
    private final ClientStore clients;
    private final MessageSender.Settings settings;
    private final Clock clock;

    public TwilioWebhooks(String authToken, String publicBaseUrl, OutboxStore outbox, OptOutStore optOuts, ClientStore clients,
                          MessageSender.Settings settings, Clock clock) {
        this.validator = authToken == null || authToken.isBlank() ? null : new RequestValidator(authToken.trim());
        this.publicBaseUrl = publicBaseUrl.replaceAll("/+$", "");
        this.outbox = outbox;
        this.inbound = new InboundStore(outbox.database());
        this.optOuts = optOuts;
        this.clients = clients;
        this.settings = settings;
        this.clock = clock;
    }

    /** Where the front door leaves the parameters of a request whose signature it verified. */
    public static final String VERIFIED_PARAMS = "twilioParams";

    /** The parameters the front door verified, or (called directly) verified here. */
    @SuppressWarnings("unchecked")
    private Map<String, String> verified(Exchange exchange, String path) {
        Object done = exchange.getProperty(VERIFIED_PARAMS);
        return done instanceof Map<?, ?> m ? (Map<String, String>) m : verify(exchange, path);
    }

    /** Verifies the signature (before anything else is read) and returns the form parameters in arrival order. */
    public Map<String, String> verify(Exchange exchange, String path) {
        if (validator == null) {
            throw new HttpProblem(403, "Twilio webhooks are refused: TWILIO_AUTH_TOKEN is not set on this hub");
        }
        var in = exchange.getMessage();
        String signature = in.getHeader("X-Twilio-Signature", String.class);
        if (signature == null || signature.isBlank()) {
            throw new HttpProblem(403, "missing X-Twilio-Signature");
        }
        String query = in.getHeader(Exchange.HTTP_RAW_QUERY, String.class);
        String url = publicBaseUrl + path + (query == null || query.isEmpty() ? "" : "?" + query);
        // the signature first: nothing of an unsigned body is read beyond what the check itself needs,
        // so a malformed body that is not signed is a 403 like any other, never a 400 or a 500
        Object raw = in.getBody();
        String text = "";
        String contentType = in.getHeader(Exchange.CONTENT_TYPE, String.class);
        boolean json = contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/json");
        Map<String, String> params = null;
        boolean valid;
        try {
            if (!(raw instanceof Map)) {
                Upload body = Upload.of(raw);
                text = new String(body.array(), body.offset(), body.length(), StandardCharsets.UTF_8);
            }
            if (json) {
                valid = validator.validate(url, text, signature); // bodySHA256 in the URL: the raw text, unparsed
            } else {
                // platform-http has already parsed a form body into a map: every parameter Twilio posted is in it
                params = raw instanceof Map<?, ?> map ? formMap(map) : form(text);
                valid = validator.validate(url, params, signature);
            }
        } catch (java.net.URISyntaxException | RuntimeException e) {
            valid = false; // a body the check cannot even read was not signed by Twilio
        }
        if (!valid) {
            LOG.warn("[SMS] refused a Twilio webhook on {} with a wrong signature (is PUBLIC_BASE_URL {} the URL Twilio calls?)", path, publicBaseUrl);
            throw new HttpProblem(403, "invalid X-Twilio-Signature for " + url);
        }
        if (json) {
            Map<String, String> fromJson = new LinkedHashMap<>();
            try {
                JsonNode tree = Json.MAPPER.readTree(text);
                if (tree == null || !tree.isObject()) {
                    throw new IllegalArgumentException("not an object");
                }
                tree.fields().forEachRemaining(f -> fromJson.put(f.getKey(), f.getValue().asText()));
            } catch (Exception e) {
                throw HttpProblem.badRequest("JSON body that is not an object");
            }
            params = fromJson;
        }
        return params;
    }

    private static Map<String, String> formMap(Map<?, ?> map) {
        Map<String, String> params = new LinkedHashMap<>();
        map.forEach((k, v) -> params.put(String.valueOf(k), v instanceof java.util.List<?> l ? (l.isEmpty() ? "" : String.valueOf(l.get(0)))
                : v == null ? "" : String.valueOf(v)));
        return params;
    }

    static Map<String, String> form(String body) {
        Map<String, String> params = new LinkedHashMap<>();
        if (body.isEmpty()) {
            return params;
        }
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(k, v);
        }
        return params;
    }

    /**
     * {@code POST /webhooks/twilio/status}: forward-only status of the message with this sid. Answers
     * empty TwiML, with the message's message.delivered / message.failed event once it has one (a
     * repeated callback gives the same event, stored once).
     */
    public AnalyticsEvent.Recorded<byte[]> status(Exchange exchange) {
        Map<String, String> p = verified(exchange, "/webhooks/twilio/status");
        String sid = p.get("MessageSid") != null ? p.get("MessageSid") : p.get("SmsSid");
        String status = p.get("MessageStatus") != null ? p.get("MessageStatus") : p.get("SmsStatus");
        if (sid == null || status == null) {
            throw HttpProblem.badRequest("a status callback needs MessageSid and MessageStatus");
        }
        String error = p.get("ErrorCode");
        Optional<OutboxMessage> m = outbox.statusCallback(sid, status.toLowerCase(Locale.ROOT), error == null || error.isBlank() ? null : error, Json.write(p));
        if (m.isPresent()) {
            LOG.info("[SMS] status {} for message {} ({}): now {}{}", status, m.get().id(), sid, m.get().status(), error == null ? "" : " error " + error);
        } else {
            LOG.info("[SMS] status {} for {}: not (yet) a message of this hub; kept", status, sid);
        }
        List<AnalyticsEvent> events = m.map(x -> AnalyticsFacts.messageEvents(x.facts()).stream()
                .filter(e -> !"message.sent".equals(e.eventType())).toList()).orElse(List.of());
        return twiml(exchange, EMPTY_TWIML, events);
    }

    /**
     * {@code POST /webhooks/twilio/sms}: STOP / START / HELP or a reply, stored once per MessageSid;
     * answers TwiML, with the lead.opted_out event of a STOP that made an opt-out.
     */
    public AnalyticsEvent.Recorded<byte[]> inbound(Exchange exchange) {
        Map<String, String> p = verified(exchange, "/webhooks/twilio/sms");
        String sid = first(p, "MessageSid", "SmsMessageSid", "SmsSid");
        String from = p.get("From");
        String to = p.get("To");
        if (sid == null || from == null || to == null) {
            throw HttpProblem.badRequest("an inbound SMS needs MessageSid, From and To");
        }
        String body = p.getOrDefault("Body", "");
        String fromE164 = Phones.toE164(from, "GB").orElse(from.trim());
        String toE164 = Phones.toE164(to, "GB").orElse(to.trim());
        Optional<Client> client = owner(toE164, p.get("MessagingServiceSid"));
        boolean shared = client.isEmpty() && isHubSender(toE164, p.get("MessagingServiceSid"));
        String action = action(p.get("OptOutType"), body);
        // handled = recorded, and recorded only after its action committed: a failure in between makes
        // Twilio's retry do it again (every action is idempotent), never lose a STOP
        if (inbound.handled(sid)) {
            LOG.info("[SMS] inbound {} already handled", sid);
            return twiml(exchange, EMPTY_TWIML, List.of());
        }
        Long clientId = client.map(Client::id).orElse(null);
        String reply = EMPTY_TWIML;
        List<AnalyticsEvent> events = new ArrayList<>();
        switch (action) {
            case "opt_out" -> {
                if (client.isPresent() || shared) {
                    // a STOP to the hub's shared number stops every client that sends from it: a global entry
                    var added = optOuts.add(clientId, fromE164, "sms_stop", "inbound SMS: " + body.strip(), "sms:" + fromE164);
                    if (added.getValue()) {
                        events.add(optOuts.event(added.getKey()));
                    }
                    LOG.info("[SMS] {} replied {}: opted out of {}", fromE164, body.strip(), client.map(Client::clientKey).orElse("the shared number (global)"));
                } else {
                    LOG.warn("[SMS] STOP from {} to {}: no client owns that number; stored, no opt-out made", fromE164, toE164);
                }
            }
            case "opt_in" -> {
                var entry = optOuts.activeEntry(clientId, fromE164);
                if (entry.isPresent() && CUSTOMER_REASONS.contains(entry.get().reason())) {
                    optOuts.remove(clientId, fromE164, "sms:" + fromE164);
                    LOG.info("[SMS] {} replied {}: opted back in", fromE164, body.strip());
                } else if (entry.isPresent()) {
                    LOG.warn("[SMS] {} replied {} but its opt-out ({}) was made by the business: kept", fromE164, body.strip(), entry.get().reason());
                }
            }
            case "help" -> {
                String name = client.map(Client::businessName).orElse("This service");
                String phone = client.map(c -> MessagesApi.nationalFormat(c.phone(), c.country())).orElse(null);
                reply = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>" + xml(name + (phone == null ? "" : ": call us on " + phone)
                        + ". Reply STOP to opt out.") + "</Message></Response>";
            }
            default -> LOG.info("[SMS] reply from {} to {}: stored for {}", fromE164, toE164, client.map(Client::clientKey).orElse("no client"));
        }
        inbound.record(sid, clientId, fromE164, toE164, body, action, p, clock.instant());
        return twiml(exchange, reply, events);
    }

    /** OptOutType (Advanced Opt-Out) wins; else the whole trimmed body, case-insensitive, against the keywords. */
    static String action(String optOutType, String body) {
        String word = optOutType != null && !optOutType.isBlank() ? optOutType : body;
        String w = word == null ? "" : word.strip().toUpperCase(Locale.ROOT);
        if (STOP.contains(w)) {
            return "opt_out";
        }
        if (START.contains(w)) {
            return "opt_in";
        }
        return HELP.contains(w) ? "help" : "message";
    }

    private Optional<Client> owner(String to, String messagingServiceSid) {
        Optional<Client> byNumber = clients.bySmsFromNumber(to);
        if (byNumber.isPresent() || messagingServiceSid == null || messagingServiceSid.isBlank()) {
            return byNumber;
        }
        return clients.byMessagingServiceSid(messagingServiceSid);
    }

    private boolean isHubSender(String to, String messagingServiceSid) {
        return to.equals(settings.defaultFrom()) || (messagingServiceSid != null && messagingServiceSid.equals(settings.defaultMessagingServiceSid()));
    }

    private static String first(Map<String, String> p, String... names) {
        for (String n : names) {
            String v = p.get(n);
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    /** The TwiML answer (the route sets it as the body once the events are tapped). */
    private static AnalyticsEvent.Recorded<byte[]> twiml(Exchange exchange, String xml, List<AnalyticsEvent> events) {
        var m = exchange.getMessage();
        m.getHeaders().clear();
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        m.setHeader(Exchange.CONTENT_TYPE, "text/xml");
        return AnalyticsEvent.Recorded.of(xml.getBytes(StandardCharsets.UTF_8), events);
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&apos;");
    }
}
