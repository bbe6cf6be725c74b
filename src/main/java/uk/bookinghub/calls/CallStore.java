package uk.bookinghub.calls;

import uk.bookinghub.store.BatchWriter;
import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;

/**
 * SQL for {@code calls}. Every write is an upsert keyed by Vapi's call id, so a redelivered or
 * concurrent report leaves one row; writes go through a {@link BatchWriter} (group commit) and
 * return only after their transaction has committed. {@link #facts} reads what the hub knows of a
 * call from the dial attempts and appointments in one query.
 */
public final class CallStore implements AutoCloseable {

    static final String UPSERT_END_OF_CALL = """
            insert into calls (vapi_call_id, client_id, tenant_rule, lead_id, customer_number, status, status_rank, ended_reason,
                               outcome, success_evaluation, started_at, ended_at, duration_seconds, cost, summary, transcript,
                               recording_url, structured_data, assistant_id, report_count, created_at, updated_at)
            values (?, ?, ?, ?, ?, 'ended', 100, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
            on conflict (vapi_call_id) do update set
              client_id = coalesce(excluded.client_id, calls.client_id),
              tenant_rule = case when excluded.client_id is not null or calls.client_id is null then excluded.tenant_rule else calls.tenant_rule end,
              lead_id = coalesce(excluded.lead_id, calls.lead_id),
              customer_number = coalesce(excluded.customer_number, calls.customer_number),
              status = 'ended', status_rank = 100,
              ended_reason = excluded.ended_reason, outcome = excluded.outcome, success_evaluation = excluded.success_evaluation,
              started_at = coalesce(excluded.started_at, calls.started_at), ended_at = coalesce(excluded.ended_at, calls.ended_at),
              duration_seconds = excluded.duration_seconds, cost = excluded.cost, summary = excluded.summary,
              transcript = excluded.transcript, recording_url = excluded.recording_url, structured_data = excluded.structured_data,
              assistant_id = coalesce(excluded.assistant_id, calls.assistant_id),
              report_count = calls.report_count + 1, updated_at = excluded.updated_at""";

    static final String UPSERT_STATUS = """
            insert into calls (vapi_call_id, client_id, tenant_rule, customer_number, status, status_rank, ended_reason, assistant_id, created_at, updated_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (vapi_call_id) do update set
              status = case when excluded.status_rank >= calls.status_rank then excluded.status else calls.status end,
              status_rank = case when excluded.status_rank >= calls.status_rank then excluded.status_rank else calls.status_rank end,
              ended_reason = coalesce(calls.ended_reason, excluded.ended_reason),
              client_id = coalesce(calls.client_id, excluded.client_id),
              tenant_rule = case when calls.client_id is null then excluded.tenant_rule else calls.tenant_rule end,
              customer_number = coalesce(calls.customer_number, excluded.customer_number),
              assistant_id = coalesce(excluded.assistant_id, calls.assistant_id),
              updated_at = excluded.updated_at""";

    private final Database db;
    private final BatchWriter<CallWrite> writer;
    private final long writeTimeoutMs;

    public CallStore(Database db, int writers, int maxBatch, long writeTimeoutMs) {
        this.db = db;
        this.writeTimeoutMs = writeTimeoutMs;
        this.writer = new BatchWriter<>("calls", db, writers, maxBatch, this::writeBatch);
    }

    /**
     * Settles an end-of-call report against what the hub knows of the call: given the report as read (its
     * outcome as the mapper made it, its lead id as Vapi sent it), the call's {@link CallFacts} and a check of a
     * lead against a client, returns the row to store. Runs on the writer's thread inside its transaction.
     */
    @FunctionalInterface
    public interface Settler {
        CallWrite.EndOfCall settle(CallWrite.EndOfCall asRead, CallFacts facts, LeadCheck leads) throws SQLException;
    }

    /** Whether the lead (its id as text) is one of this client's leads, read in the writer's transaction. */
    @FunctionalInterface
    public interface LeadCheck {
        boolean leadOfClient(long clientId, String leadId) throws SQLException;
    }

    /** An end-of-call report as stored (settled) and the facts it was settled with. */
    public record Stored(CallWrite.EndOfCall call, CallFacts facts) {
    }

    /** A report on its way through the writer: settled in the batch's transaction, read by its caller after the commit. */
    static final class Report implements CallWrite {
        final CallWrite.EndOfCall asRead;
        final Settler settler;
        volatile Stored stored;

        Report(CallWrite.EndOfCall asRead, Settler settler) {
            this.asRead = asRead;
            this.settler = settler;
        }

        @Override
        public String vapiCallId() {
            return asRead.vapiCallId();
        }
    }

    /**
     * What the hub knows of each call of a batch (the dial attempt that placed it, a booking made during it that
     * still stands), in one query for the whole batch inside its transaction: one round trip per batch instead of
     * one per report (issue 19: the per-report read was 10 % of the hub's CPU under W1).
     */
    static final String FACTS_OF = """
            select v.id,
                   (select lead_id from dial_attempts where vapi_call_id = v.id order by id desc limit 1),
                   (select 1 from appointments where vapi_call_id = v.id and status in %s limit 1),
                   (select client_id from dial_attempts where vapi_call_id = v.id order by id desc limit 1)
              from %s""";

