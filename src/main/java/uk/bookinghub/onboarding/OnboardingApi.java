package uk.bookinghub.onboarding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.analytics.AnalyticsSettings;
import uk.bookinghub.analytics.AnalyticsStore;
import uk.bookinghub.api.Params;
import uk.bookinghub.booking.Availability;
import uk.bookinghub.booking.BookingSettings;
import uk.bookinghub.booking.BookingStore;
import uk.bookinghub.booking.BookingTools;
import uk.bookinghub.calendar.CalendarSync;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.http.JsonBodies;
import uk.bookinghub.messaging.MessagesApi;
import uk.bookinghub.monitoring.UnreadableSettings;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The onboarding wizard's API ({@code /api/onboarding/*}, README "Onboarding wizard"): each step saves
 * through the hub's own rules (booking settings, analytics settings, templates) and {@code GET
 * /api/onboarding/status} says, from stored facts only, which of the six steps are done and what each
 * still misses. The provider checks (calendar free/busy, Vapi and Twilio numbers) and the test call are
 * {@link OnboardingChecks} and {@link OnboardingTests}.
 */
public final class OnboardingApi {

    private static final Logger LOG = LoggerFactory.getLogger(OnboardingApi.class);
    static final List<String> STEPS = List.of("business", "hours", "calendar", "assistant", "messages", "test");
    private static final int MAX_PREVIEW_DAYS = 14;

    /** What the page shows beside the steps: where to paste what, which address to share the calendar with. */
    public record Hub(String publicBaseUrl, String serviceAccountEmail, String sharedVapiPhoneNumberId, String sharedSmsFrom,
                      String sharedMessagingServiceSid) {
    }

    private final OnboardingStore store;
    private final ClientStore clients;
    private final BookingStore bookings;
    private final BookingTools tools;
    private final AnalyticsStore analytics;
    private final MessagesApi messages;
    private final Clock clock;
    private final long maxBodyBytes;
    private final Hub hub;
    private final java.util.function.Function<Client, String> assistantOf;

    public OnboardingApi(OnboardingStore store, ClientStore clients, BookingStore bookings, BookingTools tools, AnalyticsStore analytics,
                         MessagesApi messages, Clock clock, long maxBodyBytes, Hub hub, java.util.function.Function<Client, String> assistantOf) {
        this.store = store;
        this.clients = clients;
        this.bookings = bookings;
        this.tools = tools;
        this.analytics = analytics;
        this.messages = messages;
        this.clock = clock;
        this.maxBodyBytes = maxBodyBytes;
        this.hub = hub;
        this.assistantOf = assistantOf;
    }

    Hub hub() {
        return hub;
    }

    // ---- status ---------------------------------------------------------------------------------

