package uk.bookinghub.dialler;

import uk.bookinghub.support.TestDatabase;

class DiallerRoutePostgresTest extends DiallerRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
