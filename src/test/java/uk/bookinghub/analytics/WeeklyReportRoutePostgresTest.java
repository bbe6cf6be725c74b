package uk.bookinghub.analytics;

import uk.bookinghub.support.TestDatabase;

class WeeklyReportRoutePostgresTest extends WeeklyReportRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
