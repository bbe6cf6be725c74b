package uk.bookinghub.security;

import uk.bookinghub.support.TestDatabase;

class AuthRouteSqliteTest extends AuthRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
