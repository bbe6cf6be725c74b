package uk.bookinghub.store;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import uk.bookinghub.leads.LeadKeys;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * V8 on both databases: {@code leads.dedupe_key} (text: E.164, or {@code invalid:} + phone|name|email)
 * becomes {@code leads.dedupe_no} (bigint, {@link LeadKeys}), with the unique index on
 * (client_id, dedupe_no). Invalid rows need the Java digest, hence a Java migration.
 * On PostgreSQL the foreign key leads.client_id → clients is replaced by a delete guard on
 * clients (see {@code db.postgresql.V8__lead_dedupe_numbers}).
 */
public abstract class LeadKeysMigration extends BaseJavaMigration {

    protected abstract boolean postgres();

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        boolean pg = postgres();
        try (Statement s = c.createStatement()) {
            s.execute(pg ? "alter table leads add column dedupe_no bigint" : "alter table leads add column dedupe_no integer not null default 0");
            s.executeUpdate(pg ? "update leads set dedupe_no = substr(dedupe_key, 2)::bigint where dedupe_key like '+%'"
                    : "update leads set dedupe_no = cast(substr(dedupe_key, 2) as integer) where dedupe_key like '+%'");
        }
        List<long[]> invalid = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select id, dedupe_key from leads where dedupe_key not like '+%'");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String key = rs.getString(2);
                String raw = key.startsWith("invalid:") ? key.substring("invalid:".length()) : key;
                invalid.add(new long[] {rs.getLong(1), LeadKeys.ofInvalid(raw)});
            }
        }
        try (PreparedStatement ps = c.prepareStatement("update leads set dedupe_no = ? where id = ?")) {
            int n = 0;
            for (long[] row : invalid) {
                ps.setLong(1, row[1]);
                ps.setLong(2, row[0]);
                ps.addBatch();
                if (++n % 1000 == 0) {
                    ps.executeBatch();
                }
            }
            ps.executeBatch();
        }
        try (Statement s = c.createStatement()) {
            if (pg) {
                s.execute("alter table leads alter column dedupe_no set not null");
            }
            s.execute("create unique index leads_client_dedupe_no_idx on leads (client_id, dedupe_no)");
            s.execute("drop index leads_client_dedupe_idx");
            s.execute("alter table leads drop column dedupe_key");
            if (pg) {
                dropClientForeignKey(s);
            }
        }
    }

    /**
     * PostgreSQL checks a foreign key with one query and row lock per inserted row: 2.3 s of an
     * 8.5 s COPY of 900k leads. A client is never deleted by the hub, and every lead's client_id
     * comes from an authenticated client; this guard keeps the other half of the rule (no client
     * deleted while it has leads), and a bulk import locks its client row once per chunk.
     */
    private static void dropClientForeignKey(Statement s) throws SQLException {
        s.execute("alter table leads drop constraint leads_client_id_fkey");
        s.execute("""
                create function clients_keep_leads() returns trigger language plpgsql as $$
                begin
                    if exists (select 1 from leads where client_id = old.id) then
                        raise foreign_key_violation using message = 'client ' || old.id || ' still has leads: clients with leads are not deleted';
                    end if;
                    return old;
                end $$""");
        s.execute("create trigger clients_keep_leads before delete on clients for each row execute function clients_keep_leads()");
    }
}
