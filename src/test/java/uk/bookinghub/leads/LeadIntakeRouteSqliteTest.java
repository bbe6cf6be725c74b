package uk.bookinghub.leads;

import uk.bookinghub.support.TestDatabase;

class LeadIntakeRouteSqliteTest extends LeadIntakeRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
