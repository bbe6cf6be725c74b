package uk.bookinghub.analytics;

import uk.bookinghub.support.TestDatabase;

class WeeklyReportRouteSqliteTest extends WeeklyReportRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
