package uk.bookinghub.store;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.analytics.AnalyticsStore;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * V10 on both databases: the columns the new analytics events are reconciled from
 * (appointments.completed_at / no_show_at and who marked them, messages.price / price_unit as
 * Twilio answered, lead_imports.imported_by_source), then the back-fill: every fact already in
 * {@code calls}, {@code appointments} and {@code messages} becomes its analytics event once
 * (set-based {@code insert ... select ... on conflict do nothing}, with the props the live path
 * writes: {@link uk.bookinghub.analytics.AnalyticsFacts}; AnalyticsBackfillTest compares them),
 * and every client's daily roll-up is summed again from its events ({@link AnalyticsStore#rebuild}).
 * A back-filled event carries {@code "backfilled": true}. Appointment moves are not back-filled:
 * the earlier start of a moved appointment was never kept (and a move counts in no number).
 */
public abstract class AnalyticsBackfillMigration extends BaseJavaMigration {

    private static final Logger LOG = LoggerFactory.getLogger(AnalyticsBackfillMigration.class);

    protected abstract boolean postgres();

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        boolean pg = postgres();
        String time = pg ? "timestamptz" : "text";
        try (Statement s = c.createStatement()) {
            // attendance: when and by whom (sweep / client) an appointment was marked; both kept, so a
            // no-show that corrects a completed one still has the completed one's facts
            s.execute("alter table appointments add column completed_at " + time);
            s.execute("alter table appointments add column completed_by text");
            s.execute("alter table appointments add column no_show_at " + time);
            s.execute("alter table appointments add column no_show_by text");
            // Twilio's price of an SMS as its answer gave it ("-0.0400") and its currency
            s.execute("alter table messages add column price text");
            s.execute("alter table messages add column price_unit text");
            // JSON {source: leads imported} of a finished import ("" = no source)
            s.execute("alter table lead_imports add column imported_by_source text");
            // the reconciliation's look-up of single leads from the web form (imports carry an import_id)
            s.execute("create index leads_single_created_idx on leads (created_at) where import_id is null");
        }
        long t0 = System.nanoTime();
        int calls = backfill(c, pg, CALL_ENDED);
        int booked = backfill(c, pg, BOOKED);
        int cancelled = backfill(c, pg, CANCELLED);
        int sent = backfill(c, pg, SENT);
        int delivered = backfill(c, pg, DELIVERED);
        int failed = backfill(c, pg, FAILED);
        long t1 = System.nanoTime();
        List<Long> clients = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select id from clients order by id")) {
            while (rs.next()) {
                clients.add(rs.getLong(1));
            }
        }
        Dialect dialect = pg ? Dialect.POSTGRESQL : Dialect.SQLITE;
        for (long client : clients) {
            AnalyticsStore.rebuild(c, dialect, client);
        }
        LOG.info("[ANALYTICS] back-fill: {} call.ended, {} appointment.booked, {} appointment.cancelled, {} message.sent, {} message.delivered, "
                        + "{} message.failed events in {} ms; roll-up of {} client(s) rebuilt in {} ms", calls, booked, cancelled, sent, delivered, failed,
                (t1 - t0) / 1_000_000, clients.size(), (System.nanoTime() - t1) / 1_000_000);
    }

    /** One event type's insert: {@code %s} markers are the dialect's pieces (see {@link #sql}). */
    private record Backfill(String type, String key, String lead, String props, String occurredAt, String from, String where) {
    }

    private static final Backfill CALL_ENDED = new Backfill("call.ended", "'call.ended:' || c.vapi_call_id", "{LEAD_OF_CALL}",
            "{OBJ}('outcome', c.outcome, 'endedReason', c.ended_reason, 'durationSeconds', c.duration_seconds, 'cost', c.cost, "
                    + "'tenantRule', c.tenant_rule, 'backfilled', {TRUE})",
            "coalesce(c.ended_at, c.updated_at)", "calls c", "c.report_count > 0");

    private static final Backfill BOOKED = new Backfill("appointment.booked", "'appointment.booked:' || c.id", "c.lead_id",
            "{OBJ}('appointmentId', c.id, 'service', c.service, 'startAt', {ISO:c.start_at}, "
                    + "'bookedBy', case when c.tool_call_id is not null then 'assistant' else 'api' end, 'backfilled', {TRUE})",
            "c.created_at", "appointments c", "1 = 1");

    private static final Backfill CANCELLED = new Backfill("appointment.cancelled", "'appointment.cancelled:' || c.id", "c.lead_id",
            "{OBJ}('appointmentId', c.id, 'service', c.service, 'bookedAt', {ISO:c.created_at}, 'startAt', {ISO:c.start_at}, 'backfilled', {TRUE})",
            "c.cancelled_at", "appointments c", "c.status = 'cancelled' and c.cancelled_at is not null");

    private static final Backfill SENT = new Backfill("message.sent", "'message.sent:' || c.id", "c.lead_id",
            "{OBJ}('messageId', c.id, 'channel', c.channel, 'kind', c.kind, 'segments', c.segments, 'backfilled', {TRUE})",
            "c.sent_at", "messages c", "c.sent_at is not null");

    private static final Backfill DELIVERED = new Backfill("message.delivered", "'message.delivered:' || c.id", "c.lead_id",
            "{OBJ}('messageId', c.id, 'channel', c.channel, 'kind', c.kind, 'backfilled', {TRUE})",
            "c.delivered_at", "messages c", "c.delivered_at is not null");

    private static final Backfill FAILED = new Backfill("message.failed", "'message.failed:' || c.id", "c.lead_id",
            "{OBJ}('messageId', c.id, 'channel', c.channel, 'kind', c.kind, 'status', c.status, 'errorCode', c.error_code, 'backfilled', {TRUE})",
            "c.updated_at", "messages c", "c.status in ('failed', 'undelivered', 'dead') and (c.attempts > 0 or c.provider_id is not null)");

    private static int backfill(Connection c, boolean pg, Backfill b) throws SQLException {
        try (Statement s = c.createStatement()) {
            return s.executeUpdate(sql(pg, b));
        }
    }

    /** The insert of one type in the dialect's words: JSON object, the ISO form of an instant, true, now, a call's numeric lead id. */
    static String sql(boolean pg, Backfill b) {
        String lead = b.lead().equals("{LEAD_OF_CALL}")
                ? (pg ? "case when c.lead_id ~ '^[0-9]{1,18}$' then cast(c.lead_id as bigint) end"
                      : "case when length(c.lead_id) between 1 and 18 and c.lead_id not glob '*[^0-9]*' then cast(c.lead_id as integer) end")
                : b.lead();
        String props = b.props().replace("{OBJ}", pg ? "json_build_object" : "json_object").replace("{TRUE}", pg ? "true" : "json('true')");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{ISO:([a-z_.]+)}").matcher(props);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(pg
                    ? "to_char(" + m.group(1) + " at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')" : m.group(1)));
        }
        m.appendTail(out);
        String json = pg ? "cast(" + out + " as text)" : out.toString();
        String now = pg ? "now()" : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
        // the lead id is worked out once per row in the inner select, then joined to its lead for the source;
        // "where true": SQLite reads an ON right after a join as the join's, unless a WHERE comes between
        return "insert into analytics_events (event_key, event_type, client_id, client_key, vapi_call_id, outcome, props, occurred_at, created_at, lead_id, source) "
                + "select " + b.key() + ", '" + b.type() + "', c.client_id, k.client_key, "
                + (b.type().equals("call.ended") ? "c.vapi_call_id, c.outcome, " : "null, null, ")
                + json + ", " + b.occurredAt() + ", " + now + ", c.x_lead_id, l.source "
                + "from (select c.*, " + lead + " as x_lead_id from " + b.from() + " where " + b.where() + ") c "
                + "left join clients k on k.id = c.client_id left join leads l on l.id = c.x_lead_id "
                + "where true on conflict (event_key) do nothing";
    }
}
