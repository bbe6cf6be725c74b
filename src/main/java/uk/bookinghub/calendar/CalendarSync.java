package uk.bookinghub.calendar;

import com.google.api.client.googleapis.json.GoogleJsonResponseException;
import com.google.api.client.util.DateTime;
import com.google.api.services.calendar.model.Event;
import com.google.api.services.calendar.model.EventDateTime;
import com.google.api.services.calendar.model.FreeBusyCalendar;
import com.google.api.services.calendar.model.FreeBusyRequest;
import com.google.api.services.calendar.model.FreeBusyRequestItem;
import com.google.api.services.calendar.model.FreeBusyResponse;
import com.google.api.services.calendar.model.TimePeriod;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.booking.Appointment;
import uk.bookinghub.booking.Availability;
import uk.bookinghub.booking.BookingSettings;
import uk.bookinghub.booking.BookingStore;
import uk.bookinghub.booking.BookingTools;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Keeps each client's Google Calendar in step with our appointments (the calendar of record is
 * ours): the {@code calendar-sync} route inserts an event for a new booking (its id derived from
 * ours, so a retried insert answers 409 instead of making a second event), patches a moved one,
 * deletes a cancelled one. Rate limits, 5xx and unreachable Google are retried later with
 * back-off; the booking stands meanwhile. Also answers availability's question: the calendar's
 * busy blocks ({@code freebusy/query}); if Google cannot answer, availability uses what we know.
 */
public final class CalendarSync implements BookingTools.CalendarBusy {

    private static final Logger LOG = LoggerFactory.getLogger(CalendarSync.class);
    public static final String OP = "calendarOp";
    private static final String APPOINTMENT = "calendarAppointment";

    private final BookingStore store;
    private final ClientStore clients;
    private final GoogleCalendars google;
    private final CamelContext camel;
    private final Clock clock;
    private final int maxAttempts;
    private final long retryInitialMs;
    private volatile ProducerTemplate template;

    public CalendarSync(BookingStore store, ClientStore clients, GoogleCalendars google, CamelContext camel, Clock clock, int maxAttempts,
                        long retryInitialMs) {
        this.store = store;
        this.clients = clients;
        this.google = google;
        this.camel = camel;
        this.clock = clock;
        this.maxAttempts = maxAttempts;
        this.retryInitialMs = retryInitialMs;
    }

    private String calendarId(Client c) {
        return store.settings(c.id()).googleCalendarId();
    }

    @Override
    public boolean configured(Client client) {
        return google.configured() && calendarId(client) != null;
    }

    @Override
    public List<Availability.Busy> busy(Client client, Instant from, Instant to) {
        String id = google.configured() ? calendarId(client) : null;
        if (id == null) {
            return List.of();
        }
        FreeBusyRequest req = new FreeBusyRequest().setTimeMin(new DateTime(from.toEpochMilli())).setTimeMax(new DateTime(to.toEpochMilli()))
                .setItems(List.of(new FreeBusyRequestItem().setId(id)));
        try {
            FreeBusyResponse res = template().requestBody("direct:google-freebusy", req, FreeBusyResponse.class);
            FreeBusyCalendar cal = res == null || res.getCalendars() == null ? null : res.getCalendars().get(id);
            List<Availability.Busy> out = new ArrayList<>();
            if (cal != null && cal.getBusy() != null) {
                for (TimePeriod p : cal.getBusy()) {
                    out.add(new Availability.Busy(Instant.ofEpochMilli(p.getStart().getValue()), Instant.ofEpochMilli(p.getEnd().getValue())));
                }
            }
            return out;
        } catch (RuntimeException e) {
            LOG.warn("[CALENDAR] busy times of {} unavailable ({}): offering times from our own appointments only", client.clientKey(), reason(e));
            return List.of();
        }
    }

    /** What the hub saw of a calendar: its busy blocks, or why it could not read them. */
    public record FreeBusyCheck(boolean ok, List<Availability.Busy> busy, String reason) {
    }

