package uk.bookinghub.privacy;

import uk.bookinghub.support.TestDatabase;

class PrivacyRouteSqliteTest extends PrivacyRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
