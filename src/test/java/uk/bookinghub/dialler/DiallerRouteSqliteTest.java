package uk.bookinghub.dialler;

import uk.bookinghub.support.TestDatabase;

class DiallerRouteSqliteTest extends DiallerRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
