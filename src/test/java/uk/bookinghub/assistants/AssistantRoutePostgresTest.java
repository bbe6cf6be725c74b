package uk.bookinghub.assistants;

import uk.bookinghub.support.TestDatabase;

class AssistantRoutePostgresTest extends AssistantRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
