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
 * SQL lives in store classes, one per group of tables: JDBC statement work (preparing, running or
 * batching a statement) appears only in a class whose simple name ends with {@code Store} or in
 * {@code uk.bookinghub.store}. Every other class asks its table group's store.
 */
class SqlInStoresTest {

    private static final Path SOURCES = Path.of("src/main/java/uk/bookinghub");

    /** Looked for in code with comments and string literals removed (a comment or a message may name them). */
    private static final Pattern STATEMENT_WORK = Pattern.compile(
            "\\b(prepareStatement|createStatement|prepareCall|executeQuery|executeUpdate|executeBatch|addBatch)\\b");

    @Test
    void onlyStoresPrepareAndRunStatements() throws Exception {
        List<String> leaks = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java") && !isStore(p)).sorted().toList()) {
                leaks.addAll(leaks(f, Files.readString(f)));
            }
        }
        assertThat(leaks).as("move the SQL into the store of its tables (a class named *Store)").isEmpty();
    }

    @Test
    void theCheckFindsALeak() {
        String sample = """
                // a comment may say c.prepareStatement(sql)
                try (PreparedStatement ps = c.prepareStatement("select 1")) {
                    ps.executeUpdate(); /* or executeQuery() */
                    ps.addBatch();
                }
                String words = "executeQuery in a message is not a call";
                java.util.function.Function<String, Object> f = c::prepareStatement;
                c.createStatement().executeBatch();
                """;
        assertThat(leaks(Path.of("Sample.java"), sample)).extracting(l -> l.substring(0, l.indexOf(": ")))
                .containsExactly("Sample.java:2", "Sample.java:3", "Sample.java:4", "Sample.java:7", "Sample.java:8");
    }

    @Test
    void aStoreIsNamedSoOrLivesInTheStorePackage() {
        assertThat(isStore(SOURCES.resolve("messaging/OutboxStore.java"))).isTrue();
        assertThat(isStore(SOURCES.resolve("store/ListQuery.java"))).isTrue();
        assertThat(isStore(SOURCES.resolve("messaging/Outbox.java"))).isFalse();
        assertThat(isStore(SOURCES.resolve("messaging/StoreHelper.java"))).isFalse();
        assertThat(isStore(SOURCES.resolve("restore/Backup.java"))).isFalse();
    }

    private static boolean isStore(Path file) {
        return file.startsWith(SOURCES.resolve("store")) || file.getFileName().toString().endsWith("Store.java");
    }

    private static List<String> leaks(Path file, String source) {
        List<String> out = new ArrayList<>();
        String[] lines = DialectSeamTest.withoutComments(source).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = STATEMENT_WORK.matcher(DialectSeamTest.withoutStrings(lines[i]));
            if (m.find()) {
                out.add(file + ":" + (i + 1) + ": " + m.group() + "  ->  " + lines[i].strip());
            }
        }
        return out;
    }
}