    /**
     * Reads a calendar's free/busy the way availability does (the same google-freebusy route), but says
     * why when it cannot: Google not configured, the calendar not shared with the service account
     * (Google's per-calendar {@code notFound}), or Google's error. For the onboarding wizard's check.
     */
    public FreeBusyCheck check(String calendarId, Instant from, Instant to) {
        if (!google.configured()) {
            return new FreeBusyCheck(false, List.of(), "Google Calendar is not configured on this hub (GOOGLE_CLIENT_EMAIL and GOOGLE_PRIVATE_KEY)");
        }
        FreeBusyRequest req = new FreeBusyRequest().setTimeMin(new DateTime(from.toEpochMilli())).setTimeMax(new DateTime(to.toEpochMilli()))
                .setItems(List.of(new FreeBusyRequestItem().setId(calendarId)));
        try {
            FreeBusyResponse res = template().requestBody("direct:google-freebusy", req, FreeBusyResponse.class);
            FreeBusyCalendar cal = res == null || res.getCalendars() == null ? null : res.getCalendars().get(calendarId);
            if (cal == null) {
                return new FreeBusyCheck(false, List.of(), "Google's answer has no calendar " + calendarId);
            }
            if (cal.getErrors() != null && !cal.getErrors().isEmpty()) {
                String why = cal.getErrors().get(0).getReason();
                return new FreeBusyCheck(false, List.of(), "notFound".equals(why)
                        ? "the hub cannot see calendar " + calendarId + ": share it with the hub's service account (\"See all event details\" or \"See only free/busy\")"
                        : "Google could not read calendar " + calendarId + ": " + why);
            }
            List<Availability.Busy> out = new ArrayList<>();
            if (cal.getBusy() != null) {
                for (TimePeriod p : cal.getBusy()) {
                    out.add(new Availability.Busy(Instant.ofEpochMilli(p.getStart().getValue()), Instant.ofEpochMilli(p.getEnd().getValue())));
                }
            }
            return new FreeBusyCheck(true, out, null);
        } catch (RuntimeException e) {
            LOG.warn("[ONBOARDING] free/busy of calendar {} unavailable: {}", calendarId, reason(e));
            return new FreeBusyCheck(false, List.of(), "Google did not answer: " + reason(e));
        }
    }

    private ProducerTemplate template() {
        ProducerTemplate t = template;
        if (t == null) {
            synchronized (this) {
                if (template == null) {
                    template = camel.createProducerTemplate();
                }
                t = template;
            }
        }
        return t;
    }

    // ---- the calendar-sync route ------------------------------------------------------------

    /** Up to 200 appointments; {@code calendarMore} tells the route to go on at once when the batch was full. */
    public List<Appointment> due(Exchange exchange) {
        List<Appointment> due = store.calendarDue(200);
        exchange.setProperty("calendarMore", due.size() >= 200);
        return due;
    }

    /** Sets {@code calendarOp} (insert, patch, delete, none) and the component's headers for the appointment in the body. */
    public void prepare(Exchange exchange) {
        Appointment a = exchange.getMessage().getBody(Appointment.class);
        exchange.setProperty(APPOINTMENT, a);
        Client client = clients.byId(a.clientId()).orElseThrow();
        String calendarId = calendarId(client);
        var m = exchange.getMessage();
        m.removeHeaders("*");
        if (calendarId == null || !google.configured()) {
            exchange.setProperty(OP, "none");
            return;
        }
        boolean cancelled = "cancelled".equals(a.status());
        String op = cancelled ? (a.googleEventId() == null ? "none" : "delete") : (a.googleEventId() == null ? "insert" : "patch");
        exchange.setProperty(OP, op);
        m.setHeader("CamelGoogleCalendar.calendarId", calendarId);
        String eventId = a.googleEventId() != null ? a.googleEventId() : Appointment.googleEventId(a.id());
        exchange.setProperty("calendarEventId", eventId);
        if (!"insert".equals(op)) {
            m.setHeader("CamelGoogleCalendar.eventId", eventId);
        }
        if (!cancelled) {
            String zone = client.timezone();
            Event e = new Event()
                    .setSummary((a.service() == null ? "Appointment" : a.service()) + " - " + a.customerName())
                    .setDescription("Booked by " + client.businessName() + "'s AI assistant" + (a.phone() == null ? "" : ". Phone: " + a.phone())
                            + (a.email() == null ? "" : ". Email: " + a.email()) + (a.notes() == null ? "" : ". Notes: " + a.notes())
                            + ". Reference " + a.id() + ".")
                    .setStart(new EventDateTime().setDateTime(new DateTime(a.start().toEpochMilli())).setTimeZone(zone))
                    .setEnd(new EventDateTime().setDateTime(new DateTime(a.end().toEpochMilli())).setTimeZone(zone));
            if ("insert".equals(op)) {
                e.setId(eventId);
            }
            m.setHeader("CamelGoogleCalendar.content", e);
        }
    }

