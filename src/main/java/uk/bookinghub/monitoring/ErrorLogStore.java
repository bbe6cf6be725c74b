package uk.bookinghub.monitoring;

import uk.bookinghub.store.Database;

import java.sql.PreparedStatement;
import java.time.Instant;

/** SQL for {@code error_log}: one row per recorded failure, written in its own transaction. */
final class ErrorLogStore {

    private final Database db;

    ErrorLogStore(Database db) {
        this.db = db;
    }

    void insert(String severity, String service, String message, String context, String routeId, String fingerprint, Instant at) {
        db.inTransaction("writing the error log", c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into error_log (severity, service, message, context, route_id, fingerprint, created_at) values (?,?,?,?,?,?,?)")) {
                ps.setString(1, severity);
                ps.setString(2, service);
                ps.setString(3, message);
                ps.setString(4, context);
                ps.setString(5, routeId);
                ps.setString(6, fingerprint);
                db.dialect().setInstant(ps, 7, at);
                ps.executeUpdate();
            }
            return null;
        });
    }
}
