package uk.bookinghub.privacy;

import com.fasterxml.jackson.core.JsonGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.http.Json;
import uk.bookinghub.store.Database;
import uk.bookinghub.store.StoreException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The client export's SQL: one JSON document streamed from the database as it is read. The small
 * parts (the client, its settings, templates, analytics summary) are written first from what the
 * caller gathered; then each table of the client's data ({@link #SECTIONS}) is read through a cursor
 * (PostgreSQL: a fetch size inside one read transaction, a snapshot that stays consistent across the
 * tables; SQLite steps its rows lazily anyway) and written row by row, 64 KB at a time, as the HTTP
 * layer reads the stream. Nothing holds more than one chunk: a million leads stream in bounded
 * memory. The document ends with {@code counts} (rows per section) and {@code "complete": true}, so a
 * reader can tell a whole export from a cut one.
 */
final class ExportStore {

    private static final Logger LOG = LoggerFactory.getLogger(ExportStore.class);

    /** One streamed part of the export: the client's rows of a table, without the listed columns. */
    record Section(String name, String table, Set<String> skip) {
    }

    /** What is streamed, in order: every table that holds the client's customers' data. */
    static final List<Section> SECTIONS = List.of(
            new Section("optOuts", "opt_outs", Set.of("client_id", "scope_key")),
            new Section("leads", "leads", Set.of("client_id", "dedupe_no")),
            new Section("appointments", "appointments", Set.of("client_id", "calendar_next_at")),
            new Section("calls", "calls", Set.of("client_id", "status_rank")),
            new Section("messages", "messages", Set.of("client_id", "status_rank", "claimed_at", "claimed_by")),
            new Section("inboundMessages", "inbound_messages", Set.of("client_id")));

    private static final int CHUNK_BYTES = 64 * 1024;
    private static final int FETCH_SIZE = 2000;
    private static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(2);
    private static final ScheduledThreadPoolExecutor WATCH = watch();

    private final Database db;

    ExportStore(Database db) {
        this.db = db;
    }

