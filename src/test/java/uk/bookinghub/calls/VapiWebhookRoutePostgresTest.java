package uk.bookinghub.calls;

import uk.bookinghub.support.TestDatabase;

class VapiWebhookRoutePostgresTest extends VapiWebhookRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
