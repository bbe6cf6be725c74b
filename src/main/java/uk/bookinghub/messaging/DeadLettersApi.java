package uk.bookinghub.messaging;

import uk.bookinghub.api.Params;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.monitoring.DeadLetters;

import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The admin's dead-letter API: {@code GET /api/dead-letters} (filter by status, route, client,
 * since) and {@code POST /api/dead-letters/{id}/replay}. A replay of a dead message puts that same
 * outbox row back in the queue, so it goes out through the normal path (opt-out check, rate cap,
 * retries); the dead letter and the message change in one transaction, each only from its dead
 * state, so pressing replay twice sends once.
 */
public final class DeadLettersApi {

    private static final Set<String> STATUSES = Set.of("new", "replayed", "discarded");
    private final DeadLetters letters;
    private final OutboxStore outbox;

    public DeadLettersApi(DeadLetters letters, OutboxStore outbox) {
        this.letters = letters;
        this.outbox = outbox;
    }

    /** {@code since} without an offset is UTC (an admin has no time zone of its own). */
    public Map<String, Object> list(Params params) {
        String status = params.text("status");
        if (status != null && !STATUSES.contains(status)) {
            throw HttpProblem.badRequest("status must be one of " + new java.util.TreeSet<>(STATUSES));
        }
        Params.Page page = params.page(50, 500);
        return letters.list(status, params.text("routeId"), params.whole("clientId"), params.instant("since", ZoneOffset.UTC), page.number(), page.size());
    }

    /** Queues the dead message again; its audit row ({@code dead_letter_replay}) commits with the change. */
    public Map<String, Object> replay(Params params, String by, uk.bookinghub.audit.Audit audit) {
        long n = params.whole("id");
        String id = String.valueOf(n);
        audit.target("dead_letter:" + n);
        return letters.database().inTransaction("replaying a dead letter", c -> {
            DeadLetters.Letter letter = letters.byId(c, n).orElseThrow(() -> HttpProblem.notFound("no dead letter " + id));
            if (!"new".equals(letter.status())) {
                throw new HttpProblem(409, "dead letter " + n + " is already " + letter.status()
                        + (letter.replayedAt() == null ? "" : " (at " + letter.replayedAt() + " by " + letter.replayedBy() + ")") + ": nothing sent again",
                        Map.of("deadLetter", letter.view()));
            }
            if (letter.messageId() == null) {
                throw new HttpProblem(422, "dead letter " + n + " from route " + letter.routeId() + " is not an outbox message; only messages can "
                        + "be replayed (analytics events are restored by the analytics-reconcile route)");
            }
            if (!outbox.requeueDead(c, letter.messageId())) {
                throw new HttpProblem(409, "message " + letter.messageId() + " is no longer dead: nothing sent again");
            }
            letters.markReplayed(c, n, by);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("deadLetter", letters.byId(c, n).orElseThrow().view());
            out.put("messageId", letter.messageId());
            out.put("note", "message " + letter.messageId() + " is queued again and goes out through the normal sender");
            audit.target("dead_letter:" + n, "message:" + letter.messageId()).write(c, 200); // last: the audit chain's lock is held to the commit
            return out;
        });
    }
}
