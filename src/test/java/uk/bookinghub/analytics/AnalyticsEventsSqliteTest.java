package uk.bookinghub.analytics;

import uk.bookinghub.support.TestDatabase;

class AnalyticsEventsSqliteTest extends AnalyticsEventsTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
