package uk.bookinghub.privacy;

import uk.bookinghub.support.TestDatabase;

class PrivacyRoutePostgresTest extends PrivacyRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
