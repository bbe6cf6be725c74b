package uk.bookinghub.audit;

import uk.bookinghub.support.TestDatabase;

class AuditLogPostgresTest extends AuditLogTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
