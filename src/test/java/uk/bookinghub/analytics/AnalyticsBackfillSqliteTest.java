package uk.bookinghub.analytics;

import uk.bookinghub.support.TestDatabase;

class AnalyticsBackfillSqliteTest extends AnalyticsBackfillTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
