package uk.bookinghub.assistants;

import uk.bookinghub.support.TestDatabase;

class AssistantRouteSqliteTest extends AssistantRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
