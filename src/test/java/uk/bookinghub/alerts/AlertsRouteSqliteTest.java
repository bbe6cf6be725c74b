package uk.bookinghub.alerts;

import uk.bookinghub.support.TestDatabase;

class AlertsRouteSqliteTest extends AlertsRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
