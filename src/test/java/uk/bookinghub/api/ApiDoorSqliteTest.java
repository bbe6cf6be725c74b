package uk.bookinghub.api;

import uk.bookinghub.support.TestDatabase;

class ApiDoorSqliteTest extends ApiDoorTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
