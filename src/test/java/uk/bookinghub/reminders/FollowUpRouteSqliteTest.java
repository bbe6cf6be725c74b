package uk.bookinghub.reminders;

import uk.bookinghub.support.TestDatabase;

class FollowUpRouteSqliteTest extends FollowUpRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
