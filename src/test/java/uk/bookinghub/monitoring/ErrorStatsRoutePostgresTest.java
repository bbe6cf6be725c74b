package uk.bookinghub.monitoring;

import uk.bookinghub.support.TestDatabase;

class ErrorStatsRoutePostgresTest extends ErrorStatsRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
