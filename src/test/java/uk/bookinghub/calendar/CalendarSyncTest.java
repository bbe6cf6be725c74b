package uk.bookinghub.calendar;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import uk.bookinghub.support.GoogleCalendarStub;
import uk.bookinghub.support.RouteTicks;
import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The client's Google Calendar through camel-google-calendar against a local Calendar v3
 * stand-in: busy blocks taken out of availability, one event per booking with our derived id,
 * moved and cancelled bookings patched and deleted, Google down or rate-limited → the booking
 * stands and the event follows later, 20 racing bookings → one event.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CalendarSyncTest {

    static final ZoneId LONDON = ZoneId.of("Europe/London");
    static final String CALENDAR = "bookings@leeds.example";
    private static final AtomicInteger NEXT = new AtomicInteger(700);
    private TestDatabase db;
    private RunningHub hub;
    private GoogleCalendarStub google;
    private String key;
    private LocalDate monday;
    private final AtomicInteger week = new AtomicInteger();

    abstract TestDatabase.Kind kind();

    @BeforeAll
    void start() {
        db = TestDatabase.create(kind());
        google = GoogleCalendarStub.start();
        hub = RunningHub.start(db.hubUrl(), Map.of("google.base-url", google.baseUrl(), "hub.calendar.max-attempts", "20"));
        key = hub.onboard("{\"businessName\":\"Leeds Plumbing\",\"email\":\"office@leeds.example\",\"phone\":\"0113 496 0000\"}");
        HttpResponse<String> s = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/clients/leeds-plumbing/settings")))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"slotMinutes\":60,\"googleCalendarId\":\"" + CALENDAR + "\"}"))
                .header("Content-Type", "application/json"), "X-API-Key", key);
        assertThat(s.statusCode()).as(s.body()).isEqualTo(200);
        monday = LocalDate.now(LONDON).plusDays(14).with(TemporalAdjusters.next(DayOfWeek.MONDAY));
    }

    @AfterAll
    void stop() {
        hub.close();
        google.close();
        db.close();
    }

    @BeforeEach
    void clean() {
        google.recover();
        google.up();
    }

    private LocalDate freshDay() {
        return monday.plusWeeks(week.incrementAndGet());
    }

    private static String mobile() {
        return "+447700900" + String.format("%03d", NEXT.incrementAndGet());
    }

    private JsonNode tool(String name, String args) {
        String body = "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"cal-call\",\"assistantOverrides\":{\"variableValues\":{\"clientKey\":\"leeds-plumbing\"}}},"
                + "\"toolCallList\":[{\"id\":\"" + UUID.randomUUID() + "\",\"name\":\"" + name + "\",\"arguments\":" + args + "}]}}";
        HttpResponse<String> r = hub.postVapi(body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsons.read(r.body()).get("results").get(0);
    }

    private JsonNode appointment(long id) {
        return Jsons.read(hub.get("/api/appointments/" + id, "X-API-Key", key).body());
    }

    private long book(LocalDate day, String time) {
        JsonNode r = tool("bookAppointment", "{\"start\":\"" + day + "T" + time + "\",\"name\":\"Ann\",\"phone\":\"" + mobile() + "\"}");
        assertThat(r.get("result").asText()).as(r.toString()).startsWith("Booked");
        return Long.parseLong(r.get("result").asText().replaceAll(".*Reference (\\d+).*", "$1"));
    }

    @Test
    void busyBlocksInTheCalendarAreNotOffered() {
        LocalDate day = freshDay();
        google.busy(CALENDAR, day.atTime(10, 0).atZone(LONDON).toInstant(), day.atTime(12, 0).atZone(LONDON).toInstant());
        String free = tool("checkAvailability", "{\"date\":\"" + day + "\"}").get("result").asText();
        assertThat(free).contains(day + "T09:00", day + "T12:00").doesNotContain(day + "T10:00", day + "T11:00");
        assertThat(google.requests("POST", "/calendar/v3/freeBusy")).isNotEmpty();
        JsonNode taken = tool("bookAppointment", "{\"start\":\"" + day + "T10:00\",\"name\":\"Bo\",\"phone\":\"" + mobile() + "\"}");
        assertThat(taken.get("result").asText()).startsWith("That slot has just gone");
    }

    @Test
    void aBookingBecomesOneEventThatFollowsMovesAndCancellations() {
        LocalDate day = freshDay();
        long id = book(day, "14:00");
        await().atMost(Duration.ofSeconds(10)).until(() -> "synced".equals(appointment(id).get("calendarStatus").asText()));
        JsonNode a = appointment(id);
        String eventId = a.get("googleEventId").asText();
        JsonNode event = google.events(CALENDAR).get(eventId);
        assertThat(event).isNotNull();
        assertThat(event.get("summary").asText()).contains("Ann");
        assertThat(event.get("start").get("dateTime").asText()).isNotBlank();
        assertThat(event.get("start").get("timeZone").asText()).isEqualTo("Europe/London");

        HttpResponse<String> moved = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/appointments/" + id)))
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"start\":\"" + day + "T15:00\"}")).header("Content-Type", "application/json"),
                "X-API-Key", key);
        assertThat(moved.statusCode()).as(moved.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> "synced".equals(appointment(id).get("calendarStatus").asText())
                && !google.requests("PATCH", "/calendar/v3/calendars/" + CALENDAR + "/events/" + eventId).isEmpty());
        assertThat(java.time.OffsetDateTime.parse(google.events(CALENDAR).get(eventId).get("start").get("dateTime").asText()).toInstant())
                .isEqualTo(day.atTime(15, 0).atZone(LONDON).toInstant());
        assertThat(google.activeEvents(CALENDAR)).containsKey(eventId);

        HttpResponse<String> cancelled = hub.send(HttpRequest.newBuilder(URI.create(hub.url("/api/appointments/" + id)))
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"status\":\"cancelled\"}")).header("Content-Type", "application/json"),
                "X-API-Key", key);
        assertThat(cancelled.statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> !google.activeEvents(CALENDAR).containsKey(eventId));
        assertThat(google.events(CALENDAR).get(eventId).get("status").asText()).isEqualTo("cancelled");
    }

    @Test
    void googleDownOrRateLimitedLeavesTheBookingStandingAndSyncsLater() {
        LocalDate day = freshDay();
        google.down();
        long id = book(day, "09:00"); // freebusy unreachable: availability uses our own appointments
        assertThat(appointment(id).get("status").asText()).isEqualTo("booked");
        await().atMost(Duration.ofSeconds(10)).until(() -> appointment(id).get("calendarError").isTextual());
        assertThat(appointment(id).get("calendarStatus").asText()).isEqualTo("pending");
        google.up();
        google.failNext(1, 403, "rateLimitExceeded");
        await().atMost(Duration.ofSeconds(30)).until(() -> "synced".equals(appointment(id).get("calendarStatus").asText()));
        assertThat(google.activeEvents(CALENDAR)).containsKey(appointment(id).get("googleEventId").asText());
    }

    private long racers() {
        return google.events(CALENDAR).values().stream().filter(e -> e.path("summary").asText().contains("Racer")).count();
    }

    @Test
    void twentyRacingBookingsMakeOneEvent() throws Exception {
        LocalDate day = freshDay().plusDays(1);
        ExecutorService pool = Executors.newFixedThreadPool(20);
        List<String> answers = new ArrayList<>();
        try {
            List<Callable<JsonNode>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String phone = mobile();
                calls.add(() -> tool("bookAppointment", "{\"start\":\"" + day + "T11:00\",\"name\":\"Racer\",\"phone\":\"" + phone + "\"}"));
            }
            for (Future<JsonNode> f : pool.invokeAll(calls)) {
                answers.add(f.get().toString());
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(answers.stream().filter(a -> a.contains("Booked"))).hasSize(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> racers() == 1);
        RouteTicks.await(hub.camel(), "calendar-sync", 3); // the sync has run again: still one event
        assertThat(racers()).isEqualTo(1);
    }
}
