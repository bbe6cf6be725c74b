package uk.bookinghub.quality;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;
import uk.bookinghub.store.ListQuery;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quality pass's SQL: what it reads of a period ({@code dial_attempts} with their {@code calls},
 * {@code tool_calls}, the {@code error_log} rows of service vapi) and {@code quality_snapshots}, which
 * it writes (one upsert per key: a rerun or a second instance replaces, never adds) and the API lists.
 */
final class QualityStore {

    /** A dial attempt sent to Vapi, with how its call ended (null fields: no call, or no report yet). */
    record Dial(long clientId, Instant at, String vapiCallId, String assistantId, String endedReason, String outcome, Instant startedAt, Instant endedAt) {
    }

    /** A stored tool-call answer and how long it took ({@code durationMs} null for rows from before V13). */
    record Tool(long clientId, Instant at, String answer, Integer durationMs, String assistantId) {
    }

    /** An error_log row of service vapi (severity error or critical) and its JSON context. */
    record VapiError(Instant at, String context) {
    }

    /** One stored figure set: the key and the counts. */
    record Snapshot(Instant hourStart, long clientId, String assistantId, String period, int dials, int answered, int abandoned, int toolCalls,
                    int toolErrors, Integer toolP95Ms, int vapiFailures) {
    }

    private static final String UPSERT = """
            insert into quality_snapshots (hour_start, client_id, assistant_id, period, dials, answered, abandoned, tool_calls, tool_errors,
                                           tool_p95_ms, vapi_failures, computed_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (hour_start, client_id, assistant_id, period) do update set
              dials = excluded.dials, answered = excluded.answered, abandoned = excluded.abandoned, tool_calls = excluded.tool_calls,
              tool_errors = excluded.tool_errors, tool_p95_ms = excluded.tool_p95_ms, vapi_failures = excluded.vapi_failures,
              computed_at = excluded.computed_at""";

    private final Database db;
    private final Dialect dialect;

    QualityStore(Database db) {
        this.db = db;
        this.dialect = db.dialect();
    }

