package uk.bookinghub.calendar;

import uk.bookinghub.support.TestDatabase;

class CalendarSyncPostgresTest extends CalendarSyncTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
