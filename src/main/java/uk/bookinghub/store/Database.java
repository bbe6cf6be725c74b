package uk.bookinghub.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The hub's database: a connection pool on SQLite or PostgreSQL, migrated by Flyway before any
 * route starts, plus the transaction helper the stores share.
 */
public final class Database implements AutoCloseable {

    /** One unit of work on a connection inside a transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final DatabaseUrl url;
    private final HikariDataSource dataSource;
    private final java.util.List<Runnable> commitListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Database(DatabaseUrl url, HikariDataSource dataSource) {
        this.url = url;
        this.dataSource = dataSource;
    }

    /**
     * Opens the pool. Fails fast (within {@code connectTimeoutMs}) with a
     * {@link DatabaseUnavailableException} when the database cannot be reached.
     */
    public static Database open(DatabaseUrl url, int poolSize, long connectTimeoutMs) {
        HikariConfig cfg = new HikariConfig();
        cfg.setPoolName("hub-db");
        cfg.setJdbcUrl(url.jdbcUrl());
        if (url.user() != null) {
            cfg.setUsername(url.user());
        }
        if (url.password() != null) {
            cfg.setPassword(url.password());
        }
        cfg.setConnectionTimeout(Math.max(250, connectTimeoutMs));
        cfg.setValidationTimeout(Math.max(250, Math.min(connectTimeoutMs, 5000)));
        cfg.setInitializationFailTimeout(Math.max(1, connectTimeoutMs));
        if (url.dialect() == Dialect.SQLITE) {
            Path file = url.sqliteFile().toAbsolutePath();
            try {
                Files.createDirectories(file.getParent());
            } catch (java.io.IOException e) {
                throw new DatabaseUnavailableException("cannot create the SQLite directory " + file.getParent() + ": " + e.getMessage(), e);
            }
            // WAL lets readers run beside the single writer; FULL makes every acknowledged commit durable.
            cfg.addDataSourceProperty("journal_mode", "WAL");
            cfg.addDataSourceProperty("synchronous", "FULL");
            cfg.addDataSourceProperty("busy_timeout", String.valueOf(Math.max(250, connectTimeoutMs)));
            cfg.addDataSourceProperty("foreign_keys", "true");
            cfg.setMaximumPoolSize(Math.min(poolSize, 4));
        } else {
            cfg.addDataSourceProperty("connectTimeout", String.valueOf(Math.max(1, connectTimeoutMs / 1000)));
            cfg.addDataSourceProperty("tcpKeepAlive", "true");
            cfg.setMaximumPoolSize(poolSize);
        }
        try {
            return new Database(url, new HikariDataSource(cfg));
        } catch (RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            throw new DatabaseUnavailableException("cannot connect to " + url + ": " + root.getMessage(), e);
        }
    }

    /** Applies the migrations of this dialect; runs before any route exists. */
    public int migrate() {
        return flyway().migrate().migrationsExecuted;
    }

    /**
     * Flyway on this database with {@link #migrationLocations}. A migration's checksum is taken from
     * its content, not its folder, so a file moved unchanged between these folders still validates
     * against a database that applied it from the other (MigrationLayoutTest).
     */
    Flyway flyway() {
        return Flyway.configure()
                .dataSource(dataSource)
                .locations(migrationLocations(dialect()))
                .load();
    }