    static java.util.Map<String, CallFacts> facts(Connection c, Dialect d, java.util.Collection<String> ids) throws SQLException {
        java.util.Map<String, CallFacts> out = new java.util.HashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        try (PreparedStatement ps = c.prepareStatement(FACTS_OF.formatted(uk.bookinghub.booking.BookingStore.STANDING, d.textsAsTable("v")))) {
            d.bindTexts(c, ps, 1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long lead = rs.getLong(2);
                    Long leadId = rs.wasNull() ? null : lead;
                    rs.getInt(3);
                    boolean booked = !rs.wasNull();
                    long client = rs.getLong(4);
                    Long clientId = rs.wasNull() ? null : client;
                    out.put(rs.getString(1), leadId == null && !booked ? CallFacts.NONE : new CallFacts(leadId, booked, clientId));
                }
            }
        }
        return out;
    }

    private static boolean leadOfClient(Connection c, long clientId, String leadId) throws SQLException {
        if (leadId == null || !leadId.matches("\\d{1,18}")) {
            return false;
        }
        try (PreparedStatement ps = c.prepareStatement("select 1 from leads where id = ? and client_id = ?")) {
            ps.setLong(1, Long.parseLong(leadId));
            ps.setLong(2, clientId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Stores the write durably; returns after commit. */
    public void write(CallWrite w) {
        writer.write(w, writeTimeoutMs);
    }

    /**
     * Stores an end-of-call report durably, settled by {@code settler} against the call's facts in the same
     * transaction (see {@link Settler}); returns the row as stored once it has committed.
     */
    public Stored writeEndOfCall(CallWrite.EndOfCall asRead, Settler settler) {
        Report r = new Report(asRead, settler);
        writer.write(r, writeTimeoutMs);
        return r.stored;
    }

    public int backlog() {
        return writer.backlog();
    }

    private void writeBatch(Connection c, List<CallWrite> items) throws SQLException {
        Dialect d = db.dialect();
        java.util.Set<String> reported = new java.util.LinkedHashSet<>();
        for (CallWrite w : items) {
            if (w instanceof Report r) {
                reported.add(r.vapiCallId());
            }
        }
        java.util.Map<String, CallFacts> known = facts(c, d, reported);
        LeadCheck leads = (client, lead) -> leadOfClient(c, client, lead);
        PreparedStatement end = null;
        PreparedStatement status = null;
        try {
            for (CallWrite item : items) {
                CallWrite w = item;
                if (item instanceof Report r) {
                    CallFacts f = known.getOrDefault(r.vapiCallId(), CallFacts.NONE);
                    CallWrite.EndOfCall settled = r.settler.settle(r.asRead, f, leads);
                    r.stored = new Stored(settled, f);
                    w = settled;
                }
                if (w instanceof CallWrite.EndOfCall e) {
                    if (end == null) {
                        end = c.prepareStatement(UPSERT_END_OF_CALL);
                    }
                    end.setString(1, e.vapiCallId());
                    setLong(end, 2, e.clientId());
                    end.setString(3, e.tenantRule());
                    end.setString(4, e.leadId());
                    end.setString(5, e.customerNumber());
                    end.setString(6, e.endedReason());
                    end.setString(7, e.outcome());
                    end.setString(8, e.successEvaluation());
                    d.setInstant(end, 9, e.startedAt());
                    d.setInstant(end, 10, e.endedAt());
                    setDecimal(end, 11, e.durationSeconds());
                    setDecimal(end, 12, e.cost());
                    end.setString(13, e.summary());
                    end.setString(14, e.transcript());
                    end.setString(15, e.recordingUrl());
                    end.setString(16, e.structuredData());
                    end.setString(17, e.assistantId());
                    d.setInstant(end, 18, e.receivedAt());
                    d.setInstant(end, 19, e.receivedAt());
                    end.addBatch();
                } else if (w instanceof CallWrite.Status s) {
                    if (status == null) {
                        status = c.prepareStatement(UPSERT_STATUS);
                    }
                    status.setString(1, s.vapiCallId());
                    setLong(status, 2, s.clientId());
                    status.setString(3, s.tenantRule());
                    status.setString(4, s.customerNumber());
                    status.setString(5, s.status());
                    status.setInt(6, s.statusRank());
                    status.setString(7, s.endedReason());
                    status.setString(8, s.assistantId());
                    d.setInstant(status, 9, s.receivedAt());
                    d.setInstant(status, 10, s.receivedAt());
                    status.addBatch();
                }
            }
            if (status != null) {
                status.executeBatch();
            }
            if (end != null) {
                end.executeBatch();
            }
        } finally {
            if (end != null) {
                end.close();
            }
            if (status != null) {
                status.close();
            }
        }
    }

    private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v);
        }
    }

    private static void setDecimal(PreparedStatement ps, int i, BigDecimal v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.NUMERIC);
        } else {
            ps.setBigDecimal(i, v);
        }
    }

    @Override
    public void close() {
        writer.close();
    }
}