    private static ScheduledThreadPoolExecutor watch() {
        ScheduledThreadPoolExecutor w = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "hub-privacy-export-watch");
            t.setDaemon(true);
            return t;
        });
        w.setRemoveOnCancelPolicy(true);
        return w;
    }

    /**
     * The export of client {@code clientId} as a stream: {@code head}'s fields first (written as they
     * are), then the sections. {@code onClose} runs once when the stream ends, fails, is closed, or is
     * abandoned (nothing read for two minutes: its database connection goes back to the pool).
     */
    InputStream open(long clientId, Map<String, Object> head, Runnable onClose) {
        Connection c;
        try {
            c = db.dataSource().getConnection();
        } catch (SQLException e) {
            onClose.run();
            throw StoreException.wrap("exporting a client", e);
        }
        try {
            c.setAutoCommit(false); // PostgreSQL streams with a fetch size only inside a transaction
            try {
                c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ); // one snapshot for every section
            } catch (SQLException notSupported) {
                // SQLite: a read transaction already reads one snapshot
            }
            Export export = new Export(c, clientId, head, onClose);
            WATCH.scheduleWithFixedDelay(export::closeIfIdle, 30, 30, TimeUnit.SECONDS);
            return export;
        } catch (IOException | SQLException | RuntimeException e) {
            closeQuietly(c);
            onClose.run();
            throw StoreException.wrap("exporting a client", e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing or done
        }
    }

    /** A byte buffer whose bytes are read in place (no copy per chunk). */
    private static final class Buffer extends ByteArrayOutputStream {
        Buffer() {
            super(CHUNK_BYTES + 16 * 1024);
        }

        byte[] bytes() {
            return buf;
        }
    }

    /** The export as an InputStream that reads rows only as it is read. */
    private final class Export extends InputStream {
        private final Connection c;
        private final long clientId;
        private final Runnable onClose;
        private final Buffer out = new Buffer();
        private final JsonGenerator g;
        private final Map<String, Long> counts = new LinkedHashMap<>();
        private PreparedStatement ps;
        private ResultSet rs;
        private RowJson row;
        private int section = -1;
        private long rows;
        private int pos;
        private int len;
        private boolean done;
        private volatile boolean closed;
        private volatile long lastRead = System.nanoTime();

        Export(Connection c, long clientId, Map<String, Object> head, Runnable onClose) throws IOException {
            this.c = c;
            this.clientId = clientId;
            this.onClose = onClose;
            this.g = Json.MAPPER.createGenerator(out);
            g.writeStartObject();
            for (Map.Entry<String, Object> e : head.entrySet()) {
                g.writeFieldName(e.getKey());
                g.writeObject(e.getValue());
            }
            g.flush();
            len = out.size();
        }

        @Override
        public int read() throws IOException {
            if (!fill()) {
                return -1;
            }
            return out.bytes()[pos++] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int n) throws IOException {
            if (n == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int k = Math.min(n, len - pos);
            System.arraycopy(out.bytes(), pos, b, off, k);
            pos += k;
            return k;
        }

        private synchronized boolean fill() throws IOException {
            lastRead = System.nanoTime();
            if (pos < len) {
                return true;
            }
            if (done) {
                return false;
            }
            if (closed) {
                throw new IOException("the export was closed before its end (nothing was read from it for 2 minutes)");
            }
            out.reset();
            pos = 0;
            try {
                while (out.size() < CHUNK_BYTES && !done) {
                    step();
                    if (g.getOutputBuffered() >= 8192) {
                        g.flush();
                    }
                }
                g.flush();
            } catch (SQLException | IOException | RuntimeException e) {
                LOG.error("[PRIVACY] export of client {} failed in section {}: {}", clientId, section < 0 ? "-" : SECTIONS.get(Math.min(section, SECTIONS.size() - 1)).name(), e.toString());
                close();
                throw e instanceof IOException io ? io : new IOException("export failed: " + e.getMessage(), e);
            }
            len = out.size();
            if (done) {
                close();
            }
            return len > 0;
        }

        /** One row, or the start or end of a section, or the end of the document. */
        private void step() throws SQLException, IOException {
            if (rs == null) {
                section++;
                if (section >= SECTIONS.size()) {
                    g.writeObjectField("counts", counts);
                    g.writeBooleanField("complete", true);
                    g.writeEndObject();
                    done = true;
                    return;
                }
                Section s = SECTIONS.get(section);
                g.writeArrayFieldStart(s.name());
                ps = c.prepareStatement("select * from " + s.table() + " where client_id = ?");
                ps.setFetchSize(FETCH_SIZE);
                ps.setLong(1, clientId);
                rs = ps.executeQuery();
                row = new RowJson(rs, db.dialect(), s.skip());
                rows = 0;
                return;
            }
            if (rs.next()) {
                row.write(rs, g);
                rows++;
                return;
            }
            g.writeEndArray();
            counts.put(SECTIONS.get(section).name(), rows);
            closeQuietly(rs);
            closeQuietly(ps);
            rs = null;
            ps = null;
        }

        /** Closes an export nobody has read from for two minutes; then stops being watched (by throwing, which ends its schedule). */
        void closeIfIdle() {
            if (!closed && System.nanoTime() - lastRead > IDLE_NANOS) {
                LOG.warn("[PRIVACY] an export of client {} was not read for 2 minutes (the download was abandoned): its database connection is released", clientId);
                synchronized (this) {
                    close();
                }
            }
            if (closed) {
                throw new CancellationException("export closed");
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            closeQuietly(rs);
            closeQuietly(ps);
            try {
                c.rollback(); // read only: nothing to keep
            } catch (SQLException ignored) {
                // the connection is going back anyway
            }
            try {
                c.setAutoCommit(true);
            } catch (SQLException ignored) {
                // the pool resets it
            }
            closeQuietly(c);
            onClose.run();
        }
    }
}