    /**
     * Where the migrations are: {@code db/common} for those whose SQL both databases accept as it is,
     * then the dialect's own folder ({@code db/postgresql} or {@code db/sqlite}: SQL files, and the Java
     * migrations of package {@code db.<dialect>}) for those that differ. A version lives in one of them.
     */
    static String[] migrationLocations(Dialect dialect) {
        return new String[] {"classpath:db/common", "classpath:db/" + dialect.name().toLowerCase(java.util.Locale.ROOT)};
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public Dialect dialect() {
        return url.dialect();
    }

    public DatabaseUrl url() {
        return url;
    }

    /**
     * Runs work in one transaction; JDBC failures become {@link DatabaseUnavailableException} or
     * {@link StoreException}. A pooled connection that died (the database restarted, the network
     * dropped) fails before the commit is sent: the pool discards it and the work runs once more on
     * a fresh one, so the first request after an outage does not pay for the dead connection.
     */
    public <T> T inTransaction(String what, Work<T> work) {
        try {
            return dialect() == Dialect.SQLITE ? sqliteAttempts(work) : attempt(work, true);
        } catch (BrokenBeforeCommit e) {
            try {
                return attempt(work, true);
            } catch (BrokenBeforeCommit again) {
                throw StoreException.wrap(what, again.cause);
            } catch (SQLException e2) {
                throw StoreException.wrap(what, e2);
            }
        } catch (SQLException e) {
            throw StoreException.wrap(what, e);
        }
    }

    /** Runs read-only work with an auto-commit connection (once more on a fresh connection if the pooled one was dead). */
    public <T> T read(String what, Work<T> work) {
        try {
            return attempt(work, false);
        } catch (BrokenBeforeCommit e) {
            try {
                return attempt(work, false);
            } catch (BrokenBeforeCommit again) {
                throw StoreException.wrap(what, again.cause);
            } catch (SQLException e2) {
                throw StoreException.wrap(what, e2);
            }
        } catch (SQLException e) {
            throw StoreException.wrap(what, e);
        }
    }

    private static final int SQLITE_BUSY_TRIES = 12;

    /**
     * SQLite, WAL mode: a transaction that read first and then writes fails at once with
     * SQLITE_BUSY when another connection committed a write after its read began (the busy timeout
     * cannot help: its snapshot is stale). Nothing was committed, so the work runs again on a fresh
     * snapshot after a short random pause, up to {@value #SQLITE_BUSY_TRIES} times. (Rare, but it
     * answered a request 503 beside the outbox sender's and the timers' writes.)
     */
    private <T> T sqliteAttempts(Work<T> work) throws SQLException, BrokenBeforeCommit {
        for (int tryNo = 1; ; tryNo++) {
            try {
                return attempt(work, true);
            } catch (SQLException e) {
                if (tryNo >= SQLITE_BUSY_TRIES || e instanceof CommitFailed || !sqliteBusy(e)) {
                    throw e;
                }
                try {
                    Thread.sleep(5 + java.util.concurrent.ThreadLocalRandom.current().nextInt(10 * tryNo));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** A failed commit: never run again, whatever the error says (it may have been committed). */
    private static final class CommitFailed extends SQLException {
        CommitFailed(SQLException e) {
            super(e.getMessage(), e.getSQLState(), e.getErrorCode(), e);
        }
    }

    /** SQLITE_BUSY (5) and its extended codes (BUSY_SNAPSHOT 517, BUSY_RECOVERY 261, ...), wherever in the cause chain. */
    static boolean sqliteBusy(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException q && ((q.getErrorCode() & 0xFF) == 5 || String.valueOf(q.getMessage()).contains("SQLITE_BUSY"))) {
                return true;
            }
        }
        return false;
    }

    /** The work failed on a connection that is broken, before anything was committed: safe to run again. */
    private static final class BrokenBeforeCommit extends Exception {
        final SQLException cause;

        BrokenBeforeCommit(SQLException cause) {
            super(cause.getMessage(), cause, false, false);
            this.cause = cause;
        }
    }

    private <T> T attempt(Work<T> work, boolean transaction) throws SQLException, BrokenBeforeCommit {
        try (Connection c = dataSource.getConnection()) {
            if (transaction) {
                c.setAutoCommit(false);
            }
            T result;
            try {
                result = work.run(c);
            } catch (SQLException e) {
                if (transaction) {
                    rollbackQuietly(c);
                }
                if (dialect() == Dialect.POSTGRESQL && Dialect.isUnavailable(e) && brokenConnection(c)) {
                    dataSource.evictConnection(c);
                    throw new BrokenBeforeCommit(e);
                }
                throw e;
            } catch (RuntimeException e) {
                if (transaction) {
                    rollbackQuietly(c);
                }
                throw e;
            }
            if (transaction) {
                try {
                    c.commit();
                } catch (SQLException e) {
                    throw new CommitFailed(e); // not retried: the commit may have happened
                }
                committed();
            }
            return result;
        }
    }

    private static boolean brokenConnection(Connection c) {
        try {
            return c.isClosed() || !c.isValid(1);
        } catch (SQLException e) {
            return true;
        }
    }

    /**
     * Runs {@code listener} after every committed write transaction of this hub (on the committing
     * thread, so it must only signal: the live event stream's tail is woken this way on SQLite,
     * where triggers write the events and nothing announces them). Never after a rollback.
     */
    public void onCommit(Runnable listener) {
        commitListeners.add(listener);
    }

    private void committed() {
        for (Runnable l : commitListeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Database.class).warn("a commit listener failed: {}", e.toString());
            }
        }
    }

    /**
     * A connection of its own, outside the pool, named {@code applicationName} on the server (PostgreSQL's
     * {@code pg_stat_activity.application_name}), with {@code socketTimeoutSeconds} on every read: for work
     * that holds a connection for as long as the hub runs (the event stream's LISTEN) and must notice a
     * dead one. The caller closes it.
     */
    public Connection openDedicated(String applicationName, int socketTimeoutSeconds) throws SQLException {
        java.util.Properties p = new java.util.Properties();
        if (url.user() != null) {
            p.setProperty("user", url.user());
        }
        if (url.password() != null) {
            p.setProperty("password", url.password());
        }
        if (dialect() == Dialect.POSTGRESQL) {
            p.setProperty("ApplicationName", applicationName);
            p.setProperty("tcpKeepAlive", "true");
            p.setProperty("socketTimeout", String.valueOf(socketTimeoutSeconds));
            p.setProperty("connectTimeout", String.valueOf(Math.max(1, Math.min(socketTimeoutSeconds, 10))));
        }
        return java.sql.DriverManager.getConnection(url.jdbcUrl(), p);
    }

    /**
     * The connection pool now (HikariCP's pool MXBean, read without JMX): connections in use
     * ({@code active}), {@code idle}, {@code total}, the {@code max}imum, and threads {@code waiting}
     * for one (more than zero for long means the pool or the database is the bottleneck).
     */
    public java.util.Map<String, Object> poolStats() {
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("name", dataSource.getPoolName());
        com.zaxxer.hikari.HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
        out.put("active", pool == null ? null : pool.getActiveConnections());
        out.put("idle", pool == null ? null : pool.getIdleConnections());
        out.put("total", pool == null ? null : pool.getTotalConnections());
        out.put("max", dataSource.getMaximumPoolSize());
        out.put("waiting", pool == null ? null : pool.getThreadsAwaitingConnection());
        out.put("connectionTimeoutMs", dataSource.getConnectionTimeout());
        return out;
    }

    /** A round trip to the database; throws when it is unreachable. */
    public void ping() {
        read("pinging the database", c -> {
            try (Statement s = c.createStatement()) {
                s.execute("select 1");
            }
            return null;
        });
    }

    static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the pool will discard it
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
