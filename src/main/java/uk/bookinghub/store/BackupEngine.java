package uk.bookinghub.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The database side of backups (issue 18; README "Backups and restore"): a consistent copy of the
 * hub's database in a file, the same database's content summarised (row counts of every table and
 * a SHA-256 over every row of the key tables), and a backup restored into another database.
 *
 * <ul>
 * <li>SQLite: {@code VACUUM INTO} a temporary file (an online, consistent copy), {@code PRAGMA
 * integrity_check} on the copy, the summary read from the copy, then gzip.</li>
 * <li>PostgreSQL: {@code pg_dump --format=custom} with the pg_dump of the server's major version
 * (a missing or other-version pg_dump is an error, never a skip), taken from a snapshot exported by
 * a repeatable-read transaction that reads the summary too: dump and summary are the same instant.</li>
 * </ul>
 * Restoring: SQLite decompresses next to the target and renames it into place; PostgreSQL runs
 * {@code pg_restore} into the target. Verification restores into a scratch database (a temporary
 * file; a temporary PostgreSQL database the hub creates and drops, or {@code verifyUrl}), applies
 * the migrations check (the restored schema validates against this hub's migrations) and reads the
 * summary again.
 */
public final class BackupEngine {

    /** The tables whose every row is hashed into the summary (the rest are counted). */
    public static final List<String> KEY_TABLES = List.of("clients", "api_keys", "leads", "calls", "appointments", "messages", "opt_outs");

    /** What a database holds, for comparing a backup with what it was taken from. */
    public record Summary(String schemaVersion, Map<String, Long> rowCounts, Map<String, String> checksums) {
    }

    /** A backup file just written (not yet compressed or moved), with its summary. */
    public record Taken(Path file, Summary summary, String tool) {
    }

    private final Database db;
    private final Path pgBinDir;
    private final String verifyUrl;

    /**
     * {@code pgBinDir}: where pg_dump and pg_restore are (null: {@code /usr/lib/postgresql/<server
     * major>/bin}, then the PATH); {@code verifyUrl}: a PostgreSQL database to verify in when the hub
     * may not create one (null: a temporary database is created and dropped).
     */
    public BackupEngine(Database db, Path pgBinDir, String verifyUrl) {
        this.db = db;
        this.pgBinDir = pgBinDir;
        this.verifyUrl = verifyUrl == null || verifyUrl.isBlank() ? null : verifyUrl.trim();
    }

    /** "sqlite" or "postgresql": the name backups carry. */
    public String databaseKind() {
        return db.dialect().name().toLowerCase(Locale.ROOT);
    }

    /** The file name ending of this database's backups. */
    public String extension() {
        return db.dialect() == Dialect.SQLITE ? ".sqlite.gz" : ".pgdump";
    }

    // ---------------------------------------------------------------- taking a backup

    /** Writes a consistent backup of the hub's database to {@code target} (absent or replaced). */
    public Taken backup(Path target) throws IOException {
        return db.dialect() == Dialect.SQLITE ? sqliteBackup(target) : postgresBackup(target);
    }

    private Taken sqliteBackup(Path target) throws IOException {
        Path copy = target.resolveSibling(target.getFileName() + ".db");
        Files.deleteIfExists(copy);
        try {
            db.read("copying the database (VACUUM INTO)", c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("VACUUM INTO '" + copy.toAbsolutePath().toString().replace("'", "''") + "'");
                }
                return null;
            });
            Summary summary;
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + copy.toAbsolutePath())) {
                String check = integrityCheck(c);
                if (!"ok".equals(check)) {
                    throw new IOException("the copy fails PRAGMA integrity_check: " + check);
                }
                summary = summary(c);
            } catch (SQLException e) {
                throw new IOException("cannot read the copy " + copy + ": " + e.getMessage(), e);
            }
            try (InputStream in = Files.newInputStream(copy); OutputStream out = new GZIPOutputStream(Files.newOutputStream(target), 1 << 16)) {
                in.transferTo(out);
            }
            return new Taken(target, summary, "sqlite " + sqliteVersion());
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    private Taken postgresBackup(Path target) throws IOException {
        Files.deleteIfExists(target);
        try (Connection c = db.dataSource().getConnection()) {
            Path pgDump = pgTool(c, "pg_dump");
            c.setAutoCommit(false);
            try {
                String snapshot;
                try (Statement s = c.createStatement()) {
                    s.execute("set transaction isolation level repeatable read, read only");
                    try (ResultSet rs = s.executeQuery("select pg_export_snapshot()")) {
                        rs.next();
                        snapshot = rs.getString(1);
                    }
                }
                List<String> cmd = new ArrayList<>(List.of(pgDump.toString(), "--format=custom", "--no-owner", "--no-privileges",
                        "--snapshot=" + snapshot, "--file=" + target.toAbsolutePath(), "--dbname=" + libpqUri(db.url().jdbcUrl())));
                Process p = start(cmd, db.url());
                // the summary is read in the same snapshot while pg_dump runs
                Summary summary = summary(c);
                finish(p, "pg_dump", TimeUnit.HOURS.toMillis(6));
                return new Taken(target, summary, toolVersion(pgDump));
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IOException("cannot back up the database: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- verifying

    /** Restores {@code file} into a scratch database, checks its schema against this hub's migrations, and summarises it. */
    public Summary verify(Path file) throws IOException {
        if (db.dialect() == Dialect.SQLITE) {
            Path scratch = Files.createTempFile(file.toAbsolutePath().getParent(), ".verify-", ".db");
            try {
                decompress(file, scratch);
                DatabaseUrl url = DatabaseUrl.parse("jdbc:sqlite:" + scratch.toAbsolutePath(), null);
                try (Connection c = DriverManager.getConnection(url.jdbcUrl())) {
                    String check = integrityCheck(c);
                    if (!"ok".equals(check)) {
                        throw new IOException("the restored copy fails PRAGMA integrity_check: " + check);
                    }
                } catch (SQLException e) {
                    throw new IOException("the restored copy cannot be read: " + e.getMessage(), e);
                }
                return migrationsCheckAndSummary(url);
            } finally {
                Files.deleteIfExists(scratch);
                Files.deleteIfExists(Path.of(scratch + "-wal"));
                Files.deleteIfExists(Path.of(scratch + "-shm"));
            }
        }
        if (verifyUrl != null) {
            DatabaseUrl url = DatabaseUrl.parse(verifyUrl, null);
            pgRestore(file, url, true);
            return migrationsCheckAndSummary(url);
        }
        String name = "hub_verify_" + Long.toHexString(System.nanoTime()) + Integer.toHexString((int) (Math.random() * 0xffff));
        db.read("creating a scratch database to verify a backup in", c -> {
            try (Statement s = c.createStatement()) {
                s.execute("create database " + name);
            }
            return null;
        });
        try {
            DatabaseUrl url = new DatabaseUrl(Dialect.POSTGRESQL, withDatabase(db.url().jdbcUrl(), name), db.url().user(), db.url().password());
            pgRestore(file, url, false);
            return migrationsCheckAndSummary(url);
        } finally {
            try {
                db.read("dropping the scratch database", c -> {
                    try (Statement s = c.createStatement()) {
                        s.execute("drop database if exists " + name + " with (force)");
                    }
                    return null;
                });
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(BackupEngine.class).warn("[BACKUP] could not drop the scratch database {}: {}", name, e.getMessage());
            }
        }
    }

    private static Summary migrationsCheckAndSummary(DatabaseUrl url) throws IOException {
        try (Database restored = Database.open(url, 2, 10_000)) {
            try {
                restored.flyway().validate();
            } catch (RuntimeException e) {
                throw new IOException("the restored schema does not validate against this hub's migrations: " + firstLine(e.getMessage()), e);
            }
            return restored.read("summarising the restored database", BackupEngine::summary);
        }
    }

    // ---------------------------------------------------------------- restoring for real

    /** Where a restore goes: {@code to}, else {@code DATABASE_URL}, else the embedded SQLite file ({@code HUB_SQLITE_PATH}, or data/hub.db) as the hub would open it. */
    public static DatabaseUrl target(String to) {
        String raw = to != null ? to : java.util.Objects.requireNonNullElse(System.getenv("DATABASE_URL"), "");
        String file = java.util.Objects.requireNonNullElse(System.getenv("HUB_SQLITE_PATH"), "data/hub.db");
        return DatabaseUrl.parse(raw.trim(), file);
    }

    /** Whether the database at {@code url} holds any table (a restore must not overwrite it unless forced). */
    public static boolean hasTables(DatabaseUrl url) throws IOException {
        if (url.dialect() == Dialect.SQLITE && !Files.exists(url.sqliteFile())) {
            return false;
        }
        try (Connection c = connect(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(url.dialect() == Dialect.SQLITE
                     ? "select count(*) from sqlite_master where type = 'table' and name not like 'sqlite_%'"
                     : "select count(*) from information_schema.tables where table_schema = 'public'")) {
            rs.next();
            return rs.getLong(1) > 0;
        } catch (SQLException e) {
            throw new IOException("cannot open the target database " + url + ": " + e.getMessage(), e);
        }
    }

    /**
     * Restores {@code file} (a backup of {@code kind}) into the database at {@code url}, which the
     * caller has checked is empty or was told to overwrite; then migrations check and summary.
     */
    public static Summary restore(Path file, String kind, DatabaseUrl url, Path pgBinDir) throws IOException {
        String target = url.dialect().name().toLowerCase(Locale.ROOT);
        if (!target.equals(kind)) {
            throw new IOException("this is a " + kind + " backup and the target is a " + target + " database");
        }
        if (url.dialect() == Dialect.SQLITE) {
            Path dest = url.sqliteFile().toAbsolutePath();
            Files.createDirectories(dest.getParent());
            Path tmp = Files.createTempFile(dest.getParent(), ".restore-", ".db");
            try {
                decompress(file, tmp);
                Files.deleteIfExists(Path.of(dest + "-wal"));
                Files.deleteIfExists(Path.of(dest + "-shm"));
                Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } else {
            new BackupEngine(null, pgBinDir, null).pgRestore(file, url, true);
        }
        return migrationsCheckAndSummary(url);
    }

    // ---------------------------------------------------------------- the summary

    /** Row counts of every hub table and a SHA-256 over every row of the key tables, in id order. */
    static Summary summary(Connection c) throws SQLException {
        boolean sqlite = c.getMetaData().getURL().startsWith("jdbc:sqlite:");
        List<String> tables = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sqlite
                ? "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name"
                : "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        Map<String, Long> counts = new TreeMap<>();
        for (String t : tables) {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from \"" + t.replace("\"", "\"\"") + "\"")) {
                rs.next();
                counts.put(t, rs.getLong(1));
            }
        }
        Map<String, String> sums = new LinkedHashMap<>();
        for (String t : KEY_TABLES) {
            if (tables.contains(t)) {
                sums.put(t, tableHash(c, t));
            }
        }
        String version = null;
        if (tables.contains("flyway_schema_history")) {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "select version from flyway_schema_history where success and version is not null order by installed_rank desc limit 1")) {
                version = rs.next() ? rs.getString(1) : null;
            }
        }
        return new Summary(version, counts, sums);
    }

    private static String tableHash(Connection c, String table) throws SQLException {
        MessageDigest sha = sha256();
        try (PreparedStatement ps = c.prepareStatement("select * from " + table + " order by id")) {
            ps.setFetchSize(2000);
            try (ResultSet rs = ps.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    for (int i = 1; i <= n; i++) {
                        String v = rs.getString(i);
                        sha.update((v == null ? "\u0000" : v).getBytes(StandardCharsets.UTF_8));
                        sha.update((byte) 0x1f);
                    }
                    sha.update((byte) '\n');
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String integrityCheck(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("pragma integrity_check")) {
            StringBuilder out = new StringBuilder();
            while (rs.next()) {
                out.append(out.length() == 0 ? "" : "; ").append(rs.getString(1));
            }
            return out.toString();
        }
    }

    // ---------------------------------------------------------------- pg_dump / pg_restore

    private void pgRestore(Path file, DatabaseUrl url, boolean clean) throws IOException {
        Path tool;
        try (Connection c = connect(url)) {
            tool = pgTool(c, "pg_restore");
            if (clean) {
                try (Statement s = c.createStatement()) {
                    s.execute("drop schema if exists public cascade");
                    s.execute("create schema public");
                }
            }
        } catch (SQLException e) {
            throw new IOException("cannot open the database to restore into (" + url + "): " + e.getMessage(), e);
        }
        List<String> cmd = List.of(tool.toString(), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                "--dbname=" + libpqUri(url.jdbcUrl()), file.toAbsolutePath().toString());
        finish(start(cmd, url), "pg_restore", TimeUnit.HOURS.toMillis(6));
    }

    private static final Pattern TOOL_VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)");

    /** pg_dump or pg_restore of the server's major version: the configured folder, the server's folder, then the PATH. */
    private Path pgTool(Connection c, String name) throws SQLException, IOException {
        int major;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("show server_version_num")) {
            rs.next();
            major = Integer.parseInt(rs.getString(1).trim()) / 10000;
        }
        List<Path> candidates = new ArrayList<>();
        if (pgBinDir != null) {
            candidates.add(pgBinDir.resolve(name)); // configured: only there
        } else {
            candidates.add(Path.of("/usr/lib/postgresql/" + major + "/bin/" + name));
            for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                if (!dir.isBlank()) {
                    candidates.add(Path.of(dir, name));
                }
            }
        }
        List<String> seen = new ArrayList<>();
        for (Path p : candidates) {
            if (!Files.isExecutable(p)) {
                continue;
            }
            String v = toolVersion(p);
            Matcher m = TOOL_VERSION.matcher(v);
            if (m.find() && Integer.parseInt(m.group(1)) == major) {
                return p;
            }
            seen.add(p + " is " + v.trim());
        }
        throw new IOException("no " + name + " of PostgreSQL " + major + " (the server's major version) found"
                + (pgBinDir != null ? " in hub.backups.pg-bin-dir " + pgBinDir : " in /usr/lib/postgresql/" + major + "/bin or on the PATH")
                + (seen.isEmpty() ? "" : " (" + String.join("; ", seen) + ")") + ": install postgresql-client-" + major
                + " or set hub.backups.pg-bin-dir");
    }

    private static String toolVersion(Path tool) throws IOException {
        Process p = new ProcessBuilder(tool.toString(), "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out.trim();
    }

    private static Process start(List<String> cmd, DatabaseUrl url) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (url.user() != null) {
            pb.environment().put("PGUSER", url.user());
        }
        if (url.password() != null) {
            pb.environment().put("PGPASSWORD", url.password()); // never on the command line
        }
        return pb.start();
    }

    private static void finish(Process p, String what, long timeoutMs) throws IOException {
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readNBytes(64 * 1024);
            in.transferTo(OutputStream.nullOutputStream());
        }
        try {
            if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(what + " did not finish within " + timeoutMs / 1000 + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(what + " interrupted");
        }
        if (p.exitValue() != 0) {
            throw new IOException(what + " failed (exit " + p.exitValue() + "): " + firstLine(new String(out, StandardCharsets.UTF_8)));
        }
    }

    /** A libpq connection URI from a JDBC URL (host, port, database, sslmode; user and password go by environment). */
    static String libpqUri(String jdbcUrl) {
        String u = jdbcUrl.startsWith("jdbc:") ? jdbcUrl.substring(5) : jdbcUrl;
        int q = u.indexOf('?');
        String base = q < 0 ? u : u.substring(0, q);
        String ssl = null;
        if (q >= 0) {
            for (String pair : u.substring(q + 1).split("&")) {
                if (pair.toLowerCase(Locale.ROOT).startsWith("sslmode=")) {
                    ssl = pair;
                }
            }
        }
        return base + (ssl == null ? "" : "?" + ssl);
    }

    private static String withDatabase(String jdbcUrl, String database) {
        int q = jdbcUrl.indexOf('?');
        String base = q < 0 ? jdbcUrl : jdbcUrl.substring(0, q);
        int slash = base.indexOf('/', "jdbc:postgresql://".length());
        return base.substring(0, slash + 1) + database + (q < 0 ? "" : jdbcUrl.substring(q));
    }

    private static Connection connect(DatabaseUrl url) throws SQLException {
        Properties p = new Properties();
        if (url.user() != null) {
            p.setProperty("user", url.user());
        }
        if (url.password() != null) {
            p.setProperty("password", url.password());
        }
        return DriverManager.getConnection(url.jdbcUrl(), p);
    }

    private static void decompress(Path gz, Path to) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz), 1 << 16); OutputStream out = Files.newOutputStream(to)) {
            in.transferTo(out);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IOException("the backup is not a complete gzip file: " + e.getMessage(), e);
        }
    }

    private static String sqliteVersion() {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select sqlite_version()")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            return "?";
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }
}
