package uk.bookinghub.store;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** DATABASE_URL in every form a newcomer or a hosting platform hands us; a bad one says why without the password. */
class DatabaseUrlTest {

    @Test
    void emptyMeansTheEmbeddedSqliteFile() {
        DatabaseUrl u = DatabaseUrl.parse("", "data/hub.db");
        assertThat(u.dialect()).isEqualTo(Dialect.SQLITE);
        assertThat(u.jdbcUrl()).isEqualTo("jdbc:sqlite:data/hub.db");
        assertThat(DatabaseUrl.parse(null, "x.db").jdbcUrl()).isEqualTo("jdbc:sqlite:x.db");
        assertThat(DatabaseUrl.parse("jdbc:sqlite:/tmp/a.db", "x").sqliteFile().toString()).isEqualTo("/tmp/a.db");
    }

    @Test
    void hostingPlatformFormBecomesJdbcWithCredentialsAndSslmodeKept() {
        DatabaseUrl u = DatabaseUrl.parse("postgres://hub:s%40cret@db.example.com:6543/bookings?sslmode=require", "x");
        assertThat(u.dialect()).isEqualTo(Dialect.POSTGRESQL);
        assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example.com:6543/bookings?sslmode=require");
        assertThat(u.user()).isEqualTo("hub");
        assertThat(u.password()).isEqualTo("s@cret");
        assertThat(u.toString()).doesNotContain("s@cret").doesNotContain("s%40cret");
    }

    @Test
    void postgresqlSchemeAndDefaultPortAndNoPassword() {
        DatabaseUrl u = DatabaseUrl.parse("postgresql://postgres@127.0.0.1/test", "x");
        assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/test");
        assertThat(u.user()).isEqualTo("postgres");
        assertThat(u.password()).isNull();
    }

    @Test
    void jdbcPostgresqlIsUsedAsGivenAndItsPasswordIsMaskedInLogs() {
        DatabaseUrl u = DatabaseUrl.parse("jdbc:postgresql://h:5432/db?user=a&password=topsecret&sslmode=verify-full", "x");
        assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/db?user=a&password=topsecret&sslmode=verify-full");
        assertThat(u.toString()).doesNotContain("topsecret").contains("sslmode=verify-full");
    }

    @Test
    void badUrlsSayWhatIsWrong() {
        assertThatThrownBy(() -> DatabaseUrl.parse("mysql://u:p@h/db", "x")).hasMessageContaining("unsupported database URL scheme 'mysql'");
        assertThatThrownBy(() -> DatabaseUrl.parse("postgres://user:pw@/db", "x")).hasMessageContaining("no host").hasMessageNotContaining("pw");
        assertThatThrownBy(() -> DatabaseUrl.parse("postgres://user:pw@host:5432", "x")).hasMessageContaining("names no database");
        assertThatThrownBy(() -> DatabaseUrl.parse("postgres://us er:pw@host/db", "x")).hasMessageContaining("malformed");
        assertThatThrownBy(() -> DatabaseUrl.parse("jdbc:postgresql:db", "x")).hasMessageContaining("jdbc:postgresql://host:port/database");
        assertThatThrownBy(() -> DatabaseUrl.parse("jdbc:sqlite:", "x")).hasMessageContaining("no file path");
    }

    @Test
    void aPortThatIsNotANumberIsNamedAsThePortNotAsAMissingHost() {
        assertThatThrownBy(() -> DatabaseUrl.parse("postgres://u@host:notaport/db", "x"))
                .hasMessage("database URL port 'notaport' is not a port number 1-65535 (expected postgres://user:pass@host:port/database)");
        assertThatThrownBy(() -> DatabaseUrl.parse("postgres://u:secret@host:99999/db", "x")).hasMessageContaining("port '99999'").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://u:secret@host:/db", "x")).hasMessageContaining("empty port").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> DatabaseUrl.parse("jdbc:postgresql://host:5x/db", "x"))
                .hasMessageContaining("port '5x'").hasMessageContaining("jdbc:postgresql://host:port/database");
        assertThat(DatabaseUrl.parse("postgres://u:p@[::1]:6543/db", "x").jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:6543/db");
    }
}
