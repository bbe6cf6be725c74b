package uk.bookinghub.messaging;

import uk.bookinghub.support.TestDatabase;

class MessagingRouteSqliteTest extends MessagingRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
