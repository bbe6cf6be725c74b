package uk.bookinghub.messaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;

import uk.bookinghub.api.Params;
import uk.bookinghub.clients.Client;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.QueryParams;
import uk.bookinghub.http.JsonBodies;
import uk.bookinghub.http.Reply;
import uk.bookinghub.leads.OptOutStore;
import uk.bookinghub.store.Database;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The client-facing messaging API: {@code GET /api/messages} (what was sent to whom and what
 * happened to it), {@code POST /api/messages} (queue a message of a kind, rendered from the
 * client's template), and the templates ({@code GET /api/templates},
 * {@code PUT/DELETE /api/templates/{kind}/{channel}}). Also the one place that turns a kind, a
 * recipient and an appointment into outbox rows ({@link #queue}), for the booking and reminder
 * flows to call.
 */
public final class MessagesApi {

    /** The hub's one phone check (drama ranges only with hub.leads.allow-test-numbers), the lead intake's own. */
    private volatile uk.bookinghub.phones.PhoneClassifier phones = uk.bookinghub.phones.HubPhones.STRICT;

    /** Uses the hub's phone check (the one {@code phoneClassifier}, bound by PhonesConfiguration, that the lead intake uses). */
    public void phones(uk.bookinghub.phones.PhoneClassifier phones) {
        this.phones = phones;
    }

    /** The client's messages a day (POST /api/messages counts what it sends); null: not limited (no limiter bound). */
    private volatile uk.bookinghub.limits.RateLimits limits;

    /** Counts what {@code POST /api/messages} sends against the client's messages a day. */
    public void limits(uk.bookinghub.limits.RateLimits limits) {
        this.limits = limits;
    }

    /** The phone check the booking tools share. */
    public uk.bookinghub.phones.PhoneClassifier phones() {
        return phones;
    }


    private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");
    private static final Set<String> STATUSES = Set.of("queued", "sending", "sent", "delivered", "undelivered", "failed", "dead", "skipped", "not_configured");

    private final OutboxStore outbox;
    private final TemplateStore templates;
    private final OptOutStore optOuts;
    private final MessageSender.Settings settings;
    private final Clock clock;
    private final long maxBodyBytes;

    public MessagesApi(OutboxStore outbox, OptOutStore optOuts, MessageSender.Settings settings, Clock clock, long maxBodyBytes) {
        this.outbox = outbox;
        this.templates = new TemplateStore(outbox.database());
        this.optOuts = optOuts;
        this.settings = settings;
        this.clock = clock;
        this.maxBodyBytes = maxBodyBytes;
    }

    private Database db() {
        return outbox.database();
    }

    // ---- GET /api/messages ----------------------------------------------------------------

    public Map<String, Object> list(Client client, Params params) {
        String status = params.text("status");
        if (status != null && !STATUSES.contains(status)) {
            throw HttpProblem.badRequest("status must be one of " + new java.util.TreeSet<>(STATUSES));
        }
        String channel = params.text("channel");
        if (channel != null && !Templates.CHANNELS.contains(channel)) {
            throw HttpProblem.badRequest("channel must be sms or email");
        }
        ZoneId zone = ZoneId.of(client.timezone());
        Params.Page page = params.page(50, 500);
        return outbox.list(client.id(), new OutboxStore.Filter(params.whole("leadId"), params.whole("appointmentId"), params.phone("phone", client.country()),
                params.word("kind"), params.word("status"), params.word("channel"), params.instant("since", zone), params.instant("until", zone)),
                page.number(), page.size());
    }

    public Map<String, Object> get(Client client, Params params) {
        long id = params.whole("id");
        return outbox.byId(client.id(), id).map(OutboxMessage::view).orElseThrow(() -> HttpProblem.notFound("no message " + id));
    }

    // ---- POST /api/messages -----------------------------------------------------------------

    /** What {@link #queue} needs: who, which kind, the appointment if there is one. */
    public record Request(String kind, List<String> channels, Long leadId, String phone, String email, String customerName,
                          Instant appointmentStart, String service, Long appointmentId, String idempotencyKey, Instant notBefore) {
    }

    /** {@code POST /api/messages}; its audit row ({@code message_queue}: the messages, the kind, the channels) commits with them. */
    public Reply post(Client client, byte[] body, String contentType, uk.bookinghub.audit.Audit audit) {
        JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
        Map<String, Object> problems = new LinkedHashMap<>();
        String kind = JsonBodies.text(in, "kind");
        if (kind == null) {
            problems.put("kind", "required: one of " + Templates.KINDS);
        } else if (!Templates.KINDS.contains(kind)) {
            problems.put("kind", "one of " + Templates.KINDS);
        }
        List<String> channels = new ArrayList<>();
        JsonNode ch = in.has("channels") ? in.get("channels") : in.get("channel");
        if (ch != null && !ch.isNull()) {
            if (ch.isTextual()) {
                channels.add(ch.asText());
            } else if (ch.isArray()) {
                ch.forEach(c -> channels.add(c.asText()));
            }
            if (channels.isEmpty() || !Templates.CHANNELS.containsAll(channels)) {
                problems.put("channels", "sms, email or both (an array)");
            }
        }
        Long leadId = null;
        JsonNode lid = in.get("leadId");
        if (lid != null && !lid.isNull()) {
            if (!lid.canConvertToLong()) {
                problems.put("leadId", "a lead id (number)");
            } else {
                leadId = lid.asLong();
            }
        }
        Instant start = null;
        String service = null;
        JsonNode appt = in.get("appointment");
        if (appt != null && !appt.isNull()) {
            if (!appt.isObject()) {
                problems.put("appointment", "an object: {start, service}");
            } else {
                String s = JsonBodies.text(appt, "start");
                try {
                    start = s == null ? null : QueryParams.dateTime(s, ZoneId.of(client.timezone()));
                } catch (DateTimeParseException e) {
                    problems.put("appointment.start", "ISO-8601 date-time (with offset, or local time in " + client.timezone() + "): " + s);
                }
                service = JsonBodies.text(appt, "service");
            }
        }
        Instant sendAt = null;
        String at = JsonBodies.text(in, "sendAt");
        if (at != null) {
            try {
                sendAt = QueryParams.dateTime(at, ZoneId.of(client.timezone()));
            } catch (DateTimeParseException e) {
                problems.put("sendAt", "ISO-8601 date-time (with offset, or local time in " + client.timezone() + "): " + at);
            }
        }
        JsonNode name = in.get("customerName");
        if (name != null && !name.isNull() && !name.isTextual()) {
            problems.put("customerName", "text (the customer's name)");
        } else if (name != null && name.isTextual() && name.asText().strip().length() > Templates.MAX_NAME_CHARS) {
            problems.put("customerName", "at most " + Templates.MAX_NAME_CHARS + " characters, got " + name.asText().strip().length());
        }
        if (service != null && service.length() > Templates.MAX_NAME_CHARS) {
            problems.put("appointment.service", "at most " + Templates.MAX_NAME_CHARS + " characters, got " + service.length());
        }
        if (!problems.isEmpty()) {
            throw HttpProblem.badRequest("invalid message request: " + String.join(", ", problems.keySet()), Map.of("fields", problems));
        }
        String key = JsonBodies.text(in, "idempotencyKey");
        Request r = new Request(kind, channels, leadId, JsonBodies.text(in, "phone"), JsonBodies.text(in, "email"),
                JsonBodies.text(in, "customerName"), start, service, null, key == null ? null : "api:" + client.id() + ":" + key, sendAt);
        audit.detail("kind", kind);
        List<OutboxStore.Enqueued> queued = db().inTransaction("queueing messages", c -> {
            List<OutboxStore.Enqueued> q = queue(c, client, r);
            // a trial client texts and emails only its owner (the test step): anyone else is refused here, nothing queued
            for (OutboxStore.Enqueued m : q) {
                if (!client.mayReach(m.message().to())) {
                    throw new HttpProblem(403, "trial client: messages go only to the owner's own phone and email (" + client.phone() + ", "
                            + client.email() + ") until an admin activates the client; not queued: " + m.message().to(),
                            Map.of("rule", "trial clients send only to their owner", "state", client.state().key()));
                }
            }
            boolean any = q.stream().anyMatch(OutboxStore.Enqueued::created);
            // counted by what it asks for: each new message row (one per channel) is one of the client's messages a day,
            // whatever its status (one held for an opt-out counts too); over the limit is a 429 and this transaction rolls
            // back (nothing queued); a repeat under its idempotencyKey adds no row and counts nothing
            int units = (int) q.stream().filter(OutboxStore.Enqueued::created).count();
            if (units > 0 && limits != null) {
                limits.messages(client, units);
            }
            audit.target(q.stream().map(m -> "message:" + m.message().id()).toArray(String[]::new))
                    .detail("channels", q.stream().map(m -> m.message().channel()).toList()).detail("created", any).write(c, any ? 201 : 200);
            return q;
        });
        boolean created = queued.stream().anyMatch(OutboxStore.Enqueued::created);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("messages", queued.stream().map(q -> q.message().view()).toList());
        if (!created) {
            out.put("note", "already queued under this idempotencyKey: nothing new was queued");
        }
        return new Reply(created ? 201 : 200, out);
    }

    /**
     * Renders and queues the request's messages inside the caller's transaction: one per channel
     * (default: each channel the recipient has an address for). A number on the opt-out list, a
     * landline for SMS, or a channel with no credentials still gets a row, with that status and reason.
     */
    public List<OutboxStore.Enqueued> queue(Connection c, Client client, Request r) throws SQLException {
        OutboxStore.Recipient lead = r.leadId() == null ? null : outbox.recipient(c, client.id(), r.leadId())
                .orElseThrow(() -> HttpProblem.notFound("no lead " + r.leadId()));
        String phone = lead == null ? null : lead.phone();
        if (r.phone() != null) {
            uk.bookinghub.phones.PhoneCheck check = phones.check(r.phone(), client.country());
            if (!check.valid()) {
                String why = uk.bookinghub.phones.HubPhones.refusal(r.phone(), check);
                throw HttpProblem.badRequest("phone: " + why, Map.of("fields", List.of(Map.of("field", "phone", "reason", why))));
            }
            phone = check.e164();
        }
        String email = r.email() != null ? r.email().trim() : lead == null ? null : lead.email();
        if (email != null && !EMAIL.matcher(email).matches()) {
            throw HttpProblem.badRequest("not an email address: " + email);
        }
        List<String> channels = new ArrayList<>(r.channels() == null ? List.of() : r.channels());
        if (channels.isEmpty()) {
            if (phone != null) {
                channels.add(Templates.SMS);
            }
            if (email != null) {
                channels.add(Templates.EMAIL);
            }
        }
        if (channels.isEmpty()) {
            throw HttpProblem.badRequest("no recipient: give leadId, phone or email");
        }
        String customer = r.customerName() != null ? r.customerName() : lead == null ? null : lead.name();
        Map<String, String> values = values(client, customer, r.appointmentStart(), r.service(), clock.instant());
        boolean marketing = Templates.isMarketing(r.kind());
        List<OutboxStore.Enqueued> out = new ArrayList<>();
        for (String channel : channels) {
            boolean sms = Templates.SMS.equals(channel);
            String to = sms ? phone : email;
            if (to == null) {
                throw HttpProblem.badRequest("no " + (sms ? "phone number" : "email address") + " for the " + channel + " message");
            }
            Templates.Rendered rendered;
            try {
                rendered = Templates.render(template(c, client.id(), r.kind(), channel), values);
            } catch (Templates.MissingValueException e) {
                throw HttpProblem.badRequest("cannot write the " + r.kind() + " " + channel + ": " + e.getMessage(),
                        Map.of("missing", e.placeholders()));
            }
            String status = "queued";
            String reason = null;
            String optOutPhone = sms ? phone : marketing ? phone : null;
            String optedOut = optOutPhone == null ? null : optOuts.activeReasons(c, client.id(), List.of(optOutPhone)).get(optOutPhone);
            if (optedOut != null) {
                status = "skipped";
                reason = "opted out: " + optedOut;
            } else if (sms && lead != null && phone.equals(lead.phone()) && !lead.smsCapable()) {
                status = "skipped";
                reason = "not SMS-capable (" + lead.phoneType() + ")";
            } else if (sms && !settings.twilioConfigured()) {
                status = "not_configured";
                reason = "SMS not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN";
            } else if (!sms && !settings.mailConfigured()) {
                status = "not_configured";
                reason = "email not configured: set SMTP_HOST (or EMAIL_SERVICE=gmail) and EMAIL_USER / EMAIL_PASS";
            }
            String key = r.idempotencyKey() != null ? r.idempotencyKey() + ":" + channel : "msg:" + UUID.randomUUID() + ":" + channel;
            out.add(outbox.enqueue(c, new OutboxStore.NewMessage(client.id(), lead == null ? null : lead.id(), r.appointmentId(), channel, r.kind(),
                    marketing, key, to, sms ? null : client.email(), rendered.subject(), sms ? rendered.body() : rendered.text(),
                    sms ? null : rendered.html(), status, reason, r.notBefore())));
        }
        return out;
    }

    /** The placeholder values for this client, customer and appointment (times in the client's zone; the date with its year when it is not this year). */
    public static Map<String, String> values(Client client, String customerName, Instant start, String service) {
        return values(client, customerName, start, service, Instant.now());
    }

    /** The same, with "this year" as of {@code now} (the caller's clock). */
    public static Map<String, String> values(Client client, String customerName, Instant start, String service, Instant now) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("businessName", client.businessName());
        v.put("businessPhone", nationalFormat(client.phone(), client.country()));
        v.put("bookingLink", client.messaging().bookingLink());
        v.put("customerName", customerName != null && !customerName.isBlank() ? customerName.strip() : "there"); // "Hi there,"
        if (start != null) {
            ZoneId zone = ZoneId.of(client.timezone());
            v.put("appointmentDate", Templates.date(start, zone, now));
            v.put("appointmentTime", Templates.time(start, zone));
        }
        if (start != null) {
            // "your appointment with ..." when the booking named no service
            v.put("service", service != null && !service.isBlank() ? service : "appointment");
        }
        v.values().removeIf(java.util.Objects::isNull);
        return v;
    }

    private static final java.util.concurrent.ConcurrentHashMap<String, String> FORMATTED = new java.util.concurrent.ConcurrentHashMap<>();

    /** "+442079460000" as a UK customer dials it: "020 7946 0000"; other countries keep the international form. */
    static String nationalFormat(String e164, String country) {
        if (e164 == null) {
            return null;
        }
        // a client's own number, formatted for every message it sends: remembered (a few per client)
        if (FORMATTED.size() > 10_000) {
            FORMATTED.clear();
        }
        return FORMATTED.computeIfAbsent(e164 + "|" + country, k -> format(e164, country));
    }

    private static String format(String e164, String country) {
        try {
            PhoneNumberUtil util = PhoneNumberUtil.getInstance();
            var n = util.parse(e164, country);
            return util.getRegionCodeForNumber(n) != null && util.getRegionCodeForNumber(n).equals(country)
                    ? util.format(n, PhoneNumberUtil.PhoneNumberFormat.NATIONAL) : util.format(n, PhoneNumberUtil.PhoneNumberFormat.INTERNATIONAL);
        } catch (NumberParseException e) {
            return e164;
        }
    }

    // ---- templates --------------------------------------------------------------------------

    /** The client's template for a kind and channel, or the shipped default. */
    public Templates.Template template(Connection c, long clientId, String kind, String channel) throws SQLException {
        return templates.find(c, clientId, kind, channel).orElseGet(() -> Templates.defaultFor(kind, channel));
    }

    /** {@code GET /api/templates}: every kind and channel, the client's own or the default, with any problem it has now. */
    public Map<String, Object> templates(Client client) {
        return db().read("reading templates", c -> {
            List<Map<String, Object>> items = new ArrayList<>();
            for (String kind : Templates.KINDS) {
                for (String channel : Templates.CHANNELS) {
                    Templates.Template t = template(c, client.id(), kind, channel);
                    Map<String, Object> m = view(t);
                    m.put("source", t.equals(Templates.defaultFor(kind, channel)) ? "default" : "client");
                    List<String> problems = Templates.problems(t, available(client), values(client, null, null, null));
                    if (!problems.isEmpty()) {
                        m.put("problems", problems);
                    }
                    items.add(m);
                }
            }
            return Map.of("items", items, "placeholders", Templates.PLACEHOLDERS);
        });
    }

    /** {@code PUT /api/templates/{kind}/{channel}}: validated against the client's data before it is saved. */
    public Map<String, Object> saveTemplate(Client client, Params params, byte[] body, String contentType, uk.bookinghub.audit.Audit audit) {
        String kind = params.text("kind");
        String channel = params.text("channel");
        checkKindChannel(kind, channel);
        audit.target("template:" + kind + "/" + channel);
        JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
        Templates.Template t = Templates.SMS.equals(channel)
                ? Templates.Template.sms(kind, JsonBodies.text(in, "body"))
                : Templates.Template.email(kind, JsonBodies.text(in, "subject"), JsonBodies.text(in, "html"), JsonBodies.text(in, "text"));
        List<String> problems = Templates.problems(t, available(client), values(client, null, null, null));
        if (!problems.isEmpty()) {
            throw HttpProblem.badRequest("template not saved: " + String.join("; ", problems), Map.of("problems", problems));
        }
        Instant now = clock.instant();
        templates.save(client.id(), t, now, audit);
        Map<String, Object> out = view(t);
        out.put("source", "client");
        out.put("updatedAt", now.toString());
        return out;
    }

    /** The customer, service and time a preview is filled with. */
    public static final String SAMPLE_CUSTOMER = "Sam Sample";

    /**
     * {@code POST /api/templates/preview}: a template as {@code PUT /api/templates/{kind}/{channel}} would take it
     * ({@code kind}, {@code channel} and its parts), checked the same way (400 with the same problems), then
     * rendered with sample data: {@link #SAMPLE_CUSTOMER}, {@code service} (the client's first, or "appointment"),
     * next weekday at 10:00 in the client's zone. Nothing is saved.
     */
    public Map<String, Object> previewTemplate(Client client, byte[] body, String contentType, String service) {
        JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
        String kind = JsonBodies.text(in, "kind");
        String channel = JsonBodies.text(in, "channel");
        Map<String, Object> fields = new LinkedHashMap<>();
        if (kind == null || !Templates.KINDS.contains(kind)) {
            fields.put("kind", "one of " + Templates.KINDS);
        }
        if (channel == null || !Templates.CHANNELS.contains(channel)) {
            fields.put("channel", "sms or email");
        }
        if (!fields.isEmpty()) {
            throw HttpProblem.badRequest("template preview needs kind and channel", Map.of("fields", fields));
        }
        Templates.Template t = Templates.SMS.equals(channel)
                ? Templates.Template.sms(kind, JsonBodies.text(in, "body"))
                : Templates.Template.email(kind, JsonBodies.text(in, "subject"), JsonBodies.text(in, "html"), JsonBodies.text(in, "text"));
        List<String> problems = Templates.problems(t, available(client), values(client, null, null, null));
        if (!problems.isEmpty()) {
            throw HttpProblem.badRequest("template not valid: " + String.join("; ", problems), Map.of("problems", problems));
        }
        ZoneId zone = ZoneId.of(client.timezone());
        java.time.LocalDate day = clock.instant().atZone(zone).toLocalDate().plusDays(1);
        while (day.getDayOfWeek().getValue() > 5) {
            day = day.plusDays(1);
        }
        Instant start = day.atTime(10, 0).atZone(zone).toInstant();
        Map<String, String> sample = values(client, SAMPLE_CUSTOMER, Templates.isMarketing(kind) ? null : start, service, clock.instant());
        Templates.Rendered r = Templates.render(t, sample);
        Map<String, Object> out = new LinkedHashMap<>(view(t));
        Map<String, Object> rendered = new LinkedHashMap<>();
        if (Templates.SMS.equals(channel)) {
            rendered.put("body", r.body());
            rendered.put("segments", SmsText.measure(r.body()).segments());
        } else {
            rendered.put("subject", r.subject());
            rendered.put("html", r.html());
            rendered.put("text", r.text());
        }
        out.put("rendered", rendered);
        out.put("sample", sample);
        return out;
    }

    /** {@code DELETE /api/templates/{kind}/{channel}}: back to the shipped default. */
    public Map<String, Object> resetTemplate(Client client, Params params, uk.bookinghub.audit.Audit audit) {
        String kind = params.text("kind");
        String channel = params.text("channel");
        checkKindChannel(kind, channel);
        templates.reset(client.id(), kind, channel, audit.target("template:" + kind + "/" + channel));
        Map<String, Object> out = view(Templates.defaultFor(kind, channel));
        out.put("source", "default");
        return out;
    }

    private static void checkKindChannel(String kind, String channel) {
        if (!Templates.KINDS.contains(kind)) {
            throw HttpProblem.notFound("no template kind '" + kind + "': one of " + Templates.KINDS);
        }
        if (!Templates.CHANNELS.contains(channel)) {
            throw HttpProblem.notFound("no channel '" + channel + "': sms or email");
        }
    }

    private static Map<String, Object> view(Templates.Template t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", t.kind());
        m.put("channel", t.channel());
        m.put("marketing", Templates.isMarketing(t.kind()));
        if (Templates.SMS.equals(t.channel())) {
            m.put("body", t.body());
        } else {
            m.put("subject", t.subject());
            m.put("html", t.html());
            m.put("text", t.text());
        }
        return m;
    }

    /** The client values a template may rely on because this client has them. */
    static Set<String> available(Client client) {
        Set<String> s = new HashSet<>();
        s.add("businessName");
        if (client.phone() != null && !client.phone().isBlank()) {
            s.add("businessPhone");
        }
        if (client.messaging().bookingLink() != null && !client.messaging().bookingLink().isBlank()) {
            s.add("bookingLink");
        }
        return s;
    }

    // ---- parsing helpers --------------------------------------------------------------------





}
