package uk.bookinghub.dashboard;

import uk.bookinghub.support.TestDatabase;

/** The client dashboard in a real browser, on SQLite. */
class DashboardSqliteTest extends DashboardTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