    /** {@code GET /api/onboarding/status}: each step done or not, with what it misses, and whether all are done. */
    public Map<String, Object> status(Client given) {
        Client c = clients.byId(given.id()).orElse(given);
        List<Map<String, Object>> steps = new ArrayList<>();
        BookingSettings s;
        try {
            s = BookingSettings.fromJson(bookings.settingsJson(c.id()));
        } catch (UnreadableSettings e) {
            s = null;
        }
        steps.add(step("business", business(c, s)));
        steps.add(step("hours", hours(c, s)));
        List<String> calendarMissing = new ArrayList<>();
        Optional<OnboardingStore.Check> cal = store.check(c.id(), "calendar");
        String calendarId = s == null ? null : s.googleCalendarId();
        if (calendarId == null) {
            calendarMissing.add("googleCalendarId not set");
        } else if (cal.isEmpty() || !cal.get().subject().equals(calendarId)) {
            calendarMissing.add("calendar " + calendarId + " not checked");
        } else if (!cal.get().ok()) {
            calendarMissing.add("calendar " + calendarId + " check failed: " + Json.MAPPER.valueToTree(read(cal.get().detail())).path("reason").asText(""));
        }
        Map<String, Object> calendar = step("calendar", calendarMissing);
        cal.ifPresent(k -> calendar.put("lastCheck", checkView(k)));
        steps.add(calendar);
        List<String> assistantMissing = new ArrayList<>();
        if (assistantOf.apply(c) == null) {
            assistantMissing.add("no assistant of its own yet: create it (POST /api/clients/me/assistant)");
        }
        Optional<OnboardingStore.Check> numbers = store.check(c.id(), "numbers");
        String subject = OnboardingChecks.numbersSubject(c, hub);
        if (numbers.isEmpty() || !numbers.get().subject().equals(subject)) {
            assistantMissing.add("numbers not checked (" + subject + ")");
        } else if (!numbers.get().ok()) {
            assistantMissing.add("numbers check failed");
        }
        Map<String, Object> assistant = step("assistant", assistantMissing);
        numbers.ifPresent(k -> assistant.put("lastCheck", checkView(k)));
        steps.add(assistant);
        steps.add(step("messages", templates(c)));
        List<String> testMissing = new ArrayList<>();
        Optional<OnboardingStore.TestCall> test = store.latestTestCall(c.id());
        if (test.isEmpty()) {
            testMissing.add("no test call yet");
        } else if (!"finished".equals(test.get().status()) && !"failed".equals(test.get().status())) {
            testMissing.add("test call " + test.get().id() + " is " + test.get().status());
        } else if (!test.get().ok()) {
            JsonNode r = read(test.get().result());
            r.path("missing").forEach(m -> testMissing.add(m.asText()));
            if (testMissing.isEmpty()) {
                testMissing.add("the last test call failed");
            }
        }
        Map<String, Object> t = step("test", testMissing);
        test.ifPresent(x -> t.put("lastTestCall", OnboardingTests.view(x)));
        steps.add(t);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("clientKey", c.clientKey());
        out.put("businessName", c.businessName());
        // trial until an admin activates it (POST /api/admin/clients/{clientKey}/activate); complete steps do not change it
        out.put("state", c.state().key());
        out.put("steps", steps);
        out.put("complete", steps.stream().allMatch(x -> Boolean.TRUE.equals(x.get("done"))));
        out.put("hub", hubView(c));
        return out;
    }

