package uk.bookinghub.clients;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Where a client is in its life cycle ({@code clients.state}), and what it may do there:
 * <ul>
 *   <li>{@code pending_verification}: signed up, email not verified; it has no API key and may do
 *       nothing but follow its verification link (any credential of it is refused);</li>
 *   <li>{@code trial}: verified; configures everything, imports leads, reads; but the dialler calls
 *       and the outbox sends only to the owner's own signup phone and email (anything else is held);</li>
 *   <li>{@code active}: everything;</li>
 *   <li>{@code suspended}: reads only; nothing is sent or dialled, queued work is held until an admin
 *       activates it again.</li>
 * </ul>
 * The front door, the dialler, the outbox and the reminder and follow-up batches enforce it (not a page).
 */
public enum ClientState {
    PENDING_VERIFICATION, TRIAL, ACTIVE, SUSPENDED;

    /**
     * The SQL condition (over {@code clients} aliased {@code c}) under which the client may send to or
     * call {@code address}, an SQL expression of the recipient (a message's {@code to_address}, a lead's
     * number): active, or trial and the address is the owner's own phone or email. Used by the outbox's
     * claim and the dialler's due leads, so held work is never claimed (and goes out once it may).
     */
    public static String mayReachSql(String address) {
        return "(c.state = 'active' or (c.state = 'trial' and (" + address + " = c.contact_phone or lower(" + address + ") = c.contact_email)))";
    }

    /** How it is written in JSON, in the database and in {@code ?state=}: {@code pending_verification}, {@code trial}, ... */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The state spelled {@code key}, or empty. */
    public static Optional<ClientState> parse(String key) {
        return Arrays.stream(values()).filter(s -> s.key().equals(key)).findFirst();
    }

    /** The state of a stored row; a value the migration's check would refuse is a broken row, said loudly. */
    public static ClientState stored(String key) {
        return key == null ? ACTIVE : parse(key).orElseThrow(() -> new IllegalStateException("stored client state '" + key + "' is not one of " + names()));
    }

    public static String names() {
        return Arrays.stream(values()).map(ClientState::key).collect(Collectors.joining(", "));
    }

    /** Whether the client's own requests may change anything (trial and active). */
    public boolean mayWrite() {
        return this == TRIAL || this == ACTIVE;
    }

    /** Whether the client's credentials are accepted at all (not pending verification). */
    public boolean mayAuthenticate() {
        return this != PENDING_VERIFICATION;
    }

    /** Whether the client may send to, or call, anyone but its owner (active only). */
    public boolean mayReachAnyone() {
        return this == ACTIVE;
    }

    /** The value of the legacy {@code clients.active} column kept in step: true for trial and active. */
    public boolean legacyActive() {
        return mayWrite();
    }
}
