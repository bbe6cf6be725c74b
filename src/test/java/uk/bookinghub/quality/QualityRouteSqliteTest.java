package uk.bookinghub.quality;

import uk.bookinghub.support.TestDatabase;

class QualityRouteSqliteTest extends QualityRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
