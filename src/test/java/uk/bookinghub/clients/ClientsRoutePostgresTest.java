package uk.bookinghub.clients;

import uk.bookinghub.support.TestDatabase;

class ClientsRoutePostgresTest extends ClientsRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
