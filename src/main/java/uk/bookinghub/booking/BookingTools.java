package uk.bookinghub.booking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.analytics.AnalyticsEvent;
import uk.bookinghub.analytics.AnalyticsFacts;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.TenantResolver;
import uk.bookinghub.http.Json;
import uk.bookinghub.messaging.MessagesApi;
import uk.bookinghub.messaging.Templates;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The booking tools the AI assistant calls during a call ({@code tool-calls} on
 * {@code POST /webhooks/vapi}): {@code checkAvailability}, {@code bookAppointment},
 * {@code cancelAppointment}, {@code rescheduleAppointment}. Every shape Vapi documents for a tool
 * call is read; each answer is a single line; each tool call id is answered once (a retry gets
 * the stored answer and books nothing new).
 */
public final class BookingTools {

    private static final Logger LOG = LoggerFactory.getLogger(BookingTools.class);
    private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");
    static final List<String> TOOLS = List.of("checkAvailability", "bookAppointment", "cancelAppointment", "rescheduleAppointment");
    private static final int OFFER = 6;

    /**
     * One tool call as Vapi sent it, whatever the shape; {@code receivedNanos} is when its request was
     * read ({@link System#nanoTime}), for the answer's {@code duration_ms}.
     */
    public record ToolCall(String id, String name, JsonNode arguments, String rawArguments, long receivedNanos) {

        /** Milliseconds from receiving the request until now (the answer is being stored). */
        int millisSinceReceived() {
            return (int) Math.min(Integer.MAX_VALUE, Math.max(0, (System.nanoTime() - receivedNanos) / 1_000_000));
        }
    }

    /** An answer: a result the assistant reads, or an error. */
    record Answer(String result, String error) {
        static Answer ok(String text) {
            return new Answer(oneLine(text), null);
        }

        static Answer error(String text) {
            return new Answer(null, oneLine(text));
        }

        String json() {
            Map<String, String> m = new LinkedHashMap<>();
            if (result != null) {
                m.put("result", result);
            } else {
                m.put("error", error);
            }
            return Json.write(m);
        }

        static Answer fromJson(String json) {
            try {
                JsonNode n = Json.MAPPER.readTree(json);
                return n.hasNonNull("result") ? new Answer(n.get("result").asText(), null) : new Answer(null, n.path("error").asText());
            } catch (Exception e) {
                return new Answer(null, "stored answer unreadable");
            }
        }
    }

    private final BookingStore store;
    private final MessagesApi messages;
    private final CalendarBusy calendar;
    private final Clock clock;
    private volatile uk.bookinghub.reminders.FollowUps followUps;

    /** A booking stops the lead's follow-up sequence at once (in the booking's transaction). */
    private uk.bookinghub.metrics.BusinessMetrics metrics = uk.bookinghub.metrics.BusinessMetrics.NONE;

    /** Where bookings, cancellations and moves are counted after their commit ({@code hub_bookings_total}); the API's as well. */
    public void metrics(uk.bookinghub.metrics.BusinessMetrics metrics) {
        this.metrics = metrics;
    }

    uk.bookinghub.metrics.BusinessMetrics metrics() {
        return metrics;
    }

    public void onBooked(uk.bookinghub.reminders.FollowUps followUps) {
        this.followUps = followUps;
    }

    /** Busy blocks from the client's calendar (Google freebusy), or none when not configured / unreachable. */
    public interface CalendarBusy {
        List<Availability.Busy> busy(Client client, Instant from, Instant to);

        boolean configured(Client client);
    }

    public BookingTools(BookingStore store, MessagesApi messages, CalendarBusy calendar, Clock clock) {
        this.store = store;
        this.messages = messages;
        this.calendar = calendar;
        this.clock = clock;
    }

