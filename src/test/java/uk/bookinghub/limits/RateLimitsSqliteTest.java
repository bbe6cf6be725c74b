package uk.bookinghub.limits;

import uk.bookinghub.support.TestDatabase;

class RateLimitsSqliteTest extends RateLimitsTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