    /** The dial attempts sent to Vapi in [from, to) (every attempt with a number: blocked dials have none), with their calls. */
    List<Dial> dials(Instant from, Instant to) {
        return db.read("reading an hour's dials", c -> {
            List<Dial> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select d.client_id, d.created_at, d.vapi_call_id, c.assistant_id, c.ended_reason, c.outcome, "
                    + "c.started_at, c.ended_at from dial_attempts d left join calls c on c.vapi_call_id = d.vapi_call_id "
                    + "where d.created_at >= ? and d.created_at < ? and d.attempt_no is not null")) {
                dialect.setInstant(ps, 1, from);
                dialect.setInstant(ps, 2, to);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Dial(rs.getLong("client_id"), dialect.getInstant(rs, "created_at"), rs.getString("vapi_call_id"),
                                rs.getString("assistant_id"), rs.getString("ended_reason"), rs.getString("outcome"), dialect.getInstant(rs, "started_at"),
                                dialect.getInstant(rs, "ended_at")));
                    }
                }
            }
            return out;
        });
    }

    /** The clients' stored tool-call answers of [from, to), with the assistant of their call where the call is known. */
    List<Tool> toolCalls(Instant from, Instant to) {
        return db.read("reading an hour's tool calls", c -> {
            List<Tool> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select t.client_id, t.created_at, t.answer, t.duration_ms, c.assistant_id from tool_calls t "
                    + "left join calls c on c.vapi_call_id = t.vapi_call_id where t.created_at >= ? and t.created_at < ? and t.client_id is not null")) {
                dialect.setInstant(ps, 1, from);
                dialect.setInstant(ps, 2, to);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int ms = rs.getInt("duration_ms");
                        Integer duration = rs.wasNull() ? null : ms;
                        out.add(new Tool(rs.getLong("client_id"), dialect.getInstant(rs, "created_at"), rs.getString("answer"), duration,
                                rs.getString("assistant_id")));
                    }
                }
            }
            return out;
        });
    }

    /** The Vapi failures of [from, to): error_log rows of service vapi with severity error or critical. */
    List<VapiError> vapiErrors(Instant from, Instant to) {
        return db.read("reading an hour's Vapi failures", c -> {
            List<VapiError> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select created_at, context from error_log where service = 'vapi' "
                    + "and severity in ('error', 'critical') and created_at >= ? and created_at < ?")) {
                dialect.setInstant(ps, 1, from);
                dialect.setInstant(ps, 2, to);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new VapiError(dialect.getInstant(rs, "created_at"), rs.getString("context")));
                    }
                }
            }
            return out;
        });
    }

    /** The assistant of each of these calls that has one (by Vapi call id), 500 ids a query. */
    Map<String, String> assistantsOf(Collection<String> vapiCallIds) {
        List<String> ids = new ArrayList<>(vapiCallIds);
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < ids.size(); i += 500) {
            List<String> chunk = ids.subList(i, Math.min(ids.size(), i + 500));
            db.read("reading the assistants of calls", c -> {
                try (PreparedStatement ps = c.prepareStatement("select vapi_call_id, assistant_id from calls where assistant_id is not null and vapi_call_id in ("
                        + String.join(",", java.util.Collections.nCopies(chunk.size(), "?")) + ")")) {
                    for (int k = 0; k < chunk.size(); k++) {
                        ps.setString(k + 1, chunk.get(k));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.put(rs.getString(1), rs.getString(2));
                        }
                    }
                }
                return null;
            });
        }
        return out;
    }

    /** Stores the figures, each replacing what its key held (one transaction). */
    void save(List<Snapshot> snapshots, Instant computedAt) {
        if (snapshots.isEmpty()) {
            return;
        }
        db.inTransaction("storing quality figures", c -> {
            try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
                for (Snapshot s : snapshots) {
                    dialect.setInstant(ps, 1, s.hourStart());
                    ps.setLong(2, s.clientId());
                    ps.setString(3, s.assistantId());
                    ps.setString(4, s.period());
                    ps.setInt(5, s.dials());
                    ps.setInt(6, s.answered());
                    ps.setInt(7, s.abandoned());
                    ps.setInt(8, s.toolCalls());
                    ps.setInt(9, s.toolErrors());
                    if (s.toolP95Ms() == null) {
                        ps.setNull(10, Types.INTEGER);
                    } else {
                        ps.setInt(10, s.toolP95Ms());
                    }
                    ps.setInt(11, s.vapiFailures());
                    dialect.setInstant(ps, 12, computedAt);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /** One page of the snapshots the query selects (its columns prefixed {@code q.}), newest hour first, with each row's clientKey. */
    Map<String, Object> list(ListQuery q, int page, int size) {
        return db.read("listing quality figures", c -> q.page(dialect, c, "quality_snapshots q join clients k on k.id = q.client_id",
                "q.hour_start, k.client_key, q.assistant_id, q.period, q.dials, q.answered, q.abandoned, q.tool_calls, q.tool_errors, q.tool_p95_ms, "
                        + "q.vapi_failures, q.computed_at", "q.hour_start desc, k.client_key, q.assistant_id, q.period", page, size, this::row));
    }

    private Map<String, Object> row(ResultSet rs) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hour", dialect.getInstant(rs, "hour_start").toString());
        m.put("period", rs.getString("period"));
        m.put("clientKey", rs.getString("client_key"));
        m.put("assistantId", rs.getString("assistant_id"));
        int dials = rs.getInt("dials");
        int answered = rs.getInt("answered");
        int abandoned = rs.getInt("abandoned");
        int tools = rs.getInt("tool_calls");
        int toolErrors = rs.getInt("tool_errors");
        int p95 = rs.getInt("tool_p95_ms");
        Integer toolP95 = rs.wasNull() ? null : p95;
        int vapi = rs.getInt("vapi_failures");
        m.put("dials", dials);
        m.put("answered", answered);
        m.put("connectPercent", Figures.percent(answered, dials));
        m.put("abandoned", abandoned);
        m.put("abandonedPercent", Figures.percent(abandoned, answered));
        m.put("toolCalls", tools);
        m.put("toolErrors", toolErrors);
        m.put("toolErrorPercent", Figures.percent(toolErrors, tools));
        m.put("toolP95Ms", toolP95);
        m.put("vapiFailures", vapi);
        m.put("vapiFailurePercent", Figures.percent(vapi, dials));
        m.put("computedAt", dialect.getInstant(rs, "computed_at").toString());
        return m;
    }
}
