package uk.bookinghub.events;

import uk.bookinghub.support.TestDatabase;

/** The live event stream on SQLite (one instance, woken by its own commits). */
class EventStreamSqliteTest extends EventStreamTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
