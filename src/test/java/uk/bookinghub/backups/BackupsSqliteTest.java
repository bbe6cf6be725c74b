package uk.bookinghub.backups;

import uk.bookinghub.support.TestDatabase;

/** Backups on SQLite: VACUUM INTO, integrity check, gzip; verified in a temporary file. */
class BackupsSqliteTest extends BackupsTest {

    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
