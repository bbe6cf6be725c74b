package uk.bookinghub.booking;

import uk.bookinghub.support.TestDatabase;

class BookingRouteSqliteTest extends BookingRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
