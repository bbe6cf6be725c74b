package uk.bookinghub.messaging;

import uk.bookinghub.support.TestDatabase;

class MessagingRoutePostgresTest extends MessagingRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
