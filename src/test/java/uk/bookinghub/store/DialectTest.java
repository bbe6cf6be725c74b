package uk.bookinghub.store;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import uk.bookinghub.support.TestDatabase;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Each answer {@link Dialect} gives is SQL (or a reading of an error) that the real database
 * accepts and that does what the stores rely on: on SQLite and on PostgreSQL.
 */
class DialectTest {

    private static final String TABLE = "create table t (id integer primary key, flag boolean not null, name text not null unique)";

    /** A batch's keys bound as one parameter come back as a table of the same strings, whatever they contain. */
    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void textsBoundAsOneParameterReadAsATable(TestDatabase.Kind kind) throws Exception {
        List<String> values = List.of("call-1", "q\"uote", "back\\slash", "tab\tand\nline", "ünïcødé 😀", "", "call-1");
        try (TestDatabase tdb = TestDatabase.create(kind); Database db = open(tdb)) {
            Dialect d = db.dialect();
            List<String> read = db.read("texts", c -> {
                List<String> out = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("select v.id from " + d.textsAsTable("v"))) {
                    d.bindTexts(c, ps, 1, values);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.add(rs.getString(1));
                        }
                    }
                }
                return out;
            });
            assertThat(read).containsExactlyInAnyOrderElementsOf(values);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void booleansInSqlTextMatchBoundBooleans(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase tdb = TestDatabase.create(kind); Database db = open(tdb)) {
            Dialect d = db.dialect();
            exec(db, TABLE);
            db.inTransaction("rows", c -> {
                try (PreparedStatement ps = c.prepareStatement("insert into t (id, flag, name) values (?, ?, ?)")) {
                    for (int i = 1; i <= 3; i++) {
                        ps.setInt(1, i);
                        ps.setBoolean(2, i != 2);
                        ps.setString(3, "n" + i);
                        ps.executeUpdate();
                    }
                }
                return null;
            });
            assertThat(count(db, "select count(*) from t where flag = " + d.bool(true))).isEqualTo(2);
            assertThat(count(db, "select count(*) from t where flag = " + d.bool(false))).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void aSecondClaimSkipsTheRowsTheFirstHolds(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase tdb = TestDatabase.create(kind); Database db = open(tdb)) {
            Dialect d = db.dialect();
            exec(db, TABLE);
            exec(db, "insert into t (id, flag, name) values (1, " + d.bool(true) + ", 'a'), (2, " + d.bool(true) + ", 'b')");
            String claim = "update t set name = name || '+' where id in (select id from t order by id limit 1" + d.skipLocked() + ") returning id";
            try (Connection first = db.dataSource().getConnection()) {
                first.setAutoCommit(false);
                assertThat(ids(first, claim)).containsExactly(1L);
                if (d.sharedByInstances()) {
                    // PostgreSQL: another instance's claim, while the first is open, takes the next row
                    try (Connection second = db.dataSource().getConnection()) {
                        second.setAutoCommit(false);
                        assertThat(ids(second, claim)).containsExactly(2L);
                        second.commit();
                    }
                } else {
                    assertThat(d.skipLocked()).isEmpty(); // SQLite: one writer; a second claim waits for the first
                }
                first.commit();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void aReferencedRowIsLockedAndAMissingOneFailsLikeAForeignKey(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase tdb = TestDatabase.create(kind); Database db = open(tdb)) {
            Dialect d = db.dialect();
            exec(db, TABLE);
            exec(db, "insert into t (id, flag, name) values (1, " + d.bool(true) + ", 'a')");
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                d.lockReferenced(c, "t", 1, "row");
                if (d == Dialect.POSTGRESQL) {
                    try (Connection other = db.dataSource().getConnection(); Statement s = other.createStatement()) {
                        s.execute("set lock_timeout = '300ms'");
                        assertThatThrownBy(() -> s.execute("delete from t where id = 1")).isInstanceOf(SQLException.class)
                                .hasMessageContaining("lock");
                    }
                    Throwable missing = catchThrowable(() -> d.lockReferenced(c, "t", 99, "row"));
                    assertThat(missing).isInstanceOf(SQLException.class).hasMessage("row 99 does not exist");
                    assertThat(((SQLException) missing).getSQLState()).isEqualTo("23503");
                } else {
                    d.lockReferenced(c, "no_such_table", 99, "row"); // SQLite: nothing to do, not even a query
                }
                c.rollback();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void aRelaxedCommitAppliesToItsTransactionOnly(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase tdb = TestDatabase.create(kind); Database db = open(tdb)) {
            Dialect d = db.dialect();
            db.inTransaction("relaxed", c -> {
                d.relaxCommit(c);
                if (d == Dialect.POSTGRESQL) {
                    assertThat(show(c)).isEqualTo("off");
                }
                return null;
            });
            if (d == Dialect.POSTGRESQL) {
                assertThat(db.read("after", DialectTest::show)).isEqualTo("on");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void onlyADuplicateKeyIsAUniqueViolation(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase tdb = TestDatabase.create(kind); Database db = open(tdb)) {
            Dialect d = db.dialect();
            exec(db, TABLE);
            exec(db, "insert into t (id, flag, name) values (1, " + d.bool(true) + ", 'a')");
            Throwable primaryKey = catchThrowable(() -> exec(db, "insert into t (id, flag, name) values (1, " + d.bool(true) + ", 'b')"));
            Throwable unique = catchThrowable(() -> exec(db, "insert into t (id, flag, name) values (2, " + d.bool(true) + ", 'a')"));
            Throwable notNull = catchThrowable(() -> exec(db, "insert into t (id, flag, name) values (3, " + d.bool(true) + ", null)"));
            Throwable badSql = catchThrowable(() -> exec(db, "insert into no_such_table values (1)"));
            Throwable batch = catchThrowable(() -> db.inTransaction("batch", c -> {
                try (PreparedStatement ps = c.prepareStatement("insert into t (id, flag, name) values (?, " + d.bool(false) + ", ?)")) {
                    for (int i = 10; i <= 11; i++) {
                        ps.setInt(1, i);
                        ps.setString(2, "same");
                        ps.addBatch();
                    }
                    return ps.executeBatch();
                }
            }));
            assertThat(List.of(primaryKey, unique, batch)).allSatisfy(e -> assertThat(Dialect.isUniqueViolation(e)).as(String.valueOf(e)).isTrue());
            assertThat(List.of(notNull, badSql)).allSatisfy(e -> assertThat(e).isNotNull())
                    .allSatisfy(e -> assertThat(Dialect.isUniqueViolation(e)).as(String.valueOf(e)).isFalse());
            assertThat(Dialect.isUniqueViolation(new RuntimeException("UNIQUE constraint failed"))).as("only a driver's SQLException counts").isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void rowsAreCopiedInWhereTheDatabaseHasCopy(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase tdb = TestDatabase.create(kind); Database db = open(tdb)) {
            Dialect d = db.dialect();
            exec(db, TABLE);
            byte[] rows = "1,t,a\n2,f,b\n".getBytes(StandardCharsets.UTF_8);
            String copy = "copy t (id, flag, name) from stdin with (format csv)";
            if (d.canCopyIn()) {
                db.inTransaction("copy", c -> {
                    d.copyIn(c, copy, rows, rows.length);
                    return null;
                });
                assertThat(count(db, "select count(*) from t where flag = " + d.bool(true))).isEqualTo(1);
                assertThat(count(db, "select count(*) from t")).isEqualTo(2);
                Throwable duplicate = catchThrowable(() -> db.inTransaction("copy again", c -> {
                    d.copyIn(c, copy, rows, rows.length);
                    return null;
                }));
                assertThat(Dialect.isUniqueViolation(duplicate)).isTrue();
            } else {
                assertThatThrownBy(() -> db.inTransaction("copy", c -> {
                    d.copyIn(c, copy, rows, rows.length);
                    return null;
                })).isInstanceOf(UnsupportedOperationException.class);
            }
            assertThat(d.canCopyIn()).isEqualTo(d.sharedByInstances()).isEqualTo(kind == TestDatabase.Kind.POSTGRESQL);
        }
    }

    private static Database open(TestDatabase tdb) {
        return Database.open(DatabaseUrl.parse(tdb.hubUrl(), null), 3, 5000);
    }

    private static void exec(Database db, String sql) {
        db.inTransaction("test", c -> {
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            }
            return null;
        });
    }

    private static long count(Database db, String sql) {
        return db.read("count", c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    private static List<Long> ids(Connection c, String sql) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    private static String show(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("show synchronous_commit")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