    /** Reads {@code toolCallList} (or {@code toolWithToolCallList}) in any documented shape. */
    public static List<ToolCall> parse(JsonNode message) {
        long received = System.nanoTime();
        List<ToolCall> out = new ArrayList<>();
        JsonNode list = message.get("toolCallList");
        if (list == null || !list.isArray() || list.isEmpty()) {
            list = message.get("toolCalls");
        }
        if (list != null && list.isArray() && !list.isEmpty()) {
            for (JsonNode tc : list) {
                out.add(one(tc, null, received));
            }
            return out;
        }
        JsonNode with = message.get("toolWithToolCallList");
        if (with != null && with.isArray()) {
            for (JsonNode w : with) {
                out.add(one(w.path("toolCall"), text(w.get("name")), received));
            }
        }
        return out;
    }

    private static ToolCall one(JsonNode tc, String outerName, long received) {
        String id = first(text(tc.get("id")), text(tc.get("toolCallId")));
        String name = first(text(tc.path("function").get("name")), text(tc.get("name")), outerName);
        JsonNode args = first(tc.path("function").get("arguments"), tc.get("arguments"), tc.path("function").get("parameters"), tc.get("parameters"));
        String raw = args == null ? null : args.isTextual() ? args.asText() : args.toString();
        JsonNode parsed = args;
        if (args != null && args.isTextual()) {
            try {
                parsed = Json.MAPPER.readTree(args.asText());
            } catch (Exception e) {
                parsed = null; // reported as bad arguments
            }
        }
        return new ToolCall(id, name, parsed, raw, received);
    }

