package db.postgresql;

import uk.bookinghub.store.ErrorCountsMigration;

/** The error log's roll-up (error_counts), filled from the rows already logged. */
public class V12__error_counts extends ErrorCountsMigration {
    @Override
    protected boolean postgres() {
        return true;
    }
}
