package uk.bookinghub.reminders;

import uk.bookinghub.support.TestDatabase;

class ReminderRoutePostgresTest extends ReminderRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
