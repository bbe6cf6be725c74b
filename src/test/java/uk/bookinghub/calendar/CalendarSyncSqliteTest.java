package uk.bookinghub.calendar;

import uk.bookinghub.support.TestDatabase;

class CalendarSyncSqliteTest extends CalendarSyncTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
