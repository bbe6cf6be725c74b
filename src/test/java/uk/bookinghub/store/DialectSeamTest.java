package uk.bookinghub.store;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Dialect} is the one place where SQLite and PostgreSQL differ: no class outside
 * {@code uk.bookinghub.store} names a database type, reads a driver's error state or code, matches
 * a driver's error text, or writes SQL only one of the two accepts ({@code skip locked},
 * {@code for key share}, {@code synchronous_commit}). It asks {@code Dialect} instead.
 */
class DialectSeamTest {

    private static final Path SOURCES = Path.of("src/main/java/uk/bookinghub");
    private static final Path SEAM = SOURCES.resolve("store");

    /** Looked for in code with comments removed, string literals kept (SQL and error text live in strings). */
    private static final Pattern IN_CODE = Pattern.compile(
            "getSQLState\\s*\\(|getErrorCode\\s*\\(|\"2\\d{4}\"|SQLITE_[A-Z]|constraint failed|skip locked|for key share|synchronous_commit",
            Pattern.CASE_INSENSITIVE);
    /** Looked for in code with comments and string literals removed: the dialects by name. */
    private static final Pattern NAMES = Pattern.compile("\\b(POSTGRESQL|SQLITE)\\b|\\.dialect\\(\\)\\s*[!=]=|org\\.sqlite|org\\.postgresql");

    @Test
    void onlyTheStorePackageKnowsWhichDatabaseItIs() throws Exception {
        List<String> leaks = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java") && !p.startsWith(SEAM)).sorted().toList()) {
                String code = withoutComments(Files.readString(f));
                String[] lines = code.split("\n", -1);
                for (int i = 0; i < lines.length; i++) {
                    find(IN_CODE, lines[i], f, i, leaks);
                    find(NAMES, withoutStrings(lines[i]), f, i, leaks);
                }
            }
        }
        assertThat(leaks).as("ask uk.bookinghub.store.Dialect instead").isEmpty();
    }

    @Test
    void theCheckFindsALeak() {
        List<String> leaks = new ArrayList<>();
        String sample = withoutComments("""
                // a comment may say SQLITE_BUSY
                boolean pg = db.dialect() == Dialect.POSTGRESQL; /* POSTGRESQL */
                String lock = " for update skip locked";
                if ("23505".equals(e.getSQLState())) {}
                if (m.contains("UNIQUE constraint failed")) {}
                String where = "a setting about sqlite"; // in a string: not a name
                """);
        String[] lines = sample.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            find(IN_CODE, lines[i], Path.of("Sample.java"), i, leaks);
            find(NAMES, withoutStrings(lines[i]), Path.of("Sample.java"), i, leaks);
        }
        assertThat(leaks).extracting(l -> l.substring(0, l.indexOf(": ")))
                .containsExactly("Sample.java:2", "Sample.java:3", "Sample.java:4", "Sample.java:5");
    }

    private static void find(Pattern p, String line, Path file, int index, List<String> leaks) {
        Matcher m = p.matcher(line);
        if (m.find()) {
            leaks.add(file + ":" + (index + 1) + ": " + m.group() + "  ->  " + line.strip());
        }
    }

    /** The source with comments blanked (line breaks kept, so line numbers hold); strings and text blocks left alone. */
    static String withoutComments(String src) {
        StringBuilder out = new StringBuilder(src.length());
        int i = 0;
        while (i < src.length()) {
            char c = src.charAt(i);
            if (src.startsWith("\"\"\"", i)) {
                int end = src.indexOf("\"\"\"", i + 3);
                end = end < 0 ? src.length() : end + 3;
                out.append(src, i, end);
                i = end;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < src.length() && src.charAt(j) != c && src.charAt(j) != '\n') {
                    j += src.charAt(j) == '\\' ? 2 : 1;
                }
                j = Math.min(src.length(), j + 1);
                out.append(src, i, j);
                i = j;
            } else if (src.startsWith("//", i)) {
                while (i < src.length() && src.charAt(i) != '\n') {
                    i++;
                }
            } else if (src.startsWith("/*", i)) {
                int end = src.indexOf("*/", i + 2);
                end = end < 0 ? src.length() : end + 2;
                src.substring(i, end).chars().filter(ch -> ch == '\n').forEach(ch -> out.append('\n'));
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** One line with its string literals emptied. */
    static String withoutStrings(String line) {
        return line.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
    }
}
