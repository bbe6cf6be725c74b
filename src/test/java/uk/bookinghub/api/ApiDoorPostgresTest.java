package uk.bookinghub.api;

import uk.bookinghub.support.TestDatabase;

class ApiDoorPostgresTest extends ApiDoorTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
