package uk.bookinghub.dashboard;

import uk.bookinghub.support.TestDatabase;

/** The client dashboard in a real browser, on PostgreSQL (the events reach the page by LISTEN/NOTIFY). */
class DashboardPostgresTest extends DashboardTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
