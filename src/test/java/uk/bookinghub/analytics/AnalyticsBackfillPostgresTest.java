package uk.bookinghub.analytics;

import uk.bookinghub.support.TestDatabase;

class AnalyticsBackfillPostgresTest extends AnalyticsBackfillTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
