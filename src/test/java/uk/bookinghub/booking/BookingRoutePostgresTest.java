package uk.bookinghub.booking;

import uk.bookinghub.support.TestDatabase;

class BookingRoutePostgresTest extends BookingRouteTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
