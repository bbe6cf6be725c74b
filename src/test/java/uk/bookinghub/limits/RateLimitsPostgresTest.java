package uk.bookinghub.limits;

import org.junit.jupiter.api.Test;

import uk.bookinghub.support.Jsons;
import uk.bookinghub.support.TestDatabase;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/** The rate limits on PostgreSQL (buckets in rate_limit_buckets), and a limiter that cannot be read refusing clients (fail closed). */
class RateLimitsPostgresTest extends RateLimitsTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }

    @Test
    void aLimiterThatCannotBeReadRefusesClientsWith503NeverLetsThemThrough() throws Exception {
        String key = onboard(null);
        assertThat(me(key).statusCode()).isEqualTo(200);
        assertThat(count("select count(*) from rate_limit_buckets where id like 'client:%'")).isPositive();
        rename("rate_limit_buckets", "rate_limit_buckets_away");
        try {
            HttpResponse<String> refused = me(key);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(Jsons.read(refused.body()).get("error").asText()).contains("rate limiter cannot be read").contains("not let through");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        } finally {
            rename("rate_limit_buckets_away", "rate_limit_buckets");
        }
        assertThat(me(key).statusCode()).isEqualTo(200);
    }

    private void rename(String from, String to) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("alter table " + from + " rename to " + to);
        }
    }
}
