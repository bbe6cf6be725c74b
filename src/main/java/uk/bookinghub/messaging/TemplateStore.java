package uk.bookinghub.messaging;

import uk.bookinghub.store.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/** The clients' own message templates ({@code message_templates}: one per client, kind and channel). */
final class TemplateStore {

    private final Database db;

    TemplateStore(Database db) {
        this.db = db;
    }

    /** The client's own template for a kind and channel, if it saved one. */
    Optional<Templates.Template> find(Connection c, long clientId, String kind, String channel) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select subject, html, text_part, body from message_templates where client_id = ? and kind = ? and channel = ?")) {
            ps.setLong(1, clientId);
            ps.setString(2, kind);
            ps.setString(3, channel);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return Optional.of(new Templates.Template(kind, channel, rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
        }
        return Optional.empty();
    }

    /** Replaces the client's template for the template's kind and channel, with the request's audit row. */
    void save(long clientId, Templates.Template t, Instant now, uk.bookinghub.audit.Audit audit) {
        db.inTransaction("saving a template", c -> {
            delete(c, clientId, t.kind(), t.channel());
            try (PreparedStatement ps = c.prepareStatement("insert into message_templates (client_id, kind, channel, subject, html, text_part, body, updated_at) "
                    + "values (?,?,?,?,?,?,?,?)")) {
                ps.setLong(1, clientId);
                ps.setString(2, t.kind());
                ps.setString(3, t.channel());
                ps.setString(4, t.subject());
                ps.setString(5, t.html());
                ps.setString(6, t.text());
                ps.setString(7, t.body());
                db.dialect().setInstant(ps, 8, now);
                ps.executeUpdate();
            }
            uk.bookinghub.audit.Audit.write(audit, c, 200);
            return null;
        });
    }

    /** Removes the client's template for a kind and channel (the shipped default applies again), with the request's audit row. */
    void reset(long clientId, String kind, String channel, uk.bookinghub.audit.Audit audit) {
        db.inTransaction("resetting a template", c -> {
            int removed = delete(c, clientId, kind, channel);
            if (audit != null) {
                audit.detail("hadOwn", removed > 0).write(c, 200);
            }
            return removed;
        });
    }

    private static int delete(Connection c, long clientId, String kind, String channel) throws SQLException {
        try (PreparedStatement del = c.prepareStatement("delete from message_templates where client_id = ? and kind = ? and channel = ?")) {
            del.setLong(1, clientId);
            del.setString(2, kind);
            del.setString(3, channel);
            return del.executeUpdate();
        }
    }
}
