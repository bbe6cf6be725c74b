package uk.bookinghub.support;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A fresh, real database for one test class: an SQLite file in a temp folder, or a new
 * PostgreSQL database on 127.0.0.1:5432 (user postgres) that is dropped afterwards.
 * Without PostgreSQL the PostgreSQL suites are skipped on a laptop and fail under CI=true.
 */
public final class TestDatabase implements AutoCloseable {

    public enum Kind { SQLITE, POSTGRESQL }

    public static final String PG_HOST = System.getenv().getOrDefault("TEST_PG_HOST", "127.0.0.1");
    public static final int PG_PORT = Integer.parseInt(System.getenv().getOrDefault("TEST_PG_PORT", "5432"));
    public static final String PG_USER = System.getenv().getOrDefault("TEST_PG_USER", "postgres");

    private final Kind kind;
    private final String name;
    private final Path dir;

    private TestDatabase(Kind kind, String name, Path dir) {
        this.kind = kind;
        this.name = name;
        this.dir = dir;
    }

    public static TestDatabase create(Kind kind) {
        try {
            if (kind == Kind.SQLITE) {
                Path dir = Files.createTempDirectory("hub-sqlite-");
                return new TestDatabase(kind, dir.resolve("hub.db").toString(), dir);
            }
            requirePostgres();
            String db = "hub_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            try (Connection c = DriverManager.getConnection(adminUrl(), PG_USER, null); Statement s = c.createStatement()) {
                s.execute("create database " + db);
            }
            return new TestDatabase(kind, db, null);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create a test database: " + e.getMessage(), e);
        }
    }

    /** Skips (laptop) or fails (CI) when PostgreSQL is not reachable. */
    public static void requirePostgres() {
        try (Connection c = DriverManager.getConnection(adminUrl(), PG_USER, null)) {
            c.isValid(2);
        } catch (SQLException e) {
            String msg = "PostgreSQL is not reachable at " + PG_HOST + ":" + PG_PORT + " (" + e.getMessage() + ")";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException(msg + ": the PostgreSQL suites must run in CI");
            }
            Assumptions.abort(msg);
        }
    }

    private static String adminUrl() {
        return "jdbc:postgresql://" + PG_HOST + ":" + PG_PORT + "/postgres?connectTimeout=3";
    }

    public Kind kind() {
        return kind;
    }

    /** The DATABASE_URL the hub is given (PostgreSQL in the hosting-platform form, to exercise that path). */
    public String hubUrl() {
        return kind == Kind.SQLITE ? "jdbc:sqlite:" + name : "postgres://" + PG_USER + "@" + PG_HOST + ":" + PG_PORT + "/" + name;
    }

    /** The same database reached through another host/port (a proxy). */
    public String hubUrlVia(String host, int port) {
        return "postgres://" + PG_USER + "@" + host + ":" + port + "/" + name;
    }

    public Connection connect() throws SQLException {
        if (kind == Kind.SQLITE) {
            return DriverManager.getConnection("jdbc:sqlite:" + name);
        }
        return DriverManager.getConnection("jdbc:postgresql://" + PG_HOST + ":" + PG_PORT + "/" + name, PG_USER, null);
    }

    /** Migrates this new database only up to {@code version}: the schema an older hub left, for upgrade tests. */
    public void migrateTo(String version) {
        String url = kind == Kind.SQLITE ? "jdbc:sqlite:" + name : "jdbc:postgresql://" + PG_HOST + ":" + PG_PORT + "/" + name;
        org.flywaydb.core.Flyway.configure().dataSource(url, kind == Kind.POSTGRESQL ? PG_USER : null, null)
                .locations("classpath:db/common", "classpath:db/" + (kind == Kind.SQLITE ? "sqlite" : "postgresql")).target(version).load().migrate();
    }

    public Path sqliteFile() {
        return kind == Kind.SQLITE ? Path.of(name) : null;
    }

    @Override
    public void close() {
        try {
            if (kind == Kind.POSTGRESQL) {
                try (Connection c = DriverManager.getConnection(adminUrl(), PG_USER, null); Statement s = c.createStatement()) {
                    s.execute("drop database if exists " + name + " with (force)");
                }
            } else if (dir != null) {
                try (var files = Files.list(dir)) {
                    files.forEach(f -> f.toFile().delete());
                }
                Files.deleteIfExists(dir);
            }
        } catch (Exception e) {
            System.err.println("could not drop test database " + name + ": " + e.getMessage());
        }
    }
}