    private static Map<String, Object> step(String id, List<String> missing) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("done", missing.isEmpty());
        if (!missing.isEmpty()) {
            m.put("missing", missing);
        }
        return m;
    }

    private List<String> business(Client c, BookingSettings s) {
        List<String> missing = new ArrayList<>();
        if (c.industry() == null || c.industry().isBlank()) {
            missing.add("industry not set");
        }
        if (s == null) {
            missing.add("booking settings unreadable: save the business step again");
            return missing;
        }
        if (s.services().isEmpty()) {
            missing.add("no services");
            return missing;
        }
        AnalyticsSettings a;
        try {
            a = AnalyticsSettings.fromJson(analytics.settingsJson(c.id()));
        } catch (UnreadableSettings e) {
            missing.add("analytics settings unreadable: save the business step again");
            return missing;
        }
        for (BookingSettings.Service svc : s.services()) {
            if (a.serviceValues().get(svc.name()) == null) {
                missing.add("no price for " + svc.name());
            }
        }
        return missing;
    }

    private List<String> hours(Client c, BookingSettings s) {
        List<String> missing = new ArrayList<>();
        if (s == null) {
            missing.add("booking settings unreadable: save them again");
            return missing;
        }
        if (!store.bookingSettingsSaved(c.id())) {
            missing.add("opening hours not saved yet");
        }
        if (s.businessHours().values().stream().allMatch(List::isEmpty)) {
            missing.add("no open day");
        }
        return missing;
    }

    private List<String> templates(Client c) {
        List<String> missing = new ArrayList<>();
        Object items = messages.templates(c).get("items");
        if (items instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> m && m.get("problems") instanceof List<?> p && !p.isEmpty()
                        && List.of("confirmation", "reminder_24h", "reminder_1h", "follow_up").contains(String.valueOf(m.get("kind")))) {
                    missing.add(m.get("kind") + "/" + m.get("channel") + ": " + p.get(0));
                }
            }
        }
        return missing;
    }

    private Map<String, Object> hubView(Client c) {
        String base = hub.publicBaseUrl();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("serviceAccountEmail", hub.serviceAccountEmail());
        m.put("dashboardUrl", base + "/dashboard");
        Map<String, Object> webhooks = new LinkedHashMap<>();
        webhooks.put("vapiServerUrl", base + "/webhooks/vapi");
        webhooks.put("twilioIncomingSms", base + "/webhooks/twilio/sms");
        webhooks.put("twilioStatusCallback", base + "/webhooks/twilio/status");
        m.put("webhooks", webhooks);
        Map<String, Object> shared = new LinkedHashMap<>();
        shared.put("vapiPhoneNumberId", hub.sharedVapiPhoneNumberId());
        shared.put("smsFromNumber", hub.sharedSmsFrom());
        shared.put("messagingServiceSid", hub.sharedMessagingServiceSid());
        m.put("shared", shared);
        m.put("ownerPhone", c.phone());
        return m;
    }

    static Map<String, Object> checkView(OnboardingStore.Check k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("subject", k.subject());
        m.put("ok", k.ok());
        m.put("checkedAt", k.checkedAt() == null ? null : k.checkedAt().toString());
        m.put("detail", read(k.detail()));
        return m;
    }

    static JsonNode read(String json) {
        try {
            return json == null ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(json);
        } catch (Exception e) {
            return Json.MAPPER.createObjectNode();
        }
    }

    // ---- step 1: the business -------------------------------------------------------------------

    /**
     * {@code PUT /api/onboarding/business}: {@code businessName}, {@code industry}, {@code timezone} and
     * {@code services} ({@code [{name, minutes, bufferMinutes, price}]}), optionally {@code bookingLink} (the
     * link follow-ups invite to: the default follow-up templates use it). The services go into the booking
     * settings (duration and buffer, checked by their rules), their prices into the analytics settings
     * (per service, and their mean as {@code averageJobValue}: the ROI), the rest onto the client; all in one
     * transaction, nothing when anything is wrong (a 400 naming each field).
     */
    public Map<String, Object> saveBusiness(Client given, byte[] body, String contentType, uk.bookinghub.audit.Audit audit) {
        Client c = clients.byId(given.id()).orElse(given);
        JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
        Map<String, Object> problems = new LinkedHashMap<>();
        in.fieldNames().forEachRemaining(k -> {
            if (!List.of("businessName", "industry", "timezone", "services", "bookingLink").contains(k)) {
                problems.put(k, "unknown; the business step has businessName, industry, timezone, services, bookingLink");
            }
        });
        String name = uk.bookinghub.clients.Onboarding.businessName(in, problems);
        String industry = JsonBodies.text(in, "industry");
        if (industry == null) {
            problems.put("industry", "required (e.g. plumbing, clinic, salon)");
        } else if (industry.length() > 100) {
            problems.put("industry", "at most 100 characters");
        }
        String link = JsonBodies.text(in, "bookingLink");
        if (link != null) {
            try {
                java.net.URI uri = new java.net.URI(link);
                if (uri.getHost() == null || !("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))) {
                    problems.put("bookingLink", "an http(s) URL with a host, got: " + link);
                }
            } catch (java.net.URISyntaxException e) {
                problems.put("bookingLink", "not a URL: " + link);
            }
        }
        String zone = uk.bookinghub.clients.Onboarding.timezone(Optional.ofNullable(JsonBodies.text(in, "timezone")).orElse(c.timezone()), problems);
        JsonNode sv = in.get("services");
        List<String> names = new ArrayList<>();
        Map<String, BigDecimal> prices = new LinkedHashMap<>();
        BookingSettings booking = null;
        ObjectNode analyticsDoc = null;
        if (sv == null || !sv.isArray() || sv.isEmpty()) {
            problems.put("services", "at least one service: [{\"name\": \"Boiler service\", \"minutes\": 60, \"bufferMinutes\": 15, \"price\": 120}]");
        } else {
            for (int i = 0; i < sv.size(); i++) {
                JsonNode s = sv.get(i);
                String n = s.hasNonNull("name") ? s.get("name").asText().strip() : "";
                if (!n.isEmpty() && names.stream().anyMatch(x -> x.equalsIgnoreCase(n))) {
                    problems.put("services[" + i + "].name", "named twice: " + n);
                }
                names.add(n);
                JsonNode p = s.get("price");
                if (p == null || p.isNull()) {
                    problems.put("services[" + i + "].price", "required: what the job is worth in GBP (it feeds the ROI)");
                } else if (!p.isNumber()) {
                    problems.put("services[" + i + "].price", "an amount in GBP, e.g. 120 or 89.50");
                } else if (!n.isEmpty()) {
                    prices.put(n, p.decimalValue());
                }
            }
            try {
                ObjectNode doc = currentBooking(c);
                com.fasterxml.jackson.databind.node.ArrayNode list = doc.putArray("services");
                for (JsonNode s : sv) {
                    ObjectNode o = list.addObject();
                    o.set("name", s.get("name"));
                    o.set("minutes", s.get("minutes"));
                    o.set("bufferMinutes", s.get("bufferMinutes"));
                }
                booking = BookingSettings.parse(doc);
            } catch (HttpProblem p) {
                if (p.details().get("fields") instanceof Map<?, ?> m) {
                    m.forEach((f, why) -> problems.putIfAbsent(String.valueOf(f), why));
                } else {
                    problems.put("services", p.getMessage());
                }
            }
            if (!prices.isEmpty()) {
                analyticsDoc = currentAnalytics(c);
                ObjectNode values = analyticsDoc.putObject("services");
                prices.forEach((n, v) -> values.put(n, v));
                BigDecimal total = prices.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add);
                analyticsDoc.put("averageJobValue", total.divide(BigDecimal.valueOf(prices.size()), 2, RoundingMode.HALF_UP));
                try {
                    AnalyticsSettings.parse(analyticsDoc);
                } catch (HttpProblem p) {
                    if (p.details().get("fields") instanceof Map<?, ?> m) {
                        m.forEach((f, why) -> {
                            String field = String.valueOf(f);
                            int at = names.indexOf(field.startsWith("services.") ? field.substring("services.".length()) : "");
                            problems.putIfAbsent(at >= 0 ? "services[" + at + "].price" : "services", why);
                        });
                    } else {
                        problems.put("services", p.getMessage());
                    }
                }
            }
        }
        if (name != null && !problems.containsKey("businessName") && store.businessNameTaken(name, c.id())) {
            throw new HttpProblem(409, "businessName is taken by another business on this hub", Map.of("fields", Map.of("businessName", "taken")));
        }
        if (!problems.isEmpty()) {
            List<String> said = new ArrayList<>();
            problems.forEach((f, why) -> said.add(f + ": " + why));
            throw HttpProblem.badRequest("business not saved: " + String.join("; ", said), Map.of("fields", problems));
        }
        BookingSettings saved = booking;
        String analyticsJson = Json.write(AnalyticsSettings.parse(analyticsDoc).view());
        String tz = zone;
        List<String> serviceNames = saved.serviceNames();
        audit.client(c.id(), c.clientKey()).target("client:" + c.clientKey()).detail("services", serviceNames.size());
        bookings.database().inTransaction("saving the business step", conn -> {
            store.updateProfile(conn, c.id(), name, industry, serviceNames, tz, link);
            bookings.saveSettings(conn, c.id(), Json.write(saved.view()));
            analytics.saveSettings(conn, c.id(), analyticsJson);
            audit.write(conn, 200);
            return null;
        });
        bookings.forgetSettings(c.id());
        clients.forgetCached();
        LOG.info("[ONBOARDING] {}: business step saved ({} services)", c.clientKey(), serviceNames.size());
        return business(clients.byId(c.id()).orElse(c));
    }

    /** {@code GET /api/onboarding/business}: what the business step shows (the profile, the services with their durations and prices). */
    public Map<String, Object> business(Client given) {
        Client c = clients.byId(given.id()).orElse(given);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("businessName", c.businessName());
        out.put("email", c.email());
        out.put("phone", c.phone());
        out.put("industry", c.industry());
        out.put("timezone", c.timezone());
        out.put("bookingLink", c.messaging().bookingLink());
        List<Map<String, Object>> services = new ArrayList<>();
        try {
            BookingSettings s = BookingSettings.fromJson(bookings.settingsJson(c.id()));
            AnalyticsSettings a = AnalyticsSettings.fromJson(analytics.settingsJson(c.id()));
            for (BookingSettings.Service svc : s.services()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", svc.name());
                m.put("minutes", svc.minutes());
                m.put("bufferMinutes", svc.bufferMinutes());
                m.put("price", a.serviceValues().get(svc.name()));
                services.add(m);
            }
        } catch (UnreadableSettings e) {
            out.put("unreadable", e.setting());
        }
        out.put("services", services);
        return out;
    }

    private ObjectNode currentBooking(Client c) {
        try {
            return Json.MAPPER.valueToTree(BookingSettings.fromJson(bookings.settingsJson(c.id())).view());
        } catch (UnreadableSettings e) {
            return Json.MAPPER.valueToTree(BookingSettings.defaults().view());
        }
    }

    private ObjectNode currentAnalytics(Client c) {
        try {
            return Json.MAPPER.valueToTree(AnalyticsSettings.fromJson(analytics.settingsJson(c.id())).view());
        } catch (UnreadableSettings e) {
            return Json.MAPPER.valueToTree(AnalyticsSettings.NONE.view());
        }
    }

    // ---- step 2: a preview of the free slots ----------------------------------------------------

    /**
     * {@code GET /api/onboarding/slots-preview?from=&days=&service=}: the free slots the booking tools would
     * offer ({@code checkAvailability}'s own code), from {@code from} (default tomorrow) for {@code days} days
     * (default 7, at most 14), by day in the client's zone.
     */
    public Map<String, Object> slotsPreview(Client given, Params params) {
        Client c = clients.byId(given.id()).orElse(given);
        ZoneId zone = ZoneId.of(c.timezone());
        LocalDate from;
        String f = params.text("from");
        try {
            from = f == null ? clock.instant().atZone(zone).toLocalDate().plusDays(1) : LocalDate.parse(f);
        } catch (DateTimeException e) {
            throw HttpProblem.badRequest("from must be a date, YYYY-MM-DD", Map.of("fields", Map.of("from", "YYYY-MM-DD, got " + f)));
        }
        Long days = params.whole("days");
        if (days != null && (days < 1 || days > MAX_PREVIEW_DAYS)) {
            throw HttpProblem.badRequest("days must be 1 to " + MAX_PREVIEW_DAYS, Map.of("fields", Map.of("days", "1 to " + MAX_PREVIEW_DAYS)));
        }
        int n = days == null ? 7 : days.intValue();
        LocalDate to = from.plusDays(n - 1L);
        List<Availability.Slot> slots;
        try {
            slots = tools.freeSlots(c, from, to, params.text("service"), 500);
        } catch (UnreadableSettings e) {
            throw new HttpProblem(409, "the booking settings cannot be read: save them again");
        }
        Map<String, List<String>> byDay = new LinkedHashMap<>();
        for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
            byDay.put(d.toString(), new ArrayList<>());
        }
        for (Availability.Slot s : slots) {
            byDay.computeIfAbsent(s.start().atZone(zone).toLocalDate().toString(), k -> new ArrayList<>())
                    .add(s.start().atZone(zone).toLocalTime().toString());
        }
        List<Map<String, Object>> out = new ArrayList<>();
        byDay.forEach((d, times) -> out.add(Map.of("date", d, "times", times)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("timezone", zone.getId());
        m.put("from", from.toString());
        m.put("to", to.toString());
        m.put("days", out);
        m.put("total", slots.size());
        return m;
    }

    /** {@code POST /api/templates/preview}: the template checked as PUT /api/templates does, filled with sample data (the client's first service). */
    public Map<String, Object> previewTemplate(Client given, byte[] body, String contentType) {
        Client c = clients.byId(given.id()).orElse(given);
        String service;
        try {
            List<String> names = BookingSettings.fromJson(bookings.settingsJson(c.id())).serviceNames();
            service = names.isEmpty() ? null : names.get(0);
        } catch (UnreadableSettings e) {
            service = null;
        }
        return messages.previewTemplate(c, body, contentType, service);
    }

    /** A bounded window for a check: now to {@code days} ahead. */
    Instant[] window(int days) {
        Instant now = clock.instant();
        return new Instant[] {now, now.plus(Duration.ofDays(days))};
    }
}
