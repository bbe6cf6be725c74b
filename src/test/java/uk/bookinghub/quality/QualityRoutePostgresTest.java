package uk.bookinghub.quality;

import uk.bookinghub.support.TestDatabase;

class QualityRoutePostgresTest extends QualityRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
