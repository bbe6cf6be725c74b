package uk.bookinghub.leads;

import uk.bookinghub.support.TestDatabase;

class LeadIntakeRoutePostgresTest extends LeadIntakeRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
