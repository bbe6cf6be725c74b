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

    /** What the hub knows of a call: one read (both look-ups use their tables' vapi_call_id indexes). */
    public CallFacts facts(String vapiCallId) {
        return db.read("reading what the hub knows of a call", c -> {
            try (PreparedStatement ps = c.prepareStatement("select (select lead_id from dial_attempts where vapi_call_id = ? order by id desc limit 1), "
                    + "(select 1 from appointments where vapi_call_id = ? and status in " + uk.bookinghub.booking.BookingStore.STANDING + " limit 1), "
                    + "(select client_id from dial_attempts where vapi_call_id = ? order by id desc limit 1)")) {
                ps.setString(1, vapiCallId);
                ps.setString(2, vapiCallId);
                ps.setString(3, vapiCallId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    long lead = rs.getLong(1);
                    Long leadId = rs.wasNull() ? null : lead;
                    rs.getInt(2);
                    boolean booked = !rs.wasNull();
                    long client = rs.getLong(3);
                    Long clientId = rs.wasNull() ? null : client;
                    return leadId == null && !booked ? CallFacts.NONE : new CallFacts(leadId, booked, clientId);
                }
            }
        });
    }

    /** Whether the lead (its id as text) is one of this client's leads. */
    public boolean leadOfClient(long clientId, String leadId) {
        if (leadId == null || !leadId.matches("\\d{1,18}")) {
            return false;
        }
        return db.read("checking a call's lead", c -> {
            try (PreparedStatement ps = c.prepareStatement("select 1 from leads where id = ? and client_id = ?")) {
                ps.setLong(1, Long.parseLong(leadId));
                ps.setLong(2, clientId);
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Stores the write durably; returns after commit. */
    public void write(CallWrite w) {
        writer.write(w, writeTimeoutMs);
    }

    public int backlog() {
        return writer.backlog();
    }

    private void writeBatch(Connection c, List<CallWrite> items) throws SQLException {
        Dialect d = db.dialect();
        PreparedStatement end = null;
        PreparedStatement status = null;
        try {
            for (CallWrite w : items) {
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
