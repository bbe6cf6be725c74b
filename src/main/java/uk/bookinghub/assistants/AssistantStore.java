package uk.bookinghub.assistants;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * SQL for a client's assistant (the {@code clients.assistant_*} columns, V21, and {@code vapi_assistant_id}):
 * what it was rendered from, the per-client claim, and the mark that a create was sent.
 */
public final class AssistantStore {

    /** A client's assistant as stored: null fields when it has none (or the hub did not render it). */
    public record State(String assistantId, Integer templateVersion, String hash, String inputs, Instant syncedAt,
                        String lastError, Instant createStartedAt, Instant claimUntil) {
    }

    private static final String COLUMNS = "vapi_assistant_id, assistant_template_version, assistant_hash, assistant_inputs, "
            + "assistant_synced_at, assistant_last_error, assistant_create_started_at, assistant_claim_until";

    private final Database db;

    public AssistantStore(Database db) {
        this.db = db;
    }

    public State state(long clientId) {
        return db.read("reading a client's assistant", c -> {
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from clients where id = ?")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return new State(null, null, null, null, null, null, null, null);
                    }
                    return map(rs, db.dialect());
                }
            }
        });
    }

    private static State map(ResultSet rs, Dialect d) throws java.sql.SQLException {
        Object version = rs.getObject("assistant_template_version");
        return new State(rs.getString("vapi_assistant_id"), version == null ? null : ((Number) version).intValue(),
                rs.getString("assistant_hash"), rs.getString("assistant_inputs"), d.getInstant(rs, "assistant_synced_at"),
                rs.getString("assistant_last_error"), d.getInstant(rs, "assistant_create_started_at"), d.getInstant(rs, "assistant_claim_until"));
    }

    /**
     * Takes the client's claim until {@code until} when no one holds it (or the holder's lapsed): true when
     * this {@code token} holds it now. On PostgreSQL a concurrent claim waits for this row's update and then
     * finds it taken; SQLite has one writer.
     */
    public boolean claim(long clientId, String token, Instant now, Instant until) {
        return db.inTransaction("claiming a client's assistant", c -> {
            try (PreparedStatement ps = c.prepareStatement("update clients set assistant_claim_token = ?, assistant_claim_until = ? "
                    + "where id = ? and (assistant_claim_until is null or assistant_claim_until < ?)")) {
                ps.setString(1, token);
                db.dialect().setInstant(ps, 2, until);
                ps.setLong(3, clientId);
                db.dialect().setInstant(ps, 4, now);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Gives the claim back (only this token's). */
    public void release(long clientId, String token) {
        db.inTransaction("releasing a client's assistant claim", c -> {
            try (PreparedStatement ps = c.prepareStatement("update clients set assistant_claim_token = null, assistant_claim_until = null "
                    + "where id = ? and assistant_claim_token = ?")) {
                ps.setLong(1, clientId);
                ps.setString(2, token);
                return ps.executeUpdate();
            }
        });
    }

    /** Committed before the first POST /assistant of a client (kept when set): a later attempt looks for what it may have created. */
    public void createStarted(long clientId, Instant at) {
        db.inTransaction("marking an assistant create", c -> {
            try (PreparedStatement ps = c.prepareStatement("update clients set assistant_create_started_at = ? "
                    + "where id = ? and assistant_create_started_at is null")) {
                db.dialect().setInstant(ps, 1, at);
                ps.setLong(2, clientId);
                return ps.executeUpdate();
            }
        });
    }

    /** Vapi holds this rendering under {@code assistantId}: stored with what it was rendered from; the error and the create mark cleared. */
    public void synced(long clientId, String assistantId, int templateVersion, String hash, String inputs, Instant at) {
        db.inTransaction("storing a client's assistant", c -> {
            try (PreparedStatement ps = c.prepareStatement("update clients set vapi_assistant_id = ?, assistant_template_version = ?, "
                    + "assistant_hash = ?, assistant_inputs = ?, assistant_synced_at = ?, assistant_last_error = null, "
                    + "assistant_create_started_at = null where id = ?")) {
                ps.setString(1, assistantId);
                ps.setInt(2, templateVersion);
                ps.setString(3, hash);
                ps.setString(4, inputs);
                db.dialect().setInstant(ps, 5, at);
                ps.setLong(6, clientId);
                return ps.executeUpdate();
            }
        });
    }

    /** Why the last create or sync failed (shown by GET /api/clients/me/assistant until the next success). */
    public void failed(long clientId, String error) {
        db.inTransaction("recording an assistant failure", c -> {
            try (PreparedStatement ps = c.prepareStatement("update clients set assistant_last_error = ? where id = ?")) {
                ps.setString(1, error.length() > 1000 ? error.substring(0, 1000) : error);
                ps.setLong(2, clientId);
                return ps.executeUpdate();
            }
        });
    }

    /** A client whose assistant the hub rendered: its id and the stored state. */
    public record Managed(long clientId, State state) {
    }

    /** Every active client whose assistant the hub rendered (has a template version). */
    public List<Managed> managed() {
        return db.read("listing the hub's assistants", c -> {
            List<Managed> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select id, " + COLUMNS + " from clients "
                    + "where assistant_template_version is not null and vapi_assistant_id is not null and active = ? order by id")) {
                ps.setBoolean(1, true);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Managed(rs.getLong("id"), map(rs, db.dialect())));
                    }
                }
            }
            return out;
        });
    }
}
