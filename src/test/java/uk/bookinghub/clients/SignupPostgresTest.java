package uk.bookinghub.clients;

import uk.bookinghub.support.TestDatabase;

class SignupPostgresTest extends SignupTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
