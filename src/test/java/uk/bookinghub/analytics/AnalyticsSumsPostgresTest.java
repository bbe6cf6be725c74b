package uk.bookinghub.analytics;

import uk.bookinghub.support.TestDatabase;

class AnalyticsSumsPostgresTest extends AnalyticsSumsTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
