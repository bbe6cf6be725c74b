package uk.bookinghub.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.RunningHub;
import uk.bookinghub.support.TestDatabase;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * V10 on a database that already has calls, appointments and messages (migrated to V9, filled,
 * then the hub started): every ended call, booking, cancellation, send, delivery and failure gets
 * its analytics event once (an event already there is left as it is), with its client, lead, the
 * lead's source and the time it happened; the daily roll-up equals the one rebuilt from the events;
 * and each back-filled event is the one the live path's builder makes (the reconciliation, which
 * uses the builders, re-adds the same events after they are deleted).
 */
abstract class AnalyticsBackfillTest {

    abstract TestDatabase.Kind kind();

    private static final ZoneId LONDON = ZoneId.of("Europe/London");

    @Test
    void existingFactsGetTheirEventsOnceAndTheRollupIsSummedFromThem() throws Exception {
        try (TestDatabase db = TestDatabase.create(kind())) {
            boolean pg = kind() == TestDatabase.Kind.POSTGRESQL;
            String url = pg ? "jdbc:postgresql://" + TestDatabase.PG_HOST + ":" + TestDatabase.PG_PORT + "/" + db.hubUrl().substring(db.hubUrl().lastIndexOf('/') + 1)
                    : db.hubUrl();
            Flyway.configure().dataSource(url, pg ? TestDatabase.PG_USER : null, null)
                    .locations("classpath:db/common", "classpath:db/" + (pg ? "postgresql" : "sqlite")).target("9").load().migrate();
            EventRows rows = new EventRows(db);
            Instant t = Instant.now().minus(Duration.ofDays(2)).truncatedTo(ChronoUnit.MILLIS);
            Object t1 = rows.at(t);
            Object t2 = rows.at(t.plusSeconds(3600));
            Object t3 = rows.at(t.plusSeconds(7200));
            Object future = rows.at(t.plus(Duration.ofDays(10)));
            Object futureEnd = rows.at(t.plus(Duration.ofDays(10)).plusSeconds(3600));

            rows.update("insert into clients (id, client_key, business_name, timezone) values (1, 'alpha', 'Alpha', 'Europe/London'), (2, 'beta', 'Beta', 'Europe/London')");
            rows.update("insert into leads (id, client_id, dedupe_no, phone_e164, source, status, import_id, created_at, updated_at) values "
                    + "(10, 1, 447700900501, '+447700900501', 'fb', 'new', 'imp_old', ?, ?), (11, 2, 447700900502, '+447700900502', 'tv', 'new', 'imp_old', ?, ?)",
                    t1, t1, t1, t1);
            String call = "insert into calls (vapi_call_id, client_id, tenant_rule, lead_id, outcome, ended_reason, duration_seconds, cost, ended_at, "
                    + "report_count, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
            rows.update(call, "bf-call-1", 1, "clientKey", "10", "booked", "customer-ended-call", new BigDecimal("125.50"), new BigDecimal("0.1234"), t1, 1, t1, t1);
            rows.update(call, "bf-call-2", 1, "clientKey", "ext-ref-9", "no_answer", "customer-did-not-answer", null, new BigDecimal("0.0500"), t2, 2, t1, t2);
            rows.update(call, "bf-call-3", 2, "phoneNumberId", "11", "voicemail", "voicemail", new BigDecimal("31.00"), new BigDecimal("0.0200"), t2, 1, t1, t2);
            rows.update(call, "bf-call-4", 1, "clientKey", null, null, null, null, null, null, 0, t1, t1); // status updates only: not ended
            rows.update(call, "bf-call-5", 1, "clientKey", null, "completed", "assistant-ended-call", new BigDecimal("60"), new BigDecimal("0.3000"), t3, 1, t3, t3);
            rows.update(call, "bf-call-6", null, "unmatched", null, "failed", "pipeline-error", null, new BigDecimal("0.0100"), t3, 1, t3, t3);
            // call 5's event was written live before this change: kept as it is
            rows.update("insert into analytics_events (event_key, event_type, client_id, client_key, vapi_call_id, outcome, props, occurred_at, created_at) "
                    + "values ('call.ended:bf-call-5', 'call.ended', 1, 'alpha', 'bf-call-5', 'completed', "
                    + "'{\"outcome\":\"completed\",\"endedReason\":\"assistant-ended-call\",\"durationSeconds\":60,\"cost\":0.3,\"tenantRule\":\"clientKey\"}', ?, ?)", t3, t3);

            String appt = "insert into appointments (id, client_id, lead_id, vapi_call_id, tool_call_id, customer_name, service, start_at, end_at, scheduled_at, "
                    + "status, calendar_status, created_at, updated_at, cancelled_at) values (?, ?, ?, ?, ?, 'Ann', ?, ?, ?, ?, ?, 'not_configured', ?, ?, ?)";
            rows.update(appt, 20, 1, 10, "bf-call-1", "tc-bf-1", "Boiler service", future, futureEnd, t1, "booked", t1, t1, null);
            rows.update(appt, 21, 1, null, null, null, "Quote", future, futureEnd, t1, "cancelled", t1, t2, t2);
            rows.update(appt, 22, 2, 11, "bf-call-3", "tc-bf-3", null, future, futureEnd, t2, "booked", t2, t2, null);

            String msg = "insert into messages (id, client_id, lead_id, channel, kind, idempotency_key, to_address, body, segments, status, provider_id, "
                    + "error_code, attempts, next_attempt_at, created_at, updated_at, sent_at, delivered_at) values (?, ?, ?, ?, ?, ?, ?, 'hi', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
            rows.update(msg, 30, 1, 10, "sms", "confirmation", "k30", "+447700900501", 1, "delivered", "SMbf30", null, 1, t1, t1, t2, t1, t2);
            rows.update(msg, 31, 1, 10, "email", "confirmation", "k31", "ann@x.example", null, "sent", "<m31@x>", null, 1, t1, t1, t1, t1, null);
            rows.update(msg, 32, 1, null, "sms", "reminder_24h", "k32", "+447700900503", 2, "undelivered", "SMbf32", "30003", 1, t1, t1, t3, t1, null);
            rows.update(msg, 33, 1, null, "sms", "follow_up", "k33", "+447700900504", 12, "failed", null, null, 0, t1, t1, t1, null, null); // never tried
            rows.update(msg, 34, 2, 11, "sms", "confirmation", "k34", "+447700900502", 1, "dead", null, "20429", 4, t2, t2, t3, null, null);

            try (RunningHub hub = RunningHub.start(db.hubUrl(), Map.of())) {
                Map<String, EventRows.Event> byKey = rows.query("select * from analytics_events").stream()
                        .collect(Collectors.toMap(EventRows.Event::key, e -> e, (a, b) -> a, TreeMap::new));
                assertThat(byKey.keySet()).containsExactlyInAnyOrder(
                        "call.ended:bf-call-1", "call.ended:bf-call-2", "call.ended:bf-call-3", "call.ended:bf-call-5", "call.ended:bf-call-6",
                        "appointment.booked:20", "appointment.booked:21", "appointment.booked:22", "appointment.cancelled:21",
                        "message.sent:30", "message.sent:31", "message.sent:32", "message.delivered:30", "message.failed:32", "message.failed:34");

                EventRows.Event c1 = byKey.get("call.ended:bf-call-1");
                assertThat(c1.clientId()).isEqualTo(1L);
                assertThat(c1.clientKey()).isEqualTo("alpha");
                assertThat(c1.leadId()).isEqualTo(10L);
                assertThat(c1.source()).isEqualTo("fb");
                assertThat(c1.occurredAt()).isEqualTo(t);
                assertThat(c1.props().get("cost").decimalValue()).isEqualByComparingTo("0.1234");
                assertThat(c1.props().get("durationSeconds").decimalValue()).isEqualByComparingTo("125.5");
                assertThat(c1.props().get("backfilled").asBoolean()).isTrue();
                EventRows.Event c2 = byKey.get("call.ended:bf-call-2");
                assertThat(c2.leadId()).as("an integrator's own reference is not a lead").isNull();
                assertThat(c2.props().get("durationSeconds").isNull()).isTrue();
                assertThat(byKey.get("call.ended:bf-call-5").props().has("backfilled")).as("the live event is kept").isFalse();
                assertThat(byKey.get("call.ended:bf-call-6").clientId()).isNull();

                EventRows.Event booked = byKey.get("appointment.booked:20");
                assertThat(booked.prop("bookedBy")).isEqualTo("assistant");
                assertThat(booked.source()).isEqualTo("fb");
                assertThat(Instant.parse(booked.prop("startAt"))).isEqualTo(t.plus(Duration.ofDays(10)));
                assertThat(byKey.get("appointment.booked:21").prop("bookedBy")).isEqualTo("api");
                EventRows.Event cancelled = byKey.get("appointment.cancelled:21");
                assertThat(cancelled.occurredAt()).isEqualTo(t.plusSeconds(3600));
                assertThat(Instant.parse(cancelled.prop("bookedAt"))).isEqualTo(t);

                assertThat(byKey.get("message.sent:31").prop("channel")).isEqualTo("email");
                assertThat(byKey.get("message.delivered:30").occurredAt()).isEqualTo(t.plusSeconds(3600));
                assertThat(byKey.get("message.failed:32").prop("errorCode")).isEqualTo("30003");
                assertThat(byKey.get("message.failed:32").occurredAt()).isEqualTo(t.plusSeconds(7200));
                assertThat(byKey.get("message.failed:34").prop("status")).isEqualTo("dead");
                assertThat(byKey.get("message.failed:34").clientKey()).isEqualTo("beta");
                assertThat(byKey.get("message.failed:34").source()).isEqualTo("tv");

                // the roll-up the migration summed: what the numbers read, equal to a rebuild
                String day = LocalDate.ofInstant(t, LONDON).toString();
                Map<String, String> daily = rows.daily(1);
                assertThat(daily).containsEntry(day + "|fb|call|booked", "1/123400").containsEntry(day + "|fb|talk|", "1/125500")
                        .containsEntry(day + "|fb|booked|Boiler service", "1/0");
                rows.assertRollupIsTheSumOfItsEvents(hub, "alpha");
                rows.assertRollupIsTheSumOfItsEvents(hub, "beta");

                // the same events as the live path's builders make: deleted, the reconciliation adds them back alike
                Set<String> backfilled = byKey.values().stream().filter(e -> e.props().has("backfilled")).map(EventRows.Event::key).collect(Collectors.toSet());
                assertThat(backfilled).hasSize(14);
                rows.update("delete from analytics_events where event_key <> 'call.ended:bf-call-5'");
                HttpResponse<String> r = EventRows.reconcile(hub, String.valueOf(24 * 30));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode added = Jsons.read(r.body()).get("added");
                assertThat(added.get("call.ended").asInt()).isEqualTo(4);
                assertThat(added.get("message.failed").asInt()).isEqualTo(2);
                for (String k : backfilled) {
                    EventRows.Event live = rows.byKey(k);
                    EventRows.Event was = byKey.get(k);
                    assertThat(live).as(k).isNotNull();
                    assertThat(EventRows.comparable(live.props())).as(k).isEqualTo(EventRows.comparable(was.props()));
                    assertThat(List.of(live.type(), String.valueOf(live.clientId()), String.valueOf(live.clientKey()), String.valueOf(live.leadId()),
                            String.valueOf(live.source()), String.valueOf(live.occurredAt()))).as(k)
                            .isEqualTo(List.of(was.type(), String.valueOf(was.clientId()), String.valueOf(was.clientKey()), String.valueOf(was.leadId()),
                                    String.valueOf(was.source()), String.valueOf(was.occurredAt())));
                }
            }
        }
    }
}
