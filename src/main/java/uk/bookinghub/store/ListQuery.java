package uk.bookinghub.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The list endpoints' query: a {@code where} built from the filters that were given, then the total
 * and one page, newest first: {@code {"items": [...], "page", "pageSize", "total"}}.
 */
public final class ListQuery {

    /** Reads one row of a page. */
    public interface Row {
        Map<String, Object> map(ResultSet rs) throws SQLException;
    }

    private final StringBuilder where = new StringBuilder(" where ");
    private final List<Object> args = new ArrayList<>();

    /** Starts with a condition that always applies (the tenant: {@code client_id = ?}). */
    public ListQuery(String condition, Object value) {
        where.append(condition);
        args.add(value);
    }

    /** Adds {@code and <condition>} when the filter was given (value not null). */
    public ListQuery and(String condition, Object value) {
        if (value != null) {
            where.append(" and ").append(condition);
            args.add(value);
        }
        return this;
    }

    public String where() {
        return where.toString();
    }

    /** Binds the filters' values from index 1; returns the next index. */
    public int bind(Dialect dialect, PreparedStatement ps) throws SQLException {
        return dialect.bindAll(ps, args);
    }

    /** The total and one page of {@code select <columns> from <table> <where> order by id desc} (newest first). */
    public Map<String, Object> page(Dialect dialect, Connection c, String table, String columns, int page, int pageSize, Row row) throws SQLException {
        return page(dialect, c, table, columns, "id desc", page, pageSize, row);
    }

    /** The total and one page of {@code select <columns> from <table> <where> order by <orderBy>}. */
    public Map<String, Object> page(Dialect dialect, Connection c, String table, String columns, String orderBy, int page, int pageSize, Row row)
            throws SQLException {
        long total;
        try (PreparedStatement ps = c.prepareStatement("select count(*) from " + table + where)) {
            bind(dialect, ps);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                total = rs.getLong(1);
            }
        }
        List<Map<String, Object>> items = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select " + columns + " from " + table + where + " order by " + orderBy + " limit ? offset ?")) {
            int n = bind(dialect, ps);
            ps.setInt(n++, pageSize);
            ps.setLong(n, (long) (page - 1) * pageSize);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    items.add(row.map(rs));
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", items);
        out.put("page", page);
        out.put("pageSize", pageSize);
        out.put("total", total);
        return out;
    }
}
