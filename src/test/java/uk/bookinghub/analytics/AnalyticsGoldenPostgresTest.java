package uk.bookinghub.analytics;

import uk.bookinghub.support.TestDatabase;

class AnalyticsGoldenPostgresTest extends AnalyticsGoldenTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
