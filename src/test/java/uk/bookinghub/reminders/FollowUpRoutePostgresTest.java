package uk.bookinghub.reminders;

import uk.bookinghub.support.TestDatabase;

class FollowUpRoutePostgresTest extends FollowUpRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
