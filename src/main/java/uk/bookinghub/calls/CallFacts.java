package uk.bookinghub.calls;

/**
 * What the hub already knows about a Vapi call when its end-of-call report is stored: the lead it dialled
 * (the dialler's {@code dial_attempts}) and whether the call booked an appointment that still stands (the
 * booking tools' {@code appointments}). Read by the call writer in the report's own transaction, one indexed
 * query per batch of reports ({@link CallStore#writeEndOfCall}), instead of a read plus a transaction per
 * listener: the webhook path stays at its W1 rate.
 *
 * @param dialledLeadId the lead of the dial attempt that placed this call, or null (not dialled by the hub)
 * @param booked        an appointment booked during this call still stands
 * @param dialledClientId the client of that dial attempt, or null
 */
public record CallFacts(Long dialledLeadId, boolean booked, Long dialledClientId) {

    public static final CallFacts NONE = new CallFacts(null, false, null);
}
