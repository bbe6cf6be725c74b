package uk.bookinghub.audit;

import uk.bookinghub.support.TestDatabase;

class AuditLogSqliteTest extends AuditLogTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
