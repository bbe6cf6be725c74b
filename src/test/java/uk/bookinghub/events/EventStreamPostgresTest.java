package uk.bookinghub.events;

import org.junit.jupiter.api.Test;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.Scrape;
import uk.bookinghub.support.SseClient;
import uk.bookinghub.support.TestDatabase;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live event stream on PostgreSQL, plus what only several instances show: an event committed on
 * one instance reaches a stream on another (by LISTEN/NOTIFY alone: the second instance barely
 * polls), a ticket issued by one opens a stream on the other once, and a listening connection the
 * server terminates is opened again (events committed meanwhile still arrive, and then new ones by
 * NOTIFY again).
 */
class EventStreamPostgresTest extends EventStreamTest {

    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }

    /** A second instance on the same database that polls only once a minute: what it streams, NOTIFY brought. */
    private RunningHub second() {
        Map<String, String> o = new HashMap<>(settings());
        o.put("hub.events.poll-ms", "60000");
        return RunningHub.start(db.hubUrl(), o);
    }

    private Set<Integer> listenerPids() throws Exception {
        Set<Integer> pids = new HashSet<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select pid from pg_stat_activity where datname = current_database() and application_name = '"
                     + EventListener.APPLICATION_NAME + "' and query like 'LISTEN%'")) {
            while (rs.next()) {
                pids.add(rs.getInt(1));
            }
        }
        return pids;
    }

    @Test
    void anEventCommittedOnOneInstanceReachesAStreamOnTheOtherAndATicketWorksOnEither() throws Exception {
        try (RunningHub other = second()) {
            // the ticket of instance A opens a stream on instance B, once
            String t = ticket(hub, "stream-alpha");
            try (SseClient onB = SseClient.open(other.port, "/api/events?ticket=" + t)) {
                assertThat(onB.status()).as(onB.errorBody()).isEqualTo(200);
                try (SseClient again = SseClient.open(hub.port, "/api/events?ticket=" + t)) {
                    assertThat(again.status()).isEqualTo(401);
                }
                long sent = System.nanoTime();
                String callId = endCall(hub, "stream-alpha");
                SseClient.Event e = callEnded(onB, callId);
                assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("by NOTIFY, not the minute's poll").isLessThan(Duration.ofSeconds(5));
                assertThat(e.idNumber()).isEqualTo(eventId("call_ended:" + callId));
                // several at once, committed on A by concurrent webhooks: each once, in id order
                List<String> calls = java.util.stream.IntStream.range(0, 20).parallel().mapToObj(i -> endCall(hub, "stream-alpha")).toList();
                List<SseClient.Event> got = onB.nextWithIds(20, Duration.ofSeconds(15));
                assertThat(got).extracting(x -> x.json().get("data").get("vapiCallId").asText()).containsExactlyInAnyOrderElementsOf(calls);
                assertThat(got).extracting(SseClient.Event::idNumber).isSorted().doesNotHaveDuplicates();
            }
        }
    }

    /**
     * The writing transaction never NOTIFYs (a transaction that does takes PostgreSQL's database-wide
     * notify lock through its commit: every webhook committed one at a time): an event written by SQL
     * is not announced by the transaction that wrote it, and the hub's own commits are announced from
     * its announcer's connection, with the highest id, fewer times than there are events.
     */
    @Test
    void newEventsAreAnnouncedByTheInstanceAfterItsCommitsNotByTheWritingTransaction() throws Exception {
        long gamma = clientId("stream-gamma");
        try (Connection listen = db.connect(); Statement ls = listen.createStatement(); Connection writer = db.connect(); Statement ws = writer.createStatement()) {
            ls.execute("LISTEN hub_events");
            org.postgresql.PGConnection pg = listen.unwrap(org.postgresql.PGConnection.class);
            pg.getNotifications(200); // whatever was on its way
            int writerPid = writer.unwrap(org.postgresql.PGConnection.class).getBackendPID();
            ws.execute("select hub_event(" + gamma + ", 'call_started', null, '{\"vapiCallId\":\"by-sql\"}'::json, null, null)");
            org.postgresql.PGNotification[] first = pg.getNotifications(700);
            assertThat(first == null ? List.of() : java.util.Arrays.stream(first).filter(n -> n.getPID() == writerPid).map(n -> n.getParameter()).toList())
                    .as("the transaction that wrote the event announces nothing").isEmpty();

            List<String> calls = java.util.stream.IntStream.range(0, 20).parallel().mapToObj(i -> endCall(hub, "stream-gamma")).toList();
            long last = 0;
            for (String c : calls) {
                last = Math.max(last, eventId("call_ended:" + c));
            }
            long announcedMax = 0;
            Set<Integer> announcers = new HashSet<>();
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (announcedMax < last && System.nanoTime() < until) {
                org.postgresql.PGNotification[] got = pg.getNotifications(200);
                for (org.postgresql.PGNotification n : got == null ? new org.postgresql.PGNotification[0] : got) {
                    announcedMax = Math.max(announcedMax, Long.parseLong(n.getParameter()));
                    announcers.add(n.getPID());
                }
            }
            assertThat(announcedMax).as("the instance announced up to its last event").isGreaterThanOrEqualTo(last);
            assertThat(announcers).as("announced by the hub, not by the SQL writer").isNotEmpty().doesNotContain(writerPid);
        }
    }

    @Test
    void eventsStillArriveWhenTheListeningConnectionIsKilledAndItListensAgain() throws Exception {
        try (RunningHub other = second()) {
            Set<Integer> before = null;
            for (int i = 0; i < 100; i++) {
                before = listenerPids();
                if (before.size() == 2) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(before).as("each instance listens on a connection of its own").hasSize(2);
            try (SseClient onB = SseClient.open(other.port, "/api/events?ticket=" + ticket(other, "stream-beta"))) {
                assertThat(onB.status()).isEqualTo(200);
                try (Connection c = db.connect(); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = current_database() "
                             + "and application_name = '" + EventListener.APPLICATION_NAME + "'")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(2);
                }
                // committed while nobody listens: read when the listener is back (or by the poll)
                String whileDown = endCall(hub, "stream-beta");
                callEnded(onB, whileDown);
                Set<Integer> after = Set.of();
                for (int i = 0; i < 100; i++) {
                    after = listenerPids();
                    if (after.size() == 2 && java.util.Collections.disjoint(after, before)) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertThat(after).as("both instances LISTEN again, on new connections").hasSize(2).doesNotContainAnyElementsOf(before);
                assertThat(Scrape.of(other).value("hub_events_listening")).isEqualTo(1.0);
                long sent = System.nanoTime();
                String afterwards = endCall(hub, "stream-beta");
                callEnded(onB, afterwards);
                assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("by NOTIFY again, not the minute's poll").isLessThan(Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void aLaterEventWaitsForAnEarlierIdStillBeingWrittenAndARolledBackIdDoesNotHoldTheStream() throws Exception {
        long gamma = clientId("stream-gamma");
        try (SseClient s = stream(hub, "stream-gamma"); Connection slow = db.connect(); Statement st = slow.createStatement()) {
            slow.setAutoCommit(false);
            // a transaction takes an id and is still open when a later event commits
            st.execute("insert into events (client_id, type, data) values (" + gamma + ", 'call_started', '{\"vapiCallId\":\"slow\"}')");
            String later = endCall(hub, "stream-gamma");
            assertThat(s.nextWithId(Duration.ofMillis(1500))).as("the later event waits for the earlier id").isNull();
            slow.commit();
            List<SseClient.Event> both = s.nextWithIds(2, WAIT);
            assertThat(both).extracting(e -> e.json().get("data").get("vapiCallId").asText()).containsExactly("slow", later);
            assertThat(both.get(0).idNumber()).isLessThan(both.get(1).idNumber());
            // one that rolls back: the later event goes as soon as it has
            st.execute("insert into events (client_id, type, data) values (" + gamma + ", 'call_started', '{\"vapiCallId\":\"rolled-back\"}')");
            String next = endCall(hub, "stream-gamma");
            assertThat(s.nextWithId(Duration.ofMillis(1000))).isNull();
            slow.rollback();
            assertThat(callEnded(s, next).json().get("data").get("vapiCallId").asText()).isEqualTo(next);
            assertThat(s.nextWithId(Duration.ofMillis(500))).isNull();
        }
    }
}
