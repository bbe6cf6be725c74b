package uk.bookinghub.alerts;

import uk.bookinghub.support.TestDatabase;

class AlertsRoutePostgresTest extends AlertsRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
