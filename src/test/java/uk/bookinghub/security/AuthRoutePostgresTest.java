package uk.bookinghub.security;

import uk.bookinghub.support.TestDatabase;

class AuthRoutePostgresTest extends AuthRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
