package uk.bookinghub.calls;

import uk.bookinghub.support.TestDatabase;

class VapiWebhookRouteSqliteTest extends VapiWebhookRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
