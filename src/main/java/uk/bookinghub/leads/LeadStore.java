package uk.bookinghub.leads;

import uk.bookinghub.http.Json;
import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** SQL for {@code leads} and {@code lead_imports}. Every query is scoped by client. */
public final class LeadStore {

    /** A lead already on file for a dedupe key. */
    record Existing(long id, String status, String statusReason, Instant createdAt, Instant lastContactedAt) {
    }

    /** A lead to insert (status new, queued, skipped or invalid). */
    record NewLead(long dedupeNo, LeadRow row, String e164, String type, String region, boolean sms, boolean dialable,
                   String email, String status, String reason, String warning) {
    }

    /**
     * An existing lead brought back to life by a new import; {@code renewed} is the new row when the lead
     * had expired: it takes that row's consent and starts a fresh expiry clock, with no old queue position.
     */
    record Reactivation(long id, String status, String warning, String importId, int line, LeadRow renewed) {
    }

    /** The per-client settings an import needs. */
    record ImportSettings(String country, int skipDays, int warnDays) {
    }

    private static final String INSERT_HEAD = "insert into leads (client_id, dedupe_no, name, phone_raw, phone_e164, phone_type, phone_region, "
            + "sms_capable, dialable, email, source, consent, consent_at, consent_source, attributes, status, status_reason, warning, "
            + "import_id, import_line, instant, created_at, updated_at) values ";
    private static final String INSERT_ROW = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    private static final int INSERT_ROWS_PER_STATEMENT = 500; // 23 params a row, under SQLite's 32,766 limit

    private final Database db;

    public LeadStore(Database db, uk.bookinghub.monitoring.ErrorLog errors) {
        this.db = db;
        this.alarm = new uk.bookinghub.monitoring.SettingsAlarm(errors, java.time.Clock.systemUTC());
    }

    public Database database() {
        return db;
    }

