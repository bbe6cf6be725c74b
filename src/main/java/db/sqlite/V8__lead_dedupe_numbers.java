package db.sqlite;

import uk.bookinghub.store.LeadKeysMigration;

/** leads.dedupe_key (text) → leads.dedupe_no (integer); SQLite keeps its foreign key. */
public class V8__lead_dedupe_numbers extends LeadKeysMigration {
    @Override
    protected boolean postgres() {
        return false;
    }
}
