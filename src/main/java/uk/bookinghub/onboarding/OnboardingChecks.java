package uk.bookinghub.onboarding;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.twilio.base.ResourceSet;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.IncomingPhoneNumber;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.booking.Availability;
import uk.bookinghub.booking.BookingStore;
import uk.bookinghub.calendar.CalendarSync;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.http.JsonBodies;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The wizard's checks against the providers, each recorded ({@code onboarding_checks}) for the status:
 * {@code POST /api/onboarding/calendar-check} reads the client's Google calendar's free/busy through the
 * hub's own calendar client (the busy blocks it saw, or why not); {@code POST /api/onboarding/numbers-check}
 * asks Vapi for the phone number id ({@code GET /phone-number/{id}}) and Twilio for the SMS sender
 * ({@code GET .../IncomingPhoneNumbers.json?PhoneNumber=}) and saves them on the client only when both exist.
 * A provider's "no" is an answer (200, {@code ok: false}, why); malformed input is a 400 naming the field.
 */
public final class OnboardingChecks {

    private static final Logger LOG = LoggerFactory.getLogger(OnboardingChecks.class);
    private static final Pattern VAPI_ID = Pattern.compile("^[A-Za-z0-9_-]{1,100}$");
    static final int CALENDAR_DAYS = 7;

    /** Vapi as the hub reaches it: its key (null = not configured) and base URL. */
    public record Vapi(String privateKey, String baseUrl) {
    }

    private final OnboardingStore store;
    private final ClientStore clients;
    private final BookingStore bookings;
    private final CalendarSync calendar;
    private final Vapi vapi;
    private final String twilioAccountSid;
    private final OnboardingApi.Hub hub;
    private final Clock clock;
    private final long maxBodyBytes;
    private final ProducerTemplate partner;
    private final CamelContext camel;

    public OnboardingChecks(OnboardingStore store, ClientStore clients, BookingStore bookings, CalendarSync calendar, Vapi vapi, String twilioAccountSid,
                            OnboardingApi.Hub hub, Clock clock, long maxBodyBytes, CamelContext camel) {
        this.store = store;
        this.clients = clients;
        this.bookings = bookings;
        this.calendar = calendar;
        this.vapi = vapi;
        this.twilioAccountSid = twilioAccountSid;
        this.hub = hub;
        this.clock = clock;
        this.maxBodyBytes = maxBodyBytes;
        this.camel = camel;
        this.partner = camel.createProducerTemplate();
    }

    // ---- the calendar ---------------------------------------------------------------------------

