package uk.bookinghub.analytics;

import uk.bookinghub.support.TestDatabase;

class AnalyticsSumsSqliteTest extends AnalyticsSumsTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
