package uk.bookinghub.clients;

import uk.bookinghub.support.TestDatabase;

class SignupSqliteTest extends SignupTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
