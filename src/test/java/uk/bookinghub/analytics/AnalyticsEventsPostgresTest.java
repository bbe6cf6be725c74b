package uk.bookinghub.analytics;

import uk.bookinghub.support.TestDatabase;

class AnalyticsEventsPostgresTest extends AnalyticsEventsTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
