package uk.bookinghub.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Where the database is, parsed from {@code DATABASE_URL}.
 *
 * <p>Accepted forms: empty (the embedded SQLite file), {@code jdbc:sqlite:path},
 * {@code jdbc:postgresql://host:port/db?...} and the URL that hosting platforms hand out,
 * {@code postgres://user:pass@host:port/db?sslmode=require} (or {@code postgresql://}). Query
 * parameters such as {@code sslmode} are kept. {@link #toString()} never shows the password.
 */
public record DatabaseUrl(Dialect dialect, String jdbcUrl, String user, String password) {

    /** A database URL that cannot be used; the message says why, without the password. */
    public static final class InvalidDatabaseUrlException extends IllegalArgumentException {
        InvalidDatabaseUrlException(String message) {
            super(message);
        }
    }

    public static DatabaseUrl parse(String raw, String defaultSqlitePath) {
        String url = raw == null ? "" : raw.trim();
        if (url.isEmpty()) {
            return sqlite(defaultSqlitePath);
        }
        if (url.startsWith("jdbc:sqlite:")) {
            String path = url.substring("jdbc:sqlite:".length());
            if (path.isBlank()) {
                throw new InvalidDatabaseUrlException("jdbc:sqlite: URL has no file path");
            }
            return sqlite(path);
        }
        if (url.startsWith("jdbc:postgresql:")) {
            String rest = url.substring("jdbc:postgresql:".length());
            if (!rest.startsWith("//") || rest.length() <= 2) {
                throw new InvalidDatabaseUrlException("jdbc:postgresql URL must look like jdbc:postgresql://host:port/database");
            }
            URI uri = uri("postgresql:" + rest);
            checkPort(uri, "jdbc:postgresql://host:port/database");
            if (uri.getHost() == null) {
                throw new InvalidDatabaseUrlException("jdbc:postgresql URL has no host");
            }
            return new DatabaseUrl(Dialect.POSTGRESQL, url, null, null);
        }
        if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
            URI uri = uri(url);
            checkPort(uri, "postgres://user:pass@host:port/database");
            if (uri.getHost() == null || uri.getHost().isBlank()) {
                throw new InvalidDatabaseUrlException("database URL has no host (expected postgres://user:pass@host:port/database)");
            }
            String path = uri.getRawPath() == null ? "" : uri.getRawPath();
            if (path.length() <= 1) {
                throw new InvalidDatabaseUrlException("database URL names no database (expected postgres://user:pass@host:port/database)");
            }
            String user = null;
            String password = null;
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null && !userInfo.isEmpty()) {
                int colon = userInfo.indexOf(':');
                user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
                password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
            }
            int port = uri.getPort() < 0 ? 5432 : uri.getPort();
            String host = uri.getHost().contains(":") && !uri.getHost().startsWith("[") ? "[" + uri.getHost() + "]" : uri.getHost();
            StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(host).append(':').append(port).append(path);
            if (uri.getRawQuery() != null && !uri.getRawQuery().isEmpty()) {
                jdbc.append('?').append(uri.getRawQuery());
            }
            return new DatabaseUrl(Dialect.POSTGRESQL, jdbc.toString(), user, password);
        }
        String scheme = url.contains(":") ? url.substring(0, url.indexOf(':')) : url;
        throw new InvalidDatabaseUrlException("unsupported database URL scheme '" + mask(scheme)
                + "' (use postgres://user:pass@host:port/db, jdbc:postgresql://..., jdbc:sqlite:path, or leave DATABASE_URL empty for SQLite)");
    }

    /**
     * A port that is not a number makes {@link URI} drop the host (it then reads the authority as a
     * registry name), which would be reported as "no host": name the port instead. Never shows the user part.
     */
    private static void checkPort(URI uri, String expected) {
        String authority = uri.getRawAuthority();
        if (authority == null) {
            return;
        }
        String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
        int close = hostPort.lastIndexOf(']');
        int colon = hostPort.indexOf(':', close < 0 ? 0 : close);
        if (colon < 0) {
            return;
        }
        String port = hostPort.substring(colon + 1);
        if (port.isEmpty()) {
            throw new InvalidDatabaseUrlException("database URL has an empty port after the host (expected " + expected + ")");
        }
        if (!port.chars().allMatch(Character::isDigit) || port.length() > 5 || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw new InvalidDatabaseUrlException("database URL port '" + mask(port) + "' is not a port number 1-65535 (expected " + expected + ")");
        }
    }

    private static DatabaseUrl sqlite(String path) {
        return new DatabaseUrl(Dialect.SQLITE, "jdbc:sqlite:" + path, null, null);
    }

    /** The SQLite file, for SQLite URLs. */
    public Path sqliteFile() {
        return dialect == Dialect.SQLITE ? Path.of(jdbcUrl.substring("jdbc:sqlite:".length())) : null;
    }

    private static URI uri(String s) {
        try {
            return new URI(s);
        } catch (URISyntaxException e) {
            throw new InvalidDatabaseUrlException("database URL is malformed at index " + e.getIndex() + ": " + e.getReason());
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static String mask(String s) {
        return s.length() > 20 ? s.substring(0, 20) + "..." : s;
    }

    /** For logs: the JDBC URL with any password parameter hidden, and the user. */
    @Override
    public String toString() {
        String shown = jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
        return shown + (user == null ? "" : " (user " + user + ")");
    }
}
