package db.postgresql;

import uk.bookinghub.store.AnalyticsBackfillMigration;

/** The analytics events of the facts already stored, and every client's roll-up summed from them. */
public class V10__analytics_backfill extends AnalyticsBackfillMigration {
    @Override
    protected boolean postgres() {
        return true;
    }
}
