package uk.bookinghub.analytics;

import uk.bookinghub.support.TestDatabase;

class AnalyticsGoldenSqliteTest extends AnalyticsGoldenTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
