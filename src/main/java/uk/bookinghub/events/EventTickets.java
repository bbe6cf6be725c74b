package uk.bookinghub.events;

import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Reply;
import uk.bookinghub.security.Caller;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Stream tickets: a browser's {@code EventSource} cannot send headers, so the dashboard trades its
 * credentials (whatever the front door accepts for a client, or the admin token) for a ticket that
 * opens one stream: 256 random bits, valid {@code ttl} (a minute), spent by the first
 * {@code GET /api/events?ticket=}. Only its SHA-256 is stored, in the database, so it works on any
 * hub instance and a copy of the table opens nothing; it is spent by one conditional update, so two
 * instances shown the same ticket at once open one stream between them.
 */
public final class EventTickets {

    /** Characters of a ticket (43: 32 bytes in URL-safe base64 without padding). */
    static final int LENGTH = 43;

    private final EventStore store;
    private final Clock clock;
    private final Duration ttl;
    private final SecureRandom random = new SecureRandom();

    EventTickets(EventStore store, Clock clock, Duration ttl) {
        this.store = store;
        this.clock = clock;
        this.ttl = ttl;
    }

    /** {@code POST /api/events/ticket}: a ticket for the caller (a client: its own events; the admin: any client's or all). */
    public Reply issue(Caller caller) {
        if (caller == null || (caller.client() == null && !caller.admin())) {
            throw HttpProblem.unauthorized("a stream ticket is for a client or the admin");
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String ticket = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant now = clock.instant();
        Instant expires = now.plus(ttl);
        store.insertTicket(hash(ticket), caller.client() == null ? null : caller.client().id(), caller.admin(), now, expires);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ticket", ticket);
        out.put("expiresAt", expires.toString());
        out.put("expiresInSeconds", ttl.toSeconds());
        out.put("stream", "/api/events?ticket=" + ticket);
        out.put("singleUse", true);
        return Reply.created(out);
    }

    /** Spends the ticket; empty when it is unknown, used or expired (the caller answers 401). */
    Optional<EventStore.TicketOwner> spend(String ticket) {
        if (ticket == null || ticket.length() != LENGTH) {
            return Optional.empty();
        }
        return store.spend(hash(ticket), clock.instant());
    }

    static String hash(String ticket) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ticket.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
