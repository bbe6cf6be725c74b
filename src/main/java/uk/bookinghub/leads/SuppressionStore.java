package uk.bookinghub.leads;

import uk.bookinghub.security.Secrets;
import uk.bookinghub.store.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * SQL for {@code suppressions}: what an erasure leaves behind so that the erased person is never
 * imported, called, texted or emailed by that client again. An entry holds the SHA-256 of the
 * person's E.164 number or lower-cased email (never the value itself), per client. Every check
 * reads the database (no cache): a suppression made on another instance a moment ago counts, and a
 * check that cannot be made throws, so the caller refuses (fail closed).
 */
public final class SuppressionStore {

    /** An identifier of a person as a suppression entry holds it. */
    public record Entry(String kind, String hash) {
    }

    private final Database db;

    public SuppressionStore(Database db) {
        this.db = db;
    }

    /** The hash of a normalised E.164 number ({@code +447700900123}). */
    public static String phoneHash(String e164) {
        return Secrets.sha256Hex(e164);
    }

    /** The hash of an email address, trimmed and lower-cased whole. */
    public static String emailHash(String email) {
        return Secrets.sha256Hex(normaliseEmail(email));
    }

    /** An email as suppression entries compare it: trimmed and lower-cased whole (null for none). */
    public static String normaliseEmail(String email) {
        return email == null || email.isBlank() ? null : email.strip().toLowerCase(Locale.ROOT);
    }

    /** Every hash the client suppresses (an import checks each row against it; usually empty or small). */
    public Set<String> hashes(long clientId) {
        return db.read("reading the suppression list", c -> {
            Set<String> out = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("select value_hash from suppressions where client_id = ?")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
            return out;
        });
    }

    /** Of these hashes per client, the ones the client suppresses (one query per client). */
    public Map<Long, Set<String>> suppressed(Map<Long, ? extends Collection<String>> hashesByClient) {
        Map<Long, Set<String>> out = new HashMap<>();
        if (hashesByClient.isEmpty()) {
            return out;
        }
        return db.read("checking the suppression list", c -> {
            for (Map.Entry<Long, ? extends Collection<String>> e : hashesByClient.entrySet()) {
                List<String> hashes = new ArrayList<>(new HashSet<>(e.getValue()));
                for (int from = 0; from < hashes.size(); from += 500) {
                    List<String> part = hashes.subList(from, Math.min(hashes.size(), from + 500));
                    try (PreparedStatement ps = c.prepareStatement("select value_hash from suppressions where client_id = ? and value_hash in ("
                            + LeadStore.placeholders(part.size()) + ")")) {
                        ps.setLong(1, e.getKey());
                        int i = 2;
                        for (String h : part) {
                            ps.setString(i++, h);
                        }
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                out.computeIfAbsent(e.getKey(), k -> new HashSet<>()).add(rs.getString(1));
                            }
                        }
                    }
                }
            }
            return out;
        });
    }

    /** Records the entry in the caller's transaction; false when the client already suppressed it. */
    public boolean add(Connection c, long clientId, Entry entry, String by, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into suppressions (client_id, kind, value_hash, created_at, created_by) "
                + "values (?,?,?,?,?) on conflict (client_id, value_hash) do nothing")) {
            ps.setLong(1, clientId);
            ps.setString(2, entry.kind());
            ps.setString(3, entry.hash());
            db.dialect().setInstant(ps, 4, at);
            ps.setString(5, by);
            return ps.executeUpdate() == 1;
        }
    }

    /** How many entries the client has (the export says how many, never which). */
    public long count(long clientId) {
        return db.read("counting suppressions", c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from suppressions where client_id = ?")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }
}
