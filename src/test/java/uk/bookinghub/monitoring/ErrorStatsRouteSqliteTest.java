package uk.bookinghub.monitoring;

import uk.bookinghub.support.TestDatabase;

class ErrorStatsRouteSqliteTest extends ErrorStatsRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
