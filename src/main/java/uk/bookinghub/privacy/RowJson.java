package uk.bookinghub.privacy;

import com.fasterxml.jackson.core.JsonGenerator;

import uk.bookinghub.store.Dialect;

import java.io.IOException;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;

/**
 * One table row as a JSON object, the same way for the client export (streamed, a million rows) and
 * for a person's access request: every column of the query but the {@code skip}ped ones, named in
 * camelCase; {@code *_at} columns as ISO-8601 instants (except the lead's {@code consent_at}, which is
 * the text the client sent), the known boolean columns as true / false on both databases (SQLite
 * stores 0 / 1), the hub's own JSON columns embedded as JSON, numbers as numbers, the rest as text.
 */
final class RowJson {

    private static final Set<String> BOOLEANS = Set.of("sms_capable", "dialable", "instant", "tps", "ctps", "marketing", "active");
    private static final Set<String> JSON = Set.of("attributes", "structured_data", "props", "params", "arguments", "answer");
    private static final Set<String> TEXT_AT = Set.of("consent_at");

    private final Dialect dialect;
    private final String[] labels;
    private final int[] columns;
    private final String[] names;
    private final char[] kinds;

    /** Reads the columns of {@code rs} once; the rows are then written with {@link #write}. */
    RowJson(ResultSet rs, Dialect dialect, Set<String> skip) throws SQLException {
        this.dialect = dialect;
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        String[] l = new String[n];
        int[] col = new int[n];
        String[] nm = new String[n];
        char[] k = new char[n];
        int kept = 0;
        for (int i = 1; i <= n; i++) {
            String label = md.getColumnLabel(i).toLowerCase(Locale.ROOT);
            if (skip.contains(label)) {
                continue;
            }
            l[kept] = label;
            col[kept] = i;
            nm[kept] = camel(label);
            k[kept] = label.endsWith("_at") && !TEXT_AT.contains(label) ? 'i' : BOOLEANS.contains(label) ? 'b' : JSON.contains(label) ? 'j' : 'v';
            kept++;
        }
        this.labels = java.util.Arrays.copyOf(l, kept);
        this.columns = java.util.Arrays.copyOf(col, kept);
        this.names = java.util.Arrays.copyOf(nm, kept);
        this.kinds = java.util.Arrays.copyOf(k, kept);
    }

    /** The current row of {@code rs} as one JSON object. */
    void write(ResultSet rs, JsonGenerator g) throws SQLException, IOException {
        g.writeStartObject();
        for (int i = 0; i < labels.length; i++) {
            g.writeFieldName(names[i]);
            switch (kinds[i]) {
                case 'i' -> {
                    Instant t = dialect.getInstant(rs, labels[i]);
                    if (t == null) {
                        g.writeNull();
                    } else {
                        g.writeString(t.toString());
                    }
                }
                case 'b' -> {
                    boolean b = rs.getBoolean(columns[i]);
                    if (rs.wasNull()) {
                        g.writeNull();
                    } else {
                        g.writeBoolean(b);
                    }
                }
                case 'j' -> json(g, rs.getString(columns[i]));
                default -> value(g, rs.getObject(columns[i]));
            }
        }
        g.writeEndObject();
    }

    /** A JSON document the hub stored, embedded as it is when it is an object or array; anything else as text. */
    private static void json(JsonGenerator g, String s) throws IOException {
        if (s == null) {
            g.writeNull();
            return;
        }
        String t = s.strip();
        boolean object = t.startsWith("{") && t.endsWith("}");
        boolean array = t.startsWith("[") && t.endsWith("]");
        if (object || array) {
            try {
                // checked, so a damaged value cannot break the document it is written into
                g.writeTree(uk.bookinghub.http.Json.MAPPER.readTree(t));
                return;
            } catch (IOException unreadable) {
                // written as text below
            }
        }
        g.writeString(s);
    }

    private static void value(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof BigDecimal d) {
            g.writeNumber(d);
        } else if (v instanceof Double || v instanceof Float) {
            g.writeNumber(((Number) v).doubleValue());
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeString(v.toString());
        }
    }

    static String camel(String snake) {
        StringBuilder sb = new StringBuilder(snake.length());
        boolean up = false;
        for (int i = 0; i < snake.length(); i++) {
            char c = snake.charAt(i);
            if (c == '_') {
                up = sb.length() > 0;
            } else {
                sb.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return sb.toString();
    }
}
