package uk.bookinghub.store;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import uk.bookinghub.support.TestDatabase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Where a migration file lives (db/common for SQL both databases accept as it is, db/postgresql and
 * db/sqlite for what differs) is invisible to a deployed database: a database migrated with the
 * dialect folder alone (the layout before db/common) validates under {@link Database#migrate()}'s
 * locations and has nothing applied again; every version keeps the description, type and checksum
 * that deployed databases recorded; and no file sits byte-identical in both dialect folders (it
 * belongs in db/common).
 */
class MigrationLayoutTest {

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void aDatabaseMigratedBeforeTheCommonFolderValidatesAndGetsNothingAgain(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase tdb = TestDatabase.create(kind);
             Database db = Database.open(DatabaseUrl.parse(tdb.hubUrl(), null), 2, 5000)) {
            Flyway before = Flyway.configure().dataSource(db.dataSource()).locations("classpath:db/" + kind.name().toLowerCase()).target("8").load();
            int first = before.migrate().migrationsExecuted;
            assertThat(first).as("the per-dialect layout applied everything").isEqualTo(deployed(kind).size());

            int later = db.migrate(); // only the versions added since (V9 on), each once
            List<String> history = history(db.flyway());
            assertThat(history.subList(0, deployed(kind).size())).as("nothing applied again under the new locations").isEqualTo(deployed(kind));
            assertThat(later).isEqualTo(history.size() - deployed(kind).size());
            assertThat(db.migrate()).isZero();
            db.flyway().validate();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void aNewDatabaseRecordsWhatDeployedDatabasesRecorded(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase tdb = TestDatabase.create(kind);
             Database db = Database.open(DatabaseUrl.parse(tdb.hubUrl(), null), 2, 5000)) {
            int applied = db.migrate();
            List<String> history = history(db.flyway());
            assertThat(applied).isEqualTo(history.size());
            assertThat(history.subList(0, deployed(kind).size())).as("the versions deployed databases have, as they recorded them").isEqualTo(deployed(kind));
        }
    }

    /**
     * What makes db/common safe: Flyway checksums a file by its content, not its folder. A database
     * migrated from one folder validates, and gets nothing again, when the same file is found in
     * another; one edited byte is caught. (SQL migrations only: Java ones stay in their package.)
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void aFileMovedUnchangedToTheCommonFolderStillValidates(TestDatabase.Kind kind, @TempDir Path tmp) throws Exception {
        Path dialectFolder = Path.of("src/main/resources/db", kind.name().toLowerCase());
        Path old = Files.createDirectories(tmp.resolve("old"));
        Path common = Files.createDirectories(tmp.resolve("new/common"));
        Path own = Files.createDirectories(tmp.resolve("new/own"));
        String moved = "V1__foundation.sql";
        List<Path> sql;
        try (Stream<Path> files = Files.list(dialectFolder)) {
            sql = files.filter(f -> f.toString().endsWith(".sql")).sorted().toList();
        }
        for (Path f : sql) {
            Files.copy(f, old.resolve(f.getFileName()));
            Files.copy(f, (f.getFileName().toString().equals(moved) ? common : own).resolve(f.getFileName()));
        }
        try (TestDatabase tdb = TestDatabase.create(kind);
             Database db = Database.open(DatabaseUrl.parse(tdb.hubUrl(), null), 2, 5000)) {
            assertThat(Flyway.configure().dataSource(db.dataSource()).locations("filesystem:" + old).load().migrate().migrationsExecuted)
                    .isEqualTo(sql.size());
            Flyway moved0 = Flyway.configure().dataSource(db.dataSource()).locations("filesystem:" + common, "filesystem:" + own).load();
            moved0.validate();
            assertThat(moved0.migrate().migrationsExecuted).isZero();

            Files.writeString(common.resolve(moved), "\n-- edited\n", java.nio.file.StandardOpenOption.APPEND);
            Flyway edited = Flyway.configure().dataSource(db.dataSource()).locations("filesystem:" + common, "filesystem:" + own).load();
            assertThatThrownBy(edited::validate).hasMessageContaining("checksum mismatch");
        }
    }

    @Test
    void noMigrationIsTheSameFileInBothDialectFolders() throws Exception {
        Path root = Path.of("src/main/resources/db");
        List<String> twins = new ArrayList<>();
        try (Stream<Path> files = Files.list(root.resolve("sqlite"))) {
            for (Path f : files.toList()) {
                Path other = root.resolve("postgresql").resolve(f.getFileName());
                if (Files.exists(other) && Arrays.equals(Files.readAllBytes(f), Files.readAllBytes(other))) {
                    twins.add(f.getFileName().toString());
                }
            }
        }
        assertThat(twins).as("identical in db/sqlite and db/postgresql: move them to db/common").isEmpty();
    }

    /** version | description | type | checksum of each applied migration, in order. */
    private static List<String> history(Flyway flyway) {
        return Arrays.stream(flyway.info().applied()).map(MigrationLayoutTest::row).toList();
    }

    private static String row(MigrationInfo m) {
        return m.getVersion() + " | " + m.getDescription() + " | " + m.getType() + " | " + m.getChecksum();
    }

    /** What the schema history of a database deployed before db/common holds (the per-dialect layout of issue 11's start, up to V8). */
    private static List<String> deployed(TestDatabase.Kind kind) {
        return kind == TestDatabase.Kind.POSTGRESQL
                ? List.of("1 | foundation | SQL | 119391251", "2 | leads opt outs | SQL | 1773719211", "3 | messaging | SQL | 1377009265",
                        "4 | booking | SQL | 506779618", "5 | dialler | SQL | 1577140330", "6 | reminders follow ups | SQL | 1675400139",
                        "7 | quartz cluster | SQL | 1047880067", "8 | lead dedupe numbers | JDBC | null")
                : List.of("1 | foundation | SQL | 1547648074", "2 | leads opt outs | SQL | 444151835", "3 | messaging | SQL | 1570104705",
                        "4 | booking | SQL | 1027894551", "5 | dialler | SQL | 259044539", "6 | reminders follow ups | SQL | 120266223",
                        "8 | lead dedupe numbers | JDBC | null");
    }
}