    /** {@code POST /api/onboarding/calendar-check}: the calendar of the client's settings, the next week's busy blocks. */
    public Map<String, Object> calendarCheck(Client given, uk.bookinghub.audit.Audit audit) {
        Client c = clients.byId(given.id()).orElse(given);
        String id = bookings.settings(c.id()).googleCalendarId();
        if (id == null) {
            throw HttpProblem.badRequest("no calendar to check: save googleCalendarId in the settings first",
                    Map.of("fields", Map.of("googleCalendarId", "not set (PUT /api/clients/" + c.clientKey() + "/settings)")));
        }
        Instant from = clock.instant();
        Instant to = from.plus(Duration.ofDays(CALENDAR_DAYS));
        CalendarSync.FreeBusyCheck r = calendar.check(id, from, to);
        ZoneId zone = ZoneId.of(c.timezone());
        List<Map<String, Object>> busy = new ArrayList<>();
        for (Availability.Busy b : r.busy()) {
            busy.add(Map.of("start", b.start().atZone(zone).toOffsetDateTime().toString(), "end", b.end().atZone(zone).toOffsetDateTime().toString()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("calendarId", id);
        out.put("ok", r.ok());
        out.put("from", from.toString());
        out.put("to", to.toString());
        out.put("busy", busy);
        if (!r.ok()) {
            out.put("reason", r.reason());
        }
        out.put("serviceAccountEmail", hub.serviceAccountEmail());
        audit.client(c.id(), c.clientKey()).target("calendar:" + id).detail("ok", r.ok());
        store.database().inTransaction("recording a calendar check", conn -> {
            store.saveCheck(conn, c.id(), "calendar", id, r.ok(), Json.write(out), clock.instant());
            audit.write(conn, 200);
            return null;
        });
        LOG.info("[ONBOARDING] {}: calendar {} {}", c.clientKey(), id, r.ok() ? "readable, " + busy.size() + " busy block(s)" : "not readable: " + r.reason());
        return out;
    }

    // ---- the numbers ----------------------------------------------------------------------------

    /** What the numbers check is about: the Vapi number and the SMS sender the client would use (its own or the hub's). */
    static String numbersSubject(Client c, OnboardingApi.Hub hub) {
        return numbersSubject(c.vapiPhoneNumberId(), c.messaging().smsFromNumber(), c.messaging().messagingServiceSid(), hub);
    }

    private static String numbersSubject(String vapiPhoneNumberId, String smsFrom, String messagingServiceSid, OnboardingApi.Hub hub) {
        String pn = present(vapiPhoneNumberId) ? vapiPhoneNumberId : "shared:" + hub.sharedVapiPhoneNumberId();
        String sms = present(smsFrom) ? smsFrom : present(messagingServiceSid) ? messagingServiceSid
                : "shared:" + (present(hub.sharedSmsFrom()) ? hub.sharedSmsFrom() : hub.sharedMessagingServiceSid());
        return pn + "|" + sms;
    }

    /**
     * {@code POST /api/onboarding/numbers-check} with {@code vapiPhoneNumberId} and {@code smsFromNumber}
     * (each optional: none = the hub's shared one). Both found at the providers: saved on the client and
     * recorded; either missing: nothing saved, the failed check recorded, each reason named.
     */
    public Map<String, Object> numbersCheck(Client given, byte[] body, String contentType, uk.bookinghub.audit.Audit audit) {
        Client c = clients.byId(given.id()).orElse(given);
        JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
        Map<String, Object> problems = new LinkedHashMap<>();
        in.fieldNames().forEachRemaining(k -> {
            if (!List.of("vapiPhoneNumberId", "smsFromNumber").contains(k)) {
                problems.put(k, "unknown; the numbers check takes vapiPhoneNumberId and smsFromNumber");
            }
        });
        String pn = JsonBodies.text(in, "vapiPhoneNumberId");
        if (pn != null && !VAPI_ID.matcher(pn).matches()) {
            problems.put("vapiPhoneNumberId", "a Vapi phone number id (letters, digits, - and _), got: " + pn);
        }
        String rawFrom = JsonBodies.text(in, "smsFromNumber");
        String from = null;
        if (rawFrom != null) {
            try {
                PhoneNumberUtil u = PhoneNumberUtil.getInstance();
                var n = u.parse(rawFrom, c.country() == null ? "GB" : c.country());
                if (!u.isPossibleNumber(n)) {
                    problems.put("smsFromNumber", "not a phone number: " + rawFrom);
                } else {
                    from = u.format(n, PhoneNumberUtil.PhoneNumberFormat.E164);
                }
            } catch (NumberParseException e) {
                problems.put("smsFromNumber", "not a phone number: " + rawFrom);
            }
        }
        String usePn = pn != null ? pn : hub.sharedVapiPhoneNumberId();
        if (usePn == null) {
            problems.put("vapiPhoneNumberId", "required: this hub has no shared Vapi phone number (VAPI_PHONE_NUMBER_ID)");
        }
        String useFrom = from != null ? from : hub.sharedSmsFrom();
        if (useFrom == null && hub.sharedMessagingServiceSid() == null) {
            problems.put("smsFromNumber", "required: this hub has no shared Twilio sender (TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID)");
        }
        if (pn != null && !problems.containsKey("vapiPhoneNumberId") && store.numberTaken("vapi_phone_number_id", pn, c.id())) {
            problems.put("vapiPhoneNumberId", "used by another business on this hub: calls to it would not be told apart");
        }
        if (from != null && !problems.containsKey("smsFromNumber") && store.numberTaken("sms_from_number", from, c.id())) {
            problems.put("smsFromNumber", "used by another business on this hub: replies to it would not be told apart");
        }
        if (!problems.isEmpty()) {
            List<String> said = new ArrayList<>();
            problems.forEach((f, why) -> said.add(f + ": " + why));
            throw HttpProblem.badRequest("numbers not checked: " + String.join("; ", said), Map.of("fields", problems));
        }
        Map<String, Object> vapiResult = vapiNumber(usePn);
        vapiResult.put("shared", pn == null);
        Map<String, Object> twilioResult = useFrom != null ? twilioNumber(useFrom) : new LinkedHashMap<>(Map.of("ok", true,
                "messagingServiceSid", hub.sharedMessagingServiceSid(), "note", "the hub's shared Messaging Service: Twilio picks the sender"));
        twilioResult.put("shared", from == null);
        boolean ok = Boolean.TRUE.equals(vapiResult.get("ok")) && Boolean.TRUE.equals(twilioResult.get("ok"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ok", ok);
        out.put("vapi", vapiResult);
        out.put("twilio", twilioResult);
        out.put("saved", ok);
        String savedPn = pn;
        String savedFrom = from;
        audit.client(c.id(), c.clientKey()).target("numbers:" + c.clientKey()).detail("ok", ok);
        store.database().inTransaction("recording a numbers check", conn -> {
            if (ok) {
                store.updateNumbers(conn, c.id(), savedPn, savedFrom);
            }
            store.saveCheck(conn, c.id(), "numbers", ok ? numbersSubject(savedPn, savedFrom, c.messaging().messagingServiceSid(), hub)
                    : "failed:" + usePn + "|" + useFrom, ok, Json.write(out), clock.instant());
            audit.write(conn, 200);
            return null;
        });
        clients.forgetCached();
        LOG.info("[ONBOARDING] {}: numbers {} (Vapi {}, SMS {})", c.clientKey(), ok ? "checked and saved" : "refused", usePn,
                useFrom != null ? useFrom : hub.sharedMessagingServiceSid());
        return out;
    }

    /** Vapi's {@code GET /phone-number/{id}} (route onboarding-vapi-phone-number). */
    private Map<String, Object> vapiNumber(String id) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("phoneNumberId", id);
        if (vapi.privateKey() == null || vapi.baseUrl() == null) {
            m.put("ok", false);
            m.put("reason", "Vapi is not configured on this hub (VAPI_PRIVATE_KEY)");
            return m;
        }
        Exchange ex = partner.request("direct:onboarding-vapi-phone-number", e -> {
            var msg = e.getMessage();
            msg.setHeader(Exchange.HTTP_METHOD, "GET");
            msg.setHeader(Exchange.HTTP_URI, vapi.baseUrl() + "/phone-number/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
            msg.setHeader("Authorization", "Bearer " + vapi.privateKey());
            msg.setBody(null);
        });
        if (ex.getException() != null) {
            m.put("ok", false);
            m.put("reason", "Vapi did not answer: " + ex.getException().getMessage());
            return m;
        }
        int code = ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        String body = ex.getMessage().getBody(String.class);
        if (code == 200) {
            JsonNode n = OnboardingApi.read(body);
            m.put("ok", true);
            m.put("number", n.path("number").asText(null));
            m.put("provider", n.path("provider").asText(null));
            m.put("name", n.path("name").asText(null));
        } else {
            m.put("ok", false);
            m.put("reason", code == 404 ? "Vapi has no phone number " + id + " on the hub's account"
                    : code == 401 ? "Vapi refused the hub's key" : "Vapi answered " + code);
        }
        return m;
    }

    /** Twilio's {@code IncomingPhoneNumbers.json?PhoneNumber=} through the hub's REST client (route onboarding-twilio-number). */
    private Map<String, Object> twilioNumber(String e164) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("smsFromNumber", e164);
        if (twilioAccountSid == null) {
            m.put("ok", false);
            m.put("reason", "Twilio is not configured on this hub (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)");
            return m;
        }
        Exchange ex = partner.request("direct:onboarding-twilio-number", e -> e.getMessage().setBody(e164));
        if (ex.getException() != null) {
            m.put("ok", false);
            m.put("reason", "Twilio did not answer: " + ex.getException().getMessage());
            return m;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> found = ex.getMessage().getBody(Map.class);
        m.putAll(found);
        return m;
    }

    /** The route's step: the number on the hub's Twilio account, or why not. */
    public Map<String, Object> lookUpTwilioNumber(String e164) {
        TwilioRestClient client = camel.getRegistry().lookupByNameAndType("twilioRestClient", TwilioRestClient.class);
        Map<String, Object> m = new LinkedHashMap<>();
        try {
            ResourceSet<IncomingPhoneNumber> set = IncomingPhoneNumber.reader(twilioAccountSid)
                    .setPhoneNumber(new com.twilio.type.PhoneNumber(e164)).limit(1).read(client);
            for (IncomingPhoneNumber n : set) {
                m.put("ok", true);
                m.put("sid", n.getSid());
                m.put("sms", n.getCapabilities() == null ? null : n.getCapabilities().getSms());
                return m;
            }
            m.put("ok", false);
            m.put("reason", e164 + " is not a number of the hub's Twilio account");
        } catch (com.twilio.exception.ApiException e) {
            m.put("ok", false);
            m.put("reason", "Twilio answered " + e.getStatusCode() + ": " + e.getMessage());
        }
        return m;
    }

    static boolean present(String s) {
        return s != null && !s.isBlank() && !s.equals("null");
    }
}
