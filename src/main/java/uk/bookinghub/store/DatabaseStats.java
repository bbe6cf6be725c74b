package uk.bookinghub.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code GET /api/admin/db-stats} says about the database itself, read from the database's own
 * catalogue: its size and, per table, rows and bytes (data and indexes).
 * <ul>
 * <li>PostgreSQL: {@code pg_database_size}; server connections by state from
 *     {@code pg_stat_activity} (this database's client backends) against {@code max_connections};
 *     per table the row estimate ({@code pg_stat_user_tables.n_live_tup}, else
 *     {@code pg_class.reltuples}), {@code pg_table_size} (data and TOAST),
 *     {@code pg_indexes_size} and {@code pg_total_relation_size}, largest first.</li>
 * <li>SQLite: the file, its write-ahead log and shared-memory files, page size, page count, free
 *     pages, journal mode; per table an exact {@code count(*)} and, where the driver has the
 *     {@code dbstat} table, its bytes (data and its indexes).</li>
 * </ul>
 */
public final class DatabaseStats {

    private DatabaseStats() {
    }

    public static Map<String, Object> read(Database db) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", db.dialect().name().toLowerCase(java.util.Locale.ROOT));
        return db.read("reading the database statistics", c -> {
            if (db.dialect() == Dialect.POSTGRESQL) {
                postgres(c, out);
            } else {
                sqlite(c, db.url().sqliteFile(), out);
            }
            return out;
        });
    }

    private static void postgres(Connection c, Map<String, Object> out) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select current_database(), pg_database_size(current_database()), current_setting('server_version'), "
                     + "current_setting('max_connections')::int")) {
            rs.next();
            out.put("name", rs.getString(1));
            out.put("sizeBytes", rs.getLong(2));
            out.put("size", human(rs.getLong(2)));
            out.put("version", rs.getString(3));
            out.put("serverConnections", serverConnections(c, rs.getInt(4)));
        }
        List<Map<String, Object>> tables = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select c.relname, coalesce(st.n_live_tup, greatest(c.reltuples, 0)::bigint) as rows_estimate, "
                     + "pg_table_size(c.oid) as data_bytes, pg_indexes_size(c.oid) as index_bytes, pg_total_relation_size(c.oid) as total_bytes "
                     + "from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_stat_user_tables st on st.relid = c.oid "
                     + "where c.relkind in ('r', 'p') and n.nspname = current_schema() order by total_bytes desc, c.relname")) {
            while (rs.next()) {
                tables.add(table(rs.getString(1), "rowEstimate", rs.getLong(2), rs.getLong(3), rs.getLong(4)));
            }
        }
        out.put("tables", tables);
    }

    private static Map<String, Object> serverConnections(Connection c, int max) throws SQLException {
        Map<String, Object> byState = new LinkedHashMap<>();
        long total = 0;
        try (PreparedStatement ps = c.prepareStatement("select coalesce(state, 'unknown'), count(*) from pg_stat_activity "
                + "where datname = current_database() and backend_type = 'client backend' group by 1 order by 1");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                byState.put(rs.getString(1), rs.getLong(2));
                total += rs.getLong(2);
            }
        }
        long all;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from pg_stat_activity where backend_type = 'client backend'")) {
            rs.next();
            all = rs.getLong(1);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("thisDatabase", total);
        out.put("byState", byState);
        out.put("allDatabases", all);
        out.put("max", max);
        return out;
    }

    private static void sqlite(Connection c, Path file, Map<String, Object> out) throws SQLException {
        Path f = file == null ? null : file.toAbsolutePath();
        long fileBytes = size(f);
        long walBytes = f == null ? -1 : size(Path.of(f + "-wal"));
        out.put("file", f == null ? null : f.toString());
        out.put("fileBytes", fileBytes);
        out.put("walBytes", walBytes);
        out.put("shmBytes", f == null ? -1 : size(Path.of(f + "-shm")));
        long total = Math.max(0, fileBytes) + Math.max(0, walBytes);
        out.put("sizeBytes", total);
        out.put("size", human(total));
        out.put("version", text(c, "select sqlite_version()"));
        out.put("journalMode", text(c, "pragma journal_mode"));
        out.put("pageSize", Long.parseLong(text(c, "pragma page_size")));
        out.put("pageCount", Long.parseLong(text(c, "pragma page_count")));
        out.put("freePages", Long.parseLong(text(c, "pragma freelist_count")));
        Map<String, String> indexOf = new LinkedHashMap<>(); // btree name -> its table
        List<String> names = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select type, name, tbl_name from sqlite_master where type in ('table', 'index') and name not like 'sqlite_%' order by name")) {
            while (rs.next()) {
                if ("table".equals(rs.getString(1))) {
                    names.add(rs.getString(2));
                }
                indexOf.put(rs.getString(2), rs.getString(3));
            }
        }
        Map<String, long[]> bytes = dbstat(c, indexOf); // table -> {data, indexes}; null without dbstat
        List<Map<String, Object>> tables = new ArrayList<>();
        for (String t : names) {
            long rows;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from \"" + t.replace("\"", "\"\"") + "\"")) {
                rs.next();
                rows = rs.getLong(1);
            }
            long[] b = bytes == null ? null : bytes.getOrDefault(t, new long[2]);
            tables.add(table(t, "rows", rows, b == null ? null : b[0], b == null ? null : b[1]));
        }
        tables.sort((a, b) -> Long.compare(total(b), total(a)) != 0 ? Long.compare(total(b), total(a)) : Long.compare((Long) b.get("rows"), (Long) a.get("rows")));
        out.put("tables", tables);
        if (bytes == null) {
            out.put("tableSizes", "not available: this SQLite build has no dbstat table");
        }
    }

    /** Bytes per table (its own pages, its indexes' pages) from {@code dbstat}; null when the build has none. */
    private static Map<String, long[]> dbstat(Connection c, Map<String, String> tableOf) {
        Map<String, long[]> out = new LinkedHashMap<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select name, sum(pgsize) from dbstat group by name")) {
            while (rs.next()) {
                String name = rs.getString(1);
                String table = tableOf.getOrDefault(name, name);
                long[] b = out.computeIfAbsent(table, k -> new long[2]);
                b[name.equals(table) ? 0 : 1] += rs.getLong(2);
            }
            return out;
        } catch (SQLException e) {
            return null;
        }
    }

    private static long total(Map<String, Object> t) {
        Object v = t.get("totalBytes");
        return v instanceof Long l ? l : 0;
    }

    private static Map<String, Object> table(String name, String rowsKey, long rows, Long data, Long indexes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put(rowsKey, rows);
        m.put("dataBytes", data);
        m.put("indexBytes", indexes);
        m.put("totalBytes", data == null ? null : data + indexes);
        m.put("total", data == null ? null : human(data + indexes));
        return m;
    }

    private static String text(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static long size(Path p) {
        try {
            return p != null && Files.exists(p) ? Files.size(p) : 0;
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /** 1536 -> "1.5 KB". */
    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
