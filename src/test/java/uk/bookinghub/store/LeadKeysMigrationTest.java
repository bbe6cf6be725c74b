package uk.bookinghub.store;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import uk.bookinghub.leads.LeadKeys;
import uk.bookinghub.support.TestDatabase;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * V8 turns leads.dedupe_key (text) into leads.dedupe_no (bigint) on a database that already holds
 * leads: valid numbers keep their E.164 digits, invalid rows get the digest the importer computes
 * (so re-importing them still stores nothing), the unique index holds, and on PostgreSQL a client
 * with leads cannot be deleted (the guard that replaces the foreign key).
 */
class LeadKeysMigrationTest {

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void existingLeadsGetTheirNumbers(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase tdb = TestDatabase.create(kind)) {
            boolean pg = kind == TestDatabase.Kind.POSTGRESQL;
            String location = pg ? "classpath:db/postgresql" : "classpath:db/sqlite";
            String url = pg ? "jdbc:postgresql://" + TestDatabase.PG_HOST + ":" + TestDatabase.PG_PORT + "/" + tdb.hubUrl().substring(tdb.hubUrl().lastIndexOf('/') + 1)
                    : tdb.hubUrl();
            Flyway before = Flyway.configure().dataSource(url, pg ? TestDatabase.PG_USER : null, null).locations(location).target(pg ? "7" : "6").load();
            before.migrate();
            try (Connection c = tdb.connect(); Statement s = c.createStatement()) {
                s.execute("insert into clients (id, client_key, business_name) values (1, 'a', 'A'), (2, 'b', 'B')");
                String now = pg ? "now()" : "'2026-11-25T00:00:00Z'";
                s.execute("insert into leads (client_id, dedupe_key, phone_e164, status, created_at, updated_at) values "
                        + "(1, '+447700900123', '+447700900123', 'new', " + now + ", " + now + "), "
                        + "(2, '+447700900123', '+447700900123', 'new', " + now + ", " + now + "), "
                        + "(1, 'invalid:07700 12|Ann|ann@x.example', null, 'invalid', " + now + ", " + now + "), "
                        + "(1, 'invalid:||', null, 'invalid', " + now + ", " + now + ")");
            }
            int applied = Flyway.configure().dataSource(url, pg ? TestDatabase.PG_USER : null, null).locations(location).target("8").load().migrate().migrationsExecuted;
            assertThat(applied).isEqualTo(1);
            try (Connection c = tdb.connect(); Statement s = c.createStatement()) {
                Map<String, Long> got = new HashMap<>();
                try (ResultSet rs = s.executeQuery("select client_id, coalesce(phone_e164, status_reason, 'row' || id), dedupe_no from leads order by id")) {
                    int i = 0;
                    while (rs.next()) {
                        got.put(rs.getLong(1) + ":" + (i++), rs.getLong(3));
                    }
                }
                assertThat(got).containsEntry("1:0", 447700900123L).containsEntry("2:1", 447700900123L)
                        .containsEntry("1:2", LeadKeys.ofInvalid("07700 12|Ann|ann@x.example"))
                        .containsEntry("1:3", LeadKeys.ofInvalid("||"));
                assertThat(got.get("1:2")).isNegative();
                assertThatThrownBy(() -> s.execute("insert into leads (client_id, dedupe_no, status, created_at, updated_at) values (1, 447700900123, 'new', "
                        + (pg ? "now(), now()" : "'x', 'x'") + ")"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("dedupe_no");
                try (ResultSet rs = s.executeQuery(pg ? "select count(*) from information_schema.columns where table_name = 'leads' and column_name = 'dedupe_key'"
                        : "select count(*) from pragma_table_info('leads') where name = 'dedupe_key'")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("dedupe_key dropped").isZero();
                }
                if (pg) {
                    assertThatThrownBy(() -> s.execute("delete from clients where id = 1"))
                            .isInstanceOf(SQLException.class).hasMessageContaining("still has leads");
                    s.execute("insert into clients (id, client_key, business_name) values (3, 'c', 'C')");
                    assertThat(s.executeUpdate("delete from clients where id = 3")).as("a client without leads can go").isEqualTo(1);
                }
            }
        }
    }
}