    ImportSettings settings(long clientId) {
        return db.read("reading client settings", c -> {
            try (PreparedStatement ps = c.prepareStatement("select country, recent_contact_skip_days, recent_contact_warn_days from clients where id = ?")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new ImportSettings(rs.getString(1), rs.getInt(2), rs.getInt(3));
                }
            }
        });
    }

    /** The dedupe numbers ({@link LeadKeys}) of every lead the client already has: valid numbers and invalid rows. */
    record KnownKeys(LongIntMap keys) {
        boolean contains(long key) {
            return keys.get(key) >= 0;
        }

        /** Records the key; false when it was known already. */
        boolean add(long key) {
            return keys.putIfAbsent(key, 1) < 0;
        }
    }

    KnownKeys knownKeys(long clientId, int expected) {
        return db.read("loading the client's lead keys", c -> {
            LongIntMap keys = new LongIntMap(Math.max(1024, expected));
            try (PreparedStatement ps = c.prepareStatement("select dedupe_no from leads where client_id = ?")) {
                ps.setFetchSize(10_000);
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        keys.putIfAbsent(rs.getLong(1), 1);
                    }
                }
            }
            return new KnownKeys(keys);
        });
    }

    /** Latest contact per number from the client's whole call history. */
    Map<String, Instant> callHistory(long clientId) {
        return db.read("loading the client's call history", c -> {
            Map<String, Instant> out = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select customer_number, max(coalesce(ended_at, started_at, created_at)) as last_at from calls "
                    + "where client_id = ? and customer_number is not null group by customer_number")) {
                ps.setFetchSize(10_000);
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), db.dialect().getInstant(rs, "last_at"));
                    }
                }
            }
            return out;
        });
    }

    /** The client's leads for these dedupe numbers (valid numbers: {@link LeadKeys#ofE164}). */
    Map<Long, Existing> existing(Connection c, long clientId, Collection<Long> keys) throws SQLException {
        Map<Long, Existing> out = new HashMap<>();
        if (keys.isEmpty()) {
            return out;
        }
        try (PreparedStatement ps = c.prepareStatement("select dedupe_no, id, status, status_reason, created_at, last_contacted_at from leads where client_id = ? and dedupe_no in ("
                + placeholders(keys.size()) + ")")) {
            ps.setLong(1, clientId);
            int i = 2;
            for (long k : keys) {
                ps.setLong(i++, k);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), new Existing(rs.getLong(2), rs.getString(3), rs.getString(4),
                            db.dialect().getInstant(rs, "created_at"), db.dialect().getInstant(rs, "last_contacted_at")));
                }
            }
        }
        return out;
    }

    void insert(Connection c, long clientId, String importId, List<NewLead> leads, Instant now) throws SQLException {
        if (!leads.isEmpty()) {
            lockClient(c, clientId);
        }
        if (db.dialect().canCopyIn() && leads.size() >= 64) {
            java.sql.Savepoint sp = c.setSavepoint();
            try {
                PostgresCopy.copyLeads(db.dialect(), c, clientId, importId, leads, now);
                c.releaseSavepoint(sp);
                return;
            } catch (SQLException e) {
                if (!Dialect.isUniqueViolation(e)) {
                    throw e;
                }
                c.rollback(sp); // a row arrived meanwhile (another import, a web form): the conflict-tolerant path below
            }
        }
        insertRows(c, clientId, importId, leads, now);
    }

    /**
     * On PostgreSQL leads have no per-row foreign key to clients (it cost a query and a row lock per
     * inserted lead): the chunk locks its client row once instead, as the key check would, so the
     * client cannot be deleted under it (V8's delete guard then sees the committed leads).
     */
    private void lockClient(Connection c, long clientId) throws SQLException {
        db.dialect().lockReferenced(c, "clients", clientId, "client");
    }

    private void insertRows(Connection c, long clientId, String importId, List<NewLead> leads, Instant now) throws SQLException {
        Dialect d = db.dialect();
        for (int from = 0; from < leads.size(); from += INSERT_ROWS_PER_STATEMENT) {
            List<NewLead> part = leads.subList(from, Math.min(leads.size(), from + INSERT_ROWS_PER_STATEMENT));
            StringBuilder sql = new StringBuilder(INSERT_HEAD.length() + part.size() * (INSERT_ROW.length() + 1) + 64).append(INSERT_HEAD);
            for (int i = 0; i < part.size(); i++) {
                sql.append(i == 0 ? "" : ",").append(INSERT_ROW);
            }
            sql.append(" on conflict (client_id, dedupe_no) do nothing");
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                int p = 1;
                for (NewLead l : part) {
                    LeadRow r = l.row();
                    ps.setLong(p++, clientId);
                    ps.setLong(p++, l.dedupeNo());
                    ps.setString(p++, r.name());
                    ps.setString(p++, r.phone());
                    ps.setString(p++, l.e164());
                    ps.setString(p++, l.type());
                    ps.setString(p++, l.region());
                    ps.setBoolean(p++, l.sms());
                    ps.setBoolean(p++, l.dialable());
                    ps.setString(p++, l.email());
                    ps.setString(p++, r.source());
                    ps.setString(p++, r.consent());
                    ps.setString(p++, r.consentAt());
                    ps.setString(p++, r.consentSource());
                    ps.setString(p++, PostgresCopy.json(r.attributes()));
                    ps.setString(p++, l.status());
                    ps.setString(p++, l.reason());
                    ps.setString(p++, l.warning());
                    ps.setString(p++, importId);
                    ps.setInt(p++, r.line());
                    ps.setBoolean(p++, r.instant());
                    d.setInstant(ps, p++, now);
                    d.setInstant(ps, p++, now);
                }
                ps.executeUpdate();
            }
        }
    }

    void reactivate(Connection c, List<Reactivation> items, Instant now) throws SQLException {
        if (items.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("update leads set status = ?, status_reason = null, warning = ?, import_id = ?, import_line = ?, updated_at = ? where id = ?")) {
            for (Reactivation r : items) {
                ps.setString(1, r.status());
                ps.setString(2, r.warning());
                ps.setString(3, r.importId());
                ps.setInt(4, r.line());
                db.dialect().setInstant(ps, 5, now);
                ps.setLong(6, r.id());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        List<Reactivation> renewed = items.stream().filter(r -> r.renewed() != null).toList();
        if (renewed.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("update leads set consent = ?, consent_at = ?, consent_source = ?, imported_at = ?, "
                + "expired_at = null, next_call_at = null, instant = ? where id = ?")) {
            for (Reactivation r : renewed) {
                ps.setString(1, r.renewed().consent());
                ps.setString(2, r.renewed().consentAt());
                ps.setString(3, r.renewed().consentSource());
                db.dialect().setInstant(ps, 4, now);
                ps.setBoolean(5, r.renewed().instant());
                ps.setLong(6, r.id());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    // --- imports ------------------------------------------------------------------------------------

    /** The import's row, with the request's audit row ({@code audit} null: none) answering {@code status}, in one transaction. */
    void createImport(String id, long clientId, String status, String contentType, String fingerprint, int rowsTotal, Instant now,
                      uk.bookinghub.audit.Audit audit, int answer) {
        db.inTransaction("creating an import", c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into lead_imports (id, client_id, status, content_type, file_fingerprint, rows_total, created_at, started_at, heartbeat_at) values (?,?,?,?,?,?,?,?,?)")) {
                ps.setString(1, id);
                ps.setLong(2, clientId);
                ps.setString(3, status);
                ps.setString(4, contentType);
                ps.setString(5, fingerprint);
                ps.setInt(6, rowsTotal);
                db.dialect().setInstant(ps, 7, now);
                db.dialect().setInstant(ps, 8, "running".equals(status) ? now : null);
                db.dialect().setInstant(ps, 9, now);
                ps.executeUpdate();
            }
            uk.bookinghub.audit.Audit.write(audit, c, answer);
            return null;
        });
    }

    /** The newest lead of the client with this number, in the caller's transaction (the one that wrote it), or null. */
    Long newestLeadId(Connection c, long clientId, String e164) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select max(id) from leads where " + LeadKeys.numberCondition(true))) {
            ps.setLong(1, clientId);
            ps.setLong(2, LeadKeys.ofE164OrZero(e164));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next(); // max() always answers one row
                long id = rs.getLong(1);
                return rs.wasNull() ? null : id;
            }
        }
    }

    /**
     * A chunk of an import need not wait for its WAL flush (PostgreSQL {@code synchronous_commit = off}):
     * the import is reported complete only by {@link #finish}, a normal commit that flushes every
     * chunk before it; an import cut short by a crash is marked failed at the next start.
     */
    void relaxCommit(Connection c) throws SQLException {
        db.dialect().relaxCommit(c);
    }

    /** Adds a committed chunk's rows to the import's progress (chunks may commit out of order). */
    void progress(Connection c, String id, String status, int chunkRows, int rowsTotal, Map<String, Object> counts, Instant startedAt) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update lead_imports set status = ?, rows_done = rows_done + ?, rows_total = ?, counts = ?, started_at = coalesce(started_at, ?), heartbeat_at = ? where id = ?")) {
            ps.setString(1, status);
            ps.setInt(2, chunkRows);
            ps.setInt(3, rowsTotal);
            ps.setString(4, Json.write(counts));
            db.dialect().setInstant(ps, 5, startedAt);
            db.dialect().setInstant(ps, 6, Instant.now());
            ps.setString(7, id);
            ps.executeUpdate();
        }
    }

    /** {@code importedBySource}: leads imported per source (the import's lead.imported events; the reconciliation reads it), or null. */
    void finish(String id, String status, int rowsDone, Map<String, Object> counts, Map<String, Object> summary, String error, Instant now,
                Map<String, Integer> importedBySource) {
        db.inTransaction("finishing an import", c -> {
            try (PreparedStatement ps = c.prepareStatement("update lead_imports set status = ?, rows_done = ?, rows_total = ?, counts = ?, summary = ?, error = ?, "
                    + "finished_at = ?, imported_by_source = ? where id = ?")) {
                ps.setString(1, status);
                ps.setInt(2, rowsDone);
                ps.setInt(3, rowsDone);
                ps.setString(4, Json.write(counts));
                ps.setString(5, summary == null ? null : Json.write(summary));
                ps.setString(6, error);
                db.dialect().setInstant(ps, 7, now);
                ps.setString(8, importedBySource == null ? null : Json.write(importedBySource));
                ps.setString(9, id);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** An import that stopped part-way: rows and counts of what its committed chunks stored, rows_total kept. */
    void finishStopped(String id, String status, int rowsDone, Map<String, Object> counts, String error, Instant now, Map<String, Integer> importedBySource) {
        db.inTransaction("finishing an import", c -> {
            try (PreparedStatement ps = c.prepareStatement("update lead_imports set status = ?, rows_done = ?, counts = ?, error = ?, finished_at = ?, "
                    + "imported_by_source = ? where id = ?")) {
                ps.setString(1, status);
                ps.setInt(2, rowsDone);
                ps.setString(3, Json.write(counts));
                ps.setString(4, error);
                db.dialect().setInstant(ps, 5, now);
                ps.setString(6, Json.write(importedBySource));
                ps.setString(7, id);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Jobs whose instance stopped mid-import (no sign of life since {@code staleBefore}): marked
     * failed with what to do. Jobs that other live instances are running are left alone.
     */
    int failInterrupted(Instant now, Instant staleBefore) {
        return db.inTransaction("closing interrupted imports", c -> {
            List<String> stale = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select id from lead_imports where status in ('queued', 'running') "
                    + "and (heartbeat_at is null or heartbeat_at < ?)")) {
                db.dialect().setInstant(ps, 1, staleBefore);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        stale.add(rs.getString(1));
                    }
                }
            }
            int closed = 0;
            for (String id : stale) {
                // what its committed chunks imported, per source, from the leads themselves (its lead.imported events)
                Map<String, Integer> bySource = new java.util.LinkedHashMap<>();
                try (PreparedStatement ps = c.prepareStatement("select coalesce(source, ''), count(*) from leads where import_id = ? "
                        + "and status not in ('skipped', 'invalid') group by coalesce(source, '')")) {
                    ps.setString(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            bySource.put(rs.getString(1), rs.getInt(2));
                        }
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("update lead_imports set status = 'failed', finished_at = ?, error = ?, imported_by_source = ? "
                        + "where id = ? and status in ('queued', 'running') and (heartbeat_at is null or heartbeat_at < ?)")) {
                    db.dialect().setInstant(ps, 1, now);
                    ps.setString(2, "interrupted (the hub running it stopped); upload the file again (rows already stored are reported as already imported)");
                    ps.setString(3, Json.write(bySource));
                    ps.setString(4, id);
                    db.dialect().setInstant(ps, 5, staleBefore);
                    closed += ps.executeUpdate();
                }
            }
            return closed;
        });
    }

    /** A job's heartbeat while it waits in the queue or runs, so other instances know it is alive. */
    void heartbeat(String id, Instant now) {
        db.inTransaction("import heartbeat", c -> {
            try (PreparedStatement ps = c.prepareStatement("update lead_imports set heartbeat_at = ? where id = ? and status in ('queued', 'running')")) {
                db.dialect().setInstant(ps, 1, now);
                ps.setString(2, id);
                ps.executeUpdate();
            }
            return null;
        });
    }

    Optional<Map<String, Object>> importView(long clientId, String id) {
        return db.read("reading an import", c -> {
            try (PreparedStatement ps = c.prepareStatement("select * from lead_imports where id = ? and client_id = ?")) {
                ps.setString(1, id);
                ps.setLong(2, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Map<String, Object>>empty();
                    }
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("jobId", rs.getString("id"));
                    m.put("status", rs.getString("status"));
                    m.put("rowsTotal", rs.getInt("rows_total"));
                    m.put("rowsDone", rs.getInt("rows_done"));
                    m.put("counts", Json.MAPPER.readTree(rs.getString("counts")));
                    m.put("createdAt", String.valueOf(db.dialect().getInstant(rs, "created_at")));
                    Instant started = db.dialect().getInstant(rs, "started_at");
                    Instant finished = db.dialect().getInstant(rs, "finished_at");
                    m.put("startedAt", started == null ? null : started.toString());
                    m.put("finishedAt", finished == null ? null : finished.toString());
                    String summary = rs.getString("summary");
                    m.put("summary", summary == null ? null : Json.MAPPER.readTree(summary));
                    m.put("error", rs.getString("error"));
                    return Optional.of(m);
                } catch (java.io.IOException e) {
                    throw new SQLException("unreadable import record " + id, e);
                }
            }
        });
    }

    Optional<String> previousImportOfSameFile(long clientId, String fingerprint, String exceptId) {
        return db.read("finding an earlier import", c -> {
            try (PreparedStatement ps = c.prepareStatement("select id from lead_imports where client_id = ? and file_fingerprint = ? and id <> ? and status = 'completed' order by created_at limit 1")) {
                ps.setLong(1, clientId);
                ps.setString(2, fingerprint);
                ps.setString(3, exceptId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    // --- reads for the API ------------------------------------------------------------------------------

    Optional<Map<String, Object>> lead(long clientId, long id) {
        return db.read("reading a lead", c -> {
            try (PreparedStatement ps = c.prepareStatement("select * from leads where id = ? and client_id = ?")) {
                ps.setLong(1, id);
                ps.setLong(2, clientId);
                List<Map<String, Object>> l = views(ps);
                return l.stream().findFirst();
            }
        });
    }

    Map<String, Object> leads(long clientId, String status, String e164, int page, int pageSize) {
        uk.bookinghub.store.ListQuery q = new uk.bookinghub.store.ListQuery("client_id = ?", clientId).and("status = ?", status)
                .and("dedupe_no = ?", e164 == null ? null : LeadKeys.ofE164(e164)); // a valid number's dedupe_no is its E.164 digits
        return db.read("listing leads", c -> q.page(db.dialect(), c, "leads", "*", "id", page, pageSize, this::view));
    }

    private List<Map<String, Object>> views(PreparedStatement ps) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(view(rs));
            }
        }
        return out;
    }

    private Map<String, Object> view(ResultSet rs) throws SQLException {
        Dialect d = db.dialect();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", rs.getLong("id"));
        m.put("name", rs.getString("name"));
        m.put("phone", rs.getString("phone_e164"));
        m.put("phoneRaw", rs.getString("phone_raw"));
        m.put("phoneType", rs.getString("phone_type"));
        m.put("phoneRegion", rs.getString("phone_region"));
        m.put("smsCapable", rs.getBoolean("sms_capable"));
        m.put("dialable", rs.getBoolean("dialable"));
        m.put("email", rs.getString("email"));
        m.put("source", rs.getString("source"));
        m.put("consent", rs.getString("consent"));
        m.put("consentAt", rs.getString("consent_at"));
        m.put("consentSource", rs.getString("consent_source"));
        try {
            m.put("attributes", Json.MAPPER.readTree(rs.getString("attributes")));
        } catch (java.io.IOException e) {
            m.put("attributes", Map.of());
        }
        m.put("status", rs.getString("status"));
        m.put("statusReason", rs.getString("status_reason"));
        m.put("warning", rs.getString("warning"));
        m.put("instant", rs.getBoolean("instant"));
        m.put("importId", rs.getString("import_id"));
        m.put("importLine", rs.getObject("import_line") == null ? null : rs.getInt("import_line"));
        Instant last = d.getInstant(rs, "last_contacted_at");
        m.put("lastContactedAt", last == null ? null : last.toString());
        m.put("createdAt", String.valueOf(d.getInstant(rs, "created_at")));
        m.put("updatedAt", String.valueOf(d.getInstant(rs, "updated_at")));
        return m;
    }

    static String placeholders(int n) {
        StringBuilder sb = new StringBuilder(n * 2);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "?" : ",?");
        }
        return sb.toString();
    }

    /** The client's newest lead with this number (through the (client_id, dedupe_no) index): its id and name. */
    public Optional<Map.Entry<Long, String>> newestByNumber(long clientId, String e164) {
        long key = LeadKeys.ofE164OrZero(e164);
        if (key == 0) {
            return Optional.empty();
        }
        return db.read("finding a caller among the leads", c -> {
            try (PreparedStatement ps = c.prepareStatement("select id, name from leads where " + LeadKeys.numberCondition(true) + " order by id desc limit 1")) {
                ps.setLong(1, clientId);
                ps.setLong(2, key);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(Map.entry(rs.getLong(1), rs.getString(2) == null ? "" : rs.getString(2))) : Optional.empty();
                }
            }
        });
    }

    /** The client's calling settings say every new web-form lead is called at once. */
    boolean instantCalling(long clientId) {
        String json = db.read("reading calling settings", c -> {
            try (PreparedStatement ps = c.prepareStatement("select calling_settings from clients where id = ?")) {
                ps.setLong(1, clientId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
        try {
            return uk.bookinghub.dialler.DiallerSettings.fromStored(json, java.time.ZoneOffset.UTC).instantCalling();
        } catch (uk.bookinghub.monitoring.UnreadableSettings e) {
            // fail closed: not queued for an instant call (the dialler would not dial this client now anyway)
            alarm.raise("leads", clientId, null, e, "instant calling");
            return false;
        }
    }

    private final uk.bookinghub.monitoring.SettingsAlarm alarm;
}
