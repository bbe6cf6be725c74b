package db.postgresql;

import uk.bookinghub.store.LeadKeysMigration;

/** leads.dedupe_key (text) → leads.dedupe_no (bigint); the leads → clients foreign key becomes a delete guard. */
public class V8__lead_dedupe_numbers extends LeadKeysMigration {
    @Override
    protected boolean postgres() {
        return true;
    }
}
