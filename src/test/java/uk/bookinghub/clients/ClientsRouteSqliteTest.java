package uk.bookinghub.clients;

import uk.bookinghub.support.TestDatabase;

class ClientsRouteSqliteTest extends ClientsRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
