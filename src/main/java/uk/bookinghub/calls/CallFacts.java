package uk.bookinghub.calls;

import uk.bookinghub.store.Database;

import java.sql.PreparedStatement;
import java.sql.ResultSet;

/**
 * What the hub already knows about a Vapi call when its end-of-call report arrives, read in one
 * indexed query: the lead it dialled (the dialler's {@code dial_attempts}) and whether the call
 * booked an appointment that still stands (the booking tools' {@code appointments}). One read per
 * report instead of a read plus a transaction per listener: the webhook path stays at its W1 rate.
 *
 * @param dialledLeadId the lead of the dial attempt that placed this call, or null (not dialled by the hub)
 * @param booked        an appointment booked during this call still stands
 * @param dialledClientId the client of that dial attempt, or null
 */
public record CallFacts(Long dialledLeadId, boolean booked, Long dialledClientId) {

    public static final CallFacts NONE = new CallFacts(null, false, null);

    /** Reads the facts for a call id (both look-ups use their tables' vapi_call_id indexes). */
    public static CallFacts lookup(Database db, String vapiCallId) {
        return db.read("reading what the hub knows of a call", c -> {
            try (PreparedStatement ps = c.prepareStatement("select (select lead_id from dial_attempts where vapi_call_id = ? order by id desc limit 1), "
                    + "(select 1 from appointments where vapi_call_id = ? and status = 'booked' limit 1), "
                    + "(select client_id from dial_attempts where vapi_call_id = ? order by id desc limit 1)")) {
                ps.setString(1, vapiCallId);
                ps.setString(2, vapiCallId);
                ps.setString(3, vapiCallId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    long lead = rs.getLong(1);
                    Long leadId = rs.wasNull() ? null : lead;
                    rs.getInt(2);
                    boolean booked = !rs.wasNull();
                    long client = rs.getLong(3);
                    Long clientId = rs.wasNull() ? null : client;
                    return leadId == null && !booked ? NONE : new CallFacts(leadId, booked, clientId);
                }
            }
        });
    }
}