    /**
     * Answers every tool call of the message, in order; with the analytics events of what the calls
     * committed (appointments booked, cancelled, moved), for the route's wire tap.
     */
    public AnalyticsEvent.Recorded<Map<String, Object>> answer(JsonNode message, TenantResolver.Resolution tenant) {
        String vapiCallId = text(message.path("call").get("id"));
        List<Map<String, Object>> results = new ArrayList<>();
        List<AnalyticsEvent> events = new ArrayList<>();
        for (ToolCall tc : parse(message)) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("name", tc.name() == null ? "unknown" : tc.name());
            r.put("toolCallId", tc.id());
            Answer a = answerOne(tc, tenant.client(), vapiCallId, message, events);
            if (a.result() != null) {
                r.put("result", a.result());
            } else {
                r.put("error", a.error());
            }
            results.add(r);
        }
        return AnalyticsEvent.Recorded.of(Map.of("results", results), events);
    }

    private Answer answerOne(ToolCall tc, Optional<Client> client, String vapiCallId, JsonNode message, List<AnalyticsEvent> events) {
        if (tc.id() == null) {
            return Answer.error("tool call without an id");
        }
        // checkAvailability only reads: a retry may simply be answered again, so it is neither looked up nor stored
        boolean readOnly = "checkAvailability".equals(tc.name());
        if (!readOnly) {
            Optional<String> stored = store.toolAnswer(tc.id());
            if (stored.isPresent()) {
                return Answer.fromJson(stored.get());
            }
        }
        if (tc.name() == null || !TOOLS.contains(tc.name())) {
            return Answer.error("unknown tool '" + tc.name() + "': this line offers " + String.join(", ", TOOLS));
        }
        if (client.isEmpty()) {
            return Answer.error("this call is not linked to a business on the hub; take a message and say the business will call back");
        }
        if (tc.arguments() == null || !tc.arguments().isObject()) {
            return Answer.error("arguments must be a JSON object");
        }
        Client c = client.get();
        try {
            Answer a = switch (tc.name()) {
                case "checkAvailability" -> checkAvailability(c, tc.arguments());
                case "bookAppointment" -> book(c, tc, vapiCallId, message, events);
                case "cancelAppointment" -> cancel(c, tc, events);
                default -> reschedule(c, tc, events);
            };
            if (!"bookAppointment".equals(tc.name()) && !readOnly) {
                remember(tc, vapiCallId, c.id(), a);
            }
            return a;
        } catch (Problem p) {
            Answer a = Answer.error(p.getMessage());
            if (!readOnly) {
                remember(tc, vapiCallId, c.id(), a);
            }
            return a;
        } catch (uk.bookinghub.monitoring.UnreadableSettings e) {
            // fail closed: no booking from opening hours and notice the hub cannot read. Not remembered: once
            // the settings are saved again, Vapi's retry of this tool call is answered properly
            alarm().raise("booking", c.id(), c.clientKey(), e, "booking");
            return Answer.error("the booking diary of " + c.businessName() + " cannot be read right now, so nothing was booked;"
                    + " take the caller's details and say the business will call back to arrange a time");
        }
    }

    private volatile uk.bookinghub.monitoring.SettingsAlarm alarm;

    /** Where unreadable settings are reported (the hub's error log). */
    public void errorLog(uk.bookinghub.monitoring.ErrorLog errors) {
        this.alarm = new uk.bookinghub.monitoring.SettingsAlarm(errors, clock);
    }

    private uk.bookinghub.monitoring.SettingsAlarm alarm() {
        if (alarm == null) {
            throw new IllegalStateException("bookingTools has no error log (BookingConfiguration sets it)");
        }
        return alarm;
    }

    private void remember(ToolCall tc, String vapiCallId, Long clientId, Answer a) {
        store.database().inTransaction("recording a tool call", c -> store.recordTool(c, tc.id(), vapiCallId, clientId, tc.name(), tc.rawArguments(), a.json(),
                tc.millisSinceReceived()));
    }

    /** A caller's mistake the assistant can correct (wrong date format, unknown service, ...). */
    static class Problem extends RuntimeException {
        Problem(String message) {
            super(message, null, false, false);
        }
    }

    /** A time outside what the client takes bookings for: in the past, or beyond its {@code horizonDays}. */
    static final class OutOfRange extends Problem {
        OutOfRange(String message) {
            super(message);
        }
    }

    /**
     * Refuses a start in the past or past the client's booking horizon ({@code horizonDays}, 60 by default:
     * the last bookable day is today plus that many days, in the client's zone).
     */
    void withinHorizon(BookingSettings s, ZoneId zone, Instant start, String field) {
        Instant now = clock.instant();
        if (!start.isAfter(now)) {
            throw new OutOfRange(field + " " + start.atZone(zone).toLocalDateTime() + " is in the past: ask for a future time");
        }
        LocalDate last = now.atZone(zone).toLocalDate().plusDays(s.horizonDays());
        if (start.atZone(zone).toLocalDate().isAfter(last)) {
            throw new OutOfRange(field + " is too far ahead: bookings are taken up to " + s.horizonDays() + " days ahead, until "
                    + Templates.date(last.atStartOfDay(zone).toInstant(), zone, now) + "; ask for an earlier date");
        }
    }

    // ---- checkAvailability ------------------------------------------------------------------

    private Answer checkAvailability(Client c, JsonNode args) {
        ZoneId zone = ZoneId.of(c.timezone());
        BookingSettings s = store.settings(c.id());
        LocalDate from = date(args, "date", true);
        LocalDate to = Optional.ofNullable(date(args, "endDate", false)).orElse(from);
        if (to.isBefore(from)) {
            throw new Problem("endDate is before date");
        }
        if (Duration.between(from.atStartOfDay(), to.atStartOfDay()).toDays() > 31) {
            throw new Problem("ask for at most 31 days at a time");
        }
        LocalDate today = clock.instant().atZone(zone).toLocalDate();
        if (to.isBefore(today)) {
            throw new OutOfRange("those days are in the past: ask about a date from today on");
        }
        if (from.isAfter(today.plusDays(s.horizonDays()))) {
            throw new OutOfRange("bookings are taken up to " + s.horizonDays() + " days ahead, until "
                    + Templates.date(today.plusDays(s.horizonDays()).atStartOfDay(zone).toInstant(), zone, clock.instant()) + "; ask about an earlier date");
        }
        BookingSettings.Service service = service(s, text(args.get("service")));
        List<Availability.Slot> slots = free(c, s, zone, from, to, service, OFFER);
        String what = service.name() == null ? "" : " for " + service.name();
        if (!slots.isEmpty()) {
            return Answer.ok("Free times" + what + ": " + Availability.words(slots, zone) + ". Starts: " + starts(slots, zone));
        }
        List<Availability.Slot> next = free(c, s, zone, to.plusDays(1), to.plusDays(s.horizonDays()), service, 3);
        String day = from.equals(to) ? Templates.date(from.atStartOfDay(zone).toInstant(), zone) : "those days";
        return next.isEmpty() ? Answer.ok("Nothing free" + what + " on " + day + " or in the next " + s.horizonDays() + " days.")
                : Answer.ok("Nothing free" + what + " on " + day + ". The next free times are " + Availability.words(next, zone) + ". Starts: "
                + starts(next, zone));
    }

    /**
     * The free slots of {@code service} (null = the slot length) from {@code from} to {@code to}, at most {@code max}:
     * what {@code checkAvailability} offers (the same opening hours, notice, claimed units and calendar busy times).
     */
    public List<Availability.Slot> freeSlots(Client c, LocalDate from, LocalDate to, String service, int max) {
        BookingSettings s = store.settings(c.id());
        try {
            return free(c, s, ZoneId.of(c.timezone()), from, to, service(s, service), max);
        } catch (Problem p) {
            throw uk.bookinghub.http.HttpProblem.badRequest(p.getMessage(), Map.of("fields", Map.of("service", p.getMessage())));
        }
    }

    private List<Availability.Slot> free(Client c, BookingSettings s, ZoneId zone, LocalDate from, LocalDate to, BookingSettings.Service service, int max) {
        Instant start = from.atStartOfDay(zone).toInstant();
        Instant end = to.plusDays(1).atStartOfDay(zone).toInstant().plus(Duration.ofHours(8)); // buffers running past midnight
        var claimed = store.claimedUnits(c.id(), start.minus(Duration.ofHours(8)), end);
        List<Availability.Busy> busy = calendar.busy(c, start, end);
        return Availability.free(s, zone, from, to, service, clock.instant(), claimed, busy, max);
    }

    private static String starts(List<Availability.Slot> slots, ZoneId zone) {
        return String.join(", ", slots.stream().map(x -> x.start().atZone(zone).toLocalDateTime().toString()).toList());
    }

    // ---- bookAppointment --------------------------------------------------------------------

    private Answer book(Client c, ToolCall tc, String vapiCallId, JsonNode message, List<AnalyticsEvent> events) {
        JsonNode args = tc.arguments();
        ZoneId zone = ZoneId.of(c.timezone());
        BookingSettings s = store.settings(c.id());
        Instant start = dateTime(args, "start", zone);
        withinHorizon(s, zone, start, "start");
        String name = text(args.get("name"));
        if (name == null) {
            throw new Problem("name is required: ask the caller for their name");
        }
        if (name.length() > Templates.MAX_NAME_CHARS) {
            throw new Problem("name is " + name.length() + " characters; at most " + Templates.MAX_NAME_CHARS + ": ask for the name the booking should be under");
        }
        String rawPhone = first(text(args.get("phone")), text(message.path("customer").get("number")), text(message.path("call").path("customer").get("number")));
        if (rawPhone == null) {
            throw new Problem("phone is required: ask the caller for their phone number");
        }
        uk.bookinghub.phones.PhoneCheck phoneCheck = messages.phones().check(rawPhone, c.country());
        if (!phoneCheck.valid()) {
            throw new Problem("phone " + uk.bookinghub.phones.HubPhones.refusal(rawPhone, phoneCheck) + "; ask the caller to say their number again, nothing was booked");
        }
        String phone = phoneCheck.e164();
        String email = text(args.get("email"));
        if (email != null && !EMAIL.matcher(email).matches()) {
            throw new Problem("'" + email + "' is not an email address");
        }
        BookingSettings.Service service = service(s, text(args.get("service")));
        if (service.name() != null && service.name().length() > Templates.MAX_NAME_CHARS) {
            throw new Problem("service is " + service.name().length() + " characters; at most " + Templates.MAX_NAME_CHARS);
        }
        Instant end = start.plus(Duration.ofMinutes(service.minutes()));
        LocalDate day = start.atZone(zone).toLocalDate();
        if (!Availability.isCandidate(s, zone, start, service) || start.isBefore(clock.instant().plus(Duration.ofMinutes(s.minNoticeMinutes())))) {
            List<Availability.Slot> alt = free(c, s, zone, day, day.plusDays(7), service, 3);
            Answer a = Answer.ok("That time cannot be booked" + (alt.isEmpty() ? "." : ". Free times: " + Availability.words(alt, zone) + ". Starts: " + starts(alt, zone)));
            remember(tc, vapiCallId, c.id(), a);
            return a;
        }
        if (calendar.busy(c, start, end).stream().anyMatch(b -> b.start().isBefore(end) && b.end().isAfter(start))) {
            return slotGone(c, tc, vapiCallId, s, zone, day, service);
        }
        String calendarStatus = calendar.configured(c) ? "pending" : "not_configured";
        Long leadId = leadId(c, message, phone);
        Appointment[] made = new Appointment[1];
        try {
            Answer booked = store.database().inTransaction("booking an appointment", conn -> {
                Appointment appt = store.insert(conn, new BookingStore.NewAppointment(c.id(), leadId, vapiCallId, tc.id(), name, phone, email,
                        service.name(), text(args.get("notes")), start, end, service.bufferMinutes(), calendarStatus));
                messages.queue(conn, c, new MessagesApi.Request("confirmation", List.of(), leadId, phone, email, name, start, service.name(), appt.id(),
                        "confirmation:" + appt.id(), null));
                if (leadId != null && followUps != null) {
                    followUps.cancel(conn, "lead_id = ?", leadId, "the lead booked");
                }
                if (leadId != null) {
                    store.markLeadBooked(conn, leadId, clock.instant());
                }
                Answer a = Answer.ok("Booked " + (service.name() == null ? "an appointment" : service.name()) + " for " + name + " on "
                        + Templates.date(start, zone, clock.instant()) + " at " + Templates.time(start, zone) + ". Reference " + appt.id()
                        + ". A confirmation is on its way" + (email == null ? " by text." : " by text and email."));
                if (!store.recordTool(conn, tc.id(), vapiCallId, c.id(), tc.name(), tc.rawArguments(), a.json(), tc.millisSinceReceived())) {
                    throw new RetriedToolCall();
                }
                LOG.info("[BOOKING] appointment {} for client {}: {} at {} (call {})", appt.id(), c.clientKey(),
                        service.name() == null ? "appointment" : service.name(), start, vapiCallId);
                made[0] = appt;
                return a;
            });
            metrics.booking("booked");
            events.add(booked(c, made[0], "assistant"));
            return booked;
        } catch (BookingStore.SlotTaken e) {
            Optional<String> stored = store.toolAnswer(tc.id());
            if (stored.isPresent()) {
                return Answer.fromJson(stored.get()); // our own retry took it a moment ago
            }
            return slotGone(c, tc, vapiCallId, s, zone, day, service);
        } catch (RetriedToolCall e) {
            return store.toolAnswer(tc.id()).map(Answer::fromJson).orElseGet(() -> Answer.error("please try again"));
        } catch (RuntimeException e) {
            if (e.getCause() instanceof SQLException sql && uk.bookinghub.store.Dialect.isUniqueViolation(sql)) {
                Optional<String> stored = store.toolAnswer(tc.id());
                if (stored.isPresent()) {
                    return Answer.fromJson(stored.get());
                }
            }
            throw e;
        }
    }

    private static final class RetriedToolCall extends RuntimeException {
        RetriedToolCall() {
            super("retried tool call", null, false, false);
        }
    }

    private Answer slotGone(Client c, ToolCall tc, String vapiCallId, BookingSettings s, ZoneId zone, LocalDate day, BookingSettings.Service service) {
        List<Availability.Slot> alt = free(c, s, zone, day, day.plusDays(7), service, 3);
        Answer a = Answer.ok("That slot has just gone" + (alt.isEmpty() ? "; nothing else is free this week." : ", the next free ones are "
                + Availability.words(alt, zone) + ". Starts: " + starts(alt, zone)));
        remember(tc, vapiCallId, c.id(), a);
        return a;
    }

    /** The lead behind this call: the dialler's leadId variable, else the client's lead with this number. */
    private Long leadId(Client c, JsonNode message, String phone) {
        String fromCall = first(text(message.path("call").path("assistantOverrides").path("variableValues").get("leadId")),
                text(message.path("call").path("metadata").get("leadId")));
        return store.callLead(c.id(), fromCall, phone);
    }

    // ---- cancel / reschedule ----------------------------------------------------------------

    private Answer cancel(Client c, ToolCall tc, List<AnalyticsEvent> events) {
        ZoneId zone = ZoneId.of(c.timezone());
        Appointment a = store.database().inTransaction("cancelling an appointment", conn -> {
            Appointment found = find(conn, c, tc.arguments());
            cancel(conn, found);
            return store.byId(conn, found.id()).orElseThrow();
        });
        metrics.booking("cancelled");
        events.add(cancelled(c, a));
        return Answer.ok("Cancelled the " + (a.service() == null ? "appointment" : a.service()) + " on " + Templates.date(a.start(), zone, clock.instant()) + " at "
                + Templates.time(a.start(), zone) + ".");
    }

    /** Cancels in the caller's transaction: the slot is freed, its queued messages (reminders) are not sent. */
    public void cancel(Connection conn, Appointment a) throws SQLException {
        store.setStatus(conn, a.id(), "cancelled");
        store.release(conn, a.id());
        store.cancelQueuedMessages(conn, a.id(), "appointment cancelled");
        LOG.info("[BOOKING] appointment {} cancelled", a.id());
    }

    private Answer reschedule(Client c, ToolCall tc, List<AnalyticsEvent> events) {
        ZoneId zone = ZoneId.of(c.timezone());
        Instant start = dateTime(tc.arguments(), "start", zone);
        Appointment[] before = new Appointment[1];
        Appointment moved = store.database().inTransaction("rescheduling an appointment", conn -> {
            before[0] = find(conn, c, tc.arguments());
            return move(conn, c, before[0], start);
        });
        metrics.booking("moved");
        events.add(moved(c, before[0], moved));
        return Answer.ok("Moved to " + Templates.date(moved.start(), zone, clock.instant()) + " at " + Templates.time(moved.start(), zone) + ". A new confirmation is on its way.");
    }

    /** Moves the appointment (same service and buffer) in the caller's transaction; {@link Problem} if the new time is not free. */
    public Appointment move(Connection conn, Client c, Appointment a, Instant start) throws SQLException {
        ZoneId zone = ZoneId.of(c.timezone());
        BookingSettings s = BookingSettings.fromJson(store.settingsJson(conn, c.id()));
        BookingSettings.Service service = s.service(a.service()).orElse(new BookingSettings.Service(a.service(),
                (int) Duration.between(a.start(), a.end()).toMinutes(), 0));
        int minutes = (int) Duration.between(a.start(), a.end()).toMinutes();
        withinHorizon(s, zone, start, "start");
        if (!Availability.isCandidate(s, zone, start, new BookingSettings.Service(service.name(), minutes, service.bufferMinutes()))
                || start.isBefore(clock.instant().plus(Duration.ofMinutes(s.minNoticeMinutes())))) {
            throw new Problem("that time cannot be booked: outside opening hours, off the slot grid or too soon");
        }
        store.release(conn, a.id());
        try {
            store.claim(conn, c.id(), a.id(), start, minutes, service.bufferMinutes());
        } catch (BookingStore.SlotTaken e) {
            throw new Problem("that time is taken; ask checkAvailability for free times");
        }
        Instant end = start.plus(Duration.ofMinutes(minutes));
        store.move(conn, a.id(), start, end);
        store.cancelQueuedMessages(conn, a.id(), "appointment moved");
        messages.queue(conn, c, new MessagesApi.Request("confirmation", List.of(), a.leadId(), a.phone(), a.email(), a.customerName(), start, a.service(),
                a.id(), "confirmation:" + a.id() + ":" + start, null));
        LOG.info("[BOOKING] appointment {} moved from {} to {}", a.id(), a.start(), start);
        return store.byId(conn, a.id()).orElseThrow();
    }

    private Appointment find(Connection conn, Client c, JsonNode args) throws SQLException {
        String id = text(args.get("appointmentId"));
        if (id != null) {
            Optional<Appointment> a = id.matches("\\d{1,18}") ? store.byId(conn, Long.parseLong(id)).filter(x -> x.clientId() == c.id()) : Optional.empty();
            return a.filter(x -> "booked".equals(x.status())).orElseThrow(() -> new Problem("no booked appointment with reference " + id));
        }
        String phone = text(args.get("phone"));
        if (phone == null) {
            throw new Problem("give appointmentId or phone");
        }
        uk.bookinghub.phones.PhoneCheck check = messages.phones().check(phone, c.country());
        if (!check.valid()) {
            throw new Problem("phone " + uk.bookinghub.phones.HubPhones.refusal(phone, check) + "; ask the caller to say their number again");
        }
        String e164 = check.e164();
        return store.nextFor(conn, c.id(), e164, clock.instant()).orElseThrow(() -> new Problem("no upcoming appointment for " + phone));
    }

    // ---- analytics events of what committed ------------------------------------------------

    /** The appointment.booked event of a new appointment (by the assistant, or the API). */
    static AnalyticsEvent booked(Client c, Appointment a, String by) {
        return AnalyticsFacts.appointmentBooked(a.id(), c.id(), c.clientKey(), a.leadId(), a.service(), a.start(), a.createdAt(), by);
    }

    /** The appointment.cancelled event of an appointment as it is after its cancellation. */
    public static AnalyticsEvent cancelled(Client c, Appointment a) {
        return AnalyticsFacts.appointmentCancelled(a.id(), c.id(), c.clientKey(), a.leadId(), a.service(), a.createdAt(), a.start(), a.cancelledAt());
    }

    /** The appointment.moved event: {@code before} and {@code after} the move. */
    static AnalyticsEvent moved(Client c, Appointment before, Appointment after) {
        return AnalyticsFacts.appointmentMoved(after.id(), c.id(), c.clientKey(), after.leadId(), before.start(), after.start(), after.scheduledAt());
    }

    // ---- argument helpers -------------------------------------------------------------------

    private static LocalDate date(JsonNode args, String field, boolean required) {
        String v = text(args.get(field));
        if (v == null) {
            if (required) {
                throw new Problem(field + " is required, as YYYY-MM-DD");
            }
            return null;
        }
        try {
            return LocalDate.parse(v.length() > 10 ? v.substring(0, 10) : v);
        } catch (DateTimeParseException e) {
            throw new Problem(field + " must be YYYY-MM-DD, got '" + v + "'");
        }
    }

    /** ISO-8601 with an offset, or a local date-time in the client's zone. */
    static Instant dateTime(JsonNode args, String field, ZoneId zone) {
        String v = text(args.get(field));
        if (v == null) {
            throw new Problem(field + " is required, as an ISO-8601 date-time such as 2026-12-01T14:30");
        }
        if (v.startsWith("+") || v.startsWith("-")) {
            throw new Problem(field + " must be an ISO-8601 date-time with a four-digit year, such as 2026-12-01T14:30, got '" + v + "'");
        }
        try {
            return OffsetDateTime.parse(v).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(v).atZone(zone).toInstant();
            } catch (DateTimeParseException e2) {
                throw new Problem(field + " must be an ISO-8601 date-time such as 2026-12-01T14:30, got '" + v + "'");
            }
        }
    }

    private static BookingSettings.Service service(BookingSettings s, String name) {
        return s.service(name).orElseThrow(() -> new Problem("we do not offer '" + name + "'; services: " + String.join(", ", s.serviceNames())));
    }

    static String oneLine(String s) {
        return s == null ? null : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }

    private static String text(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        String s = n.isTextual() ? n.asText() : n.toString();
        return s.isBlank() ? null : s.strip();
    }

    @SafeVarargs
    private static <T> T first(T... values) {
        for (T v : values) {
            if (v != null && !(v instanceof JsonNode j && (j.isNull() || j.isMissingNode()))) {
                return v;
            }
        }
        return null;
    }

    /** Tool JSON schemas for {@code GET /api/vapi/tools}: paste into the client's Vapi assistant. */
    public static List<Map<String, Object>> schemas(String serverUrl) {
        List<Map<String, Object>> out = new ArrayList<>();
        out.add(tool("checkAvailability", "Free appointment times on a date (or a range of dates), for a service.", Map.of(
                "date", prop("string", "Day to check, YYYY-MM-DD"),
                "endDate", prop("string", "Last day to check, YYYY-MM-DD (optional)"),
                "service", prop("string", "Service wanted (optional)")), List.of("date"), serverUrl));
        out.add(tool("bookAppointment", "Book an appointment at a free start time.", Map.of(
                "start", prop("string", "Start, ISO-8601 local date-time in the business's time zone (e.g. 2026-12-01T14:30) or with an offset"),
                "name", prop("string", "Customer's name"),
                "phone", prop("string", "Customer's phone number"),
                "email", prop("string", "Customer's email (optional)"),
                "service", prop("string", "Service (optional)"),
                "notes", prop("string", "Anything the business should know (optional)")), List.of("start", "name", "phone"), serverUrl));
        out.add(tool("cancelAppointment", "Cancel an appointment by its reference, or the caller's next one by phone.", Map.of(
                "appointmentId", prop("string", "Booking reference (optional)"),
                "phone", prop("string", "Customer's phone number (optional)")), List.of(), serverUrl));
        out.add(tool("rescheduleAppointment", "Move an appointment to a new free start time.", Map.of(
                "appointmentId", prop("string", "Booking reference (optional)"),
                "phone", prop("string", "Customer's phone number (optional)"),
                "start", prop("string", "New start, ISO-8601 local date-time or with an offset")), List.of("start"), serverUrl));
        return out;
    }

    private static Map<String, Object> prop(String type, String description) {
        return Map.of("type", type, "description", description);
    }

    private static Map<String, Object> tool(String name, String description, Map<String, Object> props, List<String> required, String serverUrl) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("type", "object");
        params.put("properties", new java.util.TreeMap<>(props));
        params.put("required", required);
        Map<String, Object> fn = new LinkedHashMap<>();
        fn.put("name", name);
        fn.put("description", description);
        fn.put("parameters", params);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("type", "function");
        t.put("function", fn);
        t.put("server", Map.of("url", serverUrl));
        return t;
    }

    static ObjectNode object() {
        return Json.MAPPER.createObjectNode();
    }

    static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }
}
