package uk.bookinghub.reminders;

import uk.bookinghub.support.TestDatabase;

class ReminderRouteSqliteTest extends ReminderRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