    public void synced(Exchange exchange) {
        Appointment a = exchange.getProperty(APPOINTMENT, Appointment.class);
        String op = exchange.getProperty(OP, String.class);
        String status = "none".equals(op) && !google.configured() ? "not_configured" : "synced";
        store.calendarDone(a.id(), status, "insert".equals(op) ? exchange.getProperty("calendarEventId", String.class) : null, null, a.updatedAt());
        LOG.info("[CALENDAR] appointment {} {}", a.id(), "none".equals(op) ? "needs no calendar change" : op + " done");
    }

    /** 409 on insert = the event exists (an earlier try got through); 404 / 410 on delete = already gone; 403 rate limit, 5xx, I/O = later. */
    public void failed(Exchange exchange) {
        Appointment a = exchange.getProperty(APPOINTMENT, Appointment.class);
        String op = exchange.getProperty(OP, String.class);
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        GoogleJsonResponseException g = google(error);
        int code = g == null ? -1 : g.getStatusCode();
        if (a == null) {
            LOG.error("[CALENDAR] sync failed before the appointment was known: {}", reason(error));
            return;
        }
        if (("insert".equals(op) && code == 409) || ("delete".equals(op) && (code == 404 || code == 410))) {
            store.calendarDone(a.id(), "synced", "insert".equals(op) ? exchange.getProperty("calendarEventId", String.class) : null, null, a.updatedAt());
            LOG.info("[CALENDAR] appointment {} {}: already done ({})", a.id(), op, code);
            return;
        }
        boolean later = g == null || code == 403 || code == 429 || code >= 500;
        int attempts = store.calendarAttempts(a.id()) + 1;
        if (later && attempts < maxAttempts) {
            Duration wait = Duration.ofMillis(Math.min(3_600_000L, retryInitialMs << Math.min(attempts - 1, 20)));
            store.calendarRetry(a.id(), reason(error), clock.instant().plus(wait));
            LOG.warn("[CALENDAR] appointment {} {} failed ({}); trying again in {} ms", a.id(), op, reason(error), wait.toMillis());
        } else {
            store.calendarRetry(a.id(), reason(error), null);
            store.calendarDone(a.id(), "failed", null, reason(error), a.updatedAt());
            LOG.error("[CALENDAR] appointment {} {} failed for good after {} attempt(s): {}", a.id(), op, attempts, reason(error));
        }
    }

    private static GoogleJsonResponseException google(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
            if (x instanceof GoogleJsonResponseException g) {
                return g;
            }
        }
        return null;
    }

    static String reason(Throwable t) {
        GoogleJsonResponseException g = google(t);
        if (g != null) {
            String why = g.getDetails() == null ? g.getStatusMessage() : g.getDetails().getMessage();
            return "Google " + g.getStatusCode() + ": " + why;
        }
        Throwable root = t;
        while (root != null && root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == null ? "unknown" : root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    /** For /health: configured or not. */
    public Map<String, Object> state() {
        return Map.of("googleCalendar", google.configured() ? "configured" : "not configured");
    }
}
