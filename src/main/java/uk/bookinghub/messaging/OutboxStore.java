package uk.bookinghub.messaging;

import uk.bookinghub.store.Database;
import uk.bookinghub.store.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outbox ({@code messages}): every SMS and email the hub sends is a row here first. Rows are
 * inserted once per idempotency key, claimed by a sender ({@code sending} with a lease; on
 * PostgreSQL {@code FOR UPDATE SKIP LOCKED} lets several instances share the work), and moved
 * forward only: a status never goes back to a lower rank, so late or repeated callbacks are harmless.
 */
public final class OutboxStore {

    /** Ranks: callbacks and results only ever raise a message's rank. */
    public static int rank(String status) {
        return switch (status) {
            case "queued" -> 0;
            case "sending" -> 1;
            case "sent" -> 2;
            case "delivered", "undelivered", "failed", "dead", "skipped", "not_configured" -> 5;
            default -> 0;
        };
    }

    /** What a new outbox row holds. {@code status} is queued, or skipped / not_configured with a reason. */
    public record NewMessage(long clientId, Long leadId, Long appointmentId, String channel, String kind, boolean marketing,
                             String idempotencyKey, String to, String replyTo, String subject, String body, String html,
                             String status, String statusReason, Instant notBefore) {
    }

    public record Enqueued(OutboxMessage message, boolean created) {
    }

    private static final String COLUMNS = "id, client_id, lead_id, appointment_id, channel, kind, marketing, idempotency_key, to_address, "
            + "from_address, reply_to, subject, body, html, encoding, segments, status, status_reason, provider_id, provider_status, error_code, "
            + "attempts, last_error, next_attempt_at, created_at, updated_at, sent_at, delivered_at, price, price_unit";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OutboxStore.class);
    private final Database db;
    private final Clock clock;
    private uk.bookinghub.metrics.BusinessMetrics metrics = uk.bookinghub.metrics.BusinessMetrics.NONE;

    public OutboxStore(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
        this.sentWriter = new uk.bookinghub.store.BatchWriter<>("outbox-sent", db, 2, 64, this::writeSent);
    }

    /** Where the delivery statuses of Twilio's callbacks are counted, after their commit ({@code hub_messages_total}). */
    public void metrics(uk.bookinghub.metrics.BusinessMetrics metrics) {
        this.metrics = metrics;
    }

    public Database database() {
        return db;
    }

    /** Inserts the message unless its idempotency key is already there; either way returns the row. */
    public Enqueued enqueue(NewMessage m) {
        return db.inTransaction("queueing a message", c -> enqueue(c, m));
    }

    /** The same, inside the caller's transaction (the fact that causes a message commits with it). */
    public Enqueued enqueue(Connection c, NewMessage m) throws SQLException {
        Instant now = clock.instant();
        SmsText.Info sms = "sms".equals(m.channel()) ? SmsText.measure(m.body()) : null;
        try (PreparedStatement ps = c.prepareStatement("insert into messages (client_id, lead_id, appointment_id, channel, kind, marketing, "
                + "idempotency_key, to_address, reply_to, subject, body, html, encoding, segments, status, status_rank, status_reason, attempts, "
                + "next_attempt_at, created_at, updated_at) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?) "
                + "on conflict (idempotency_key) do nothing")) {
            bind(ps, 1, m, sms, now);
            int inserted = ps.executeUpdate();
            OutboxMessage row = one(c, "idempotency_key = ?", m.idempotencyKey()).orElseThrow();
            return new Enqueued(row, inserted == 1);
        }
    }

    /** Where a message with a given idempotency key stands: its id and status. */
    public record KeyState(long id, String status) {
    }

    /** The messages already queued under these idempotency keys (absent keys are not in the answer); 500 keys per query. */
    public Map<String, KeyState> byIdempotencyKeys(List<String> keys) {
        Map<String, KeyState> out = new HashMap<>();
        for (int from = 0; from < keys.size(); from += 500) {
            List<String> chunk = keys.subList(from, Math.min(keys.size(), from + 500));
            db.read("reading messages by idempotency key", c -> {
                try (PreparedStatement ps = c.prepareStatement("select idempotency_key, id, status from messages where idempotency_key in ("
                        + String.join(",", java.util.Collections.nCopies(chunk.size(), "?")) + ")")) {
                    bind(ps, new ArrayList<Object>(chunk));
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.put(rs.getString(1), new KeyState(rs.getLong(2), rs.getString(3)));
                        }
                    }
                }
                return null;
            });
        }
        return out;
    }

    /**
     * Many messages in one JDBC batch inside the caller's transaction (the reminder batch): no row is
     * read back; a key already present inserts nothing. Returns how many were new.
     */
    public int enqueueAll(Connection c, List<NewMessage> messages) throws SQLException {
        if (messages.isEmpty()) {
            return 0;
        }
        Instant now = clock.instant();
        String head = "insert into messages (client_id, lead_id, appointment_id, channel, kind, marketing, idempotency_key, to_address, reply_to, subject, "
                + "body, html, encoding, segments, status, status_rank, status_reason, attempts, next_attempt_at, created_at, updated_at) values ";
        String row = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?)";
        int n = 0;
        // multi-row INSERTs of up to 500 rows (20 parameters each): one round trip per 500 messages on both databases
        for (int from = 0; from < messages.size(); from += 500) {
            List<NewMessage> chunk = messages.subList(from, Math.min(messages.size(), from + 500));
            String sql = head + String.join(",", java.util.Collections.nCopies(chunk.size(), row)) + " on conflict (idempotency_key) do nothing";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                for (NewMessage m : chunk) {
                    i = bind(ps, i, m, "sms".equals(m.channel()) ? SmsText.measure(m.body()) : null, now);
                }
                n += ps.executeUpdate();
            }
        }
        return n;
    }

    /**
     * Claims up to {@code limit} due messages for this instance: queued ones whose time has come,
     * and 'sending' ones whose claim is older than the lease (their sender stopped mid-send).
     */
    /** What a claim took: every message, and which of them were taken back from a sender that stopped mid-send. */
    public record Claim(List<OutboxMessage> messages, java.util.Set<Long> reclaimed) {
    }

    /**
     * The client may send this message now ({@link uk.bookinghub.clients.ClientState}): an active client
     * anything, a trial client only to its owner's own phone and email, a client pending verification
     * only its verification email, a suspended one nothing. A message it may not send is not claimed:
     * it stays queued (held, not failed, not lost) and goes out once the client may send it.
     */
    private static final String MAY_SEND = "exists (select 1 from clients c where c.id = messages.client_id and ("
            + uk.bookinghub.clients.ClientState.mayReachSql("messages.to_address")
            + " or (c.state = 'pending_verification' and messages.kind = '" + uk.bookinghub.clients.Signup.KIND + "')))";

    /** Queued messages due now that their clients' states hold, by client key and state (for the sender's log line). */
    public Map<String, Long> held() {
        Instant now = clock.instant();
        return db.read("counting held messages", c -> {
            Map<String, Long> out = new java.util.TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement("select k.client_key, k.state, count(*) from messages join clients k on k.id = messages.client_id "
                    + "where messages.status = 'queued' and messages.next_attempt_at <= ? and not " + MAY_SEND + " group by k.client_key, k.state")) {
                db.dialect().setInstant(ps, 1, now);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1) + " (" + rs.getString(2) + ")", rs.getLong(3));
                    }
                }
            }
            return out;
        });
    }

    public Claim claim(String instance, int limit, Duration lease) {
        Instant now = clock.instant();
        String lock = db.dialect().skipLocked();
        java.util.Set<Long> reclaimed = new java.util.HashSet<>();
        List<OutboxMessage> all = db.inTransaction("claiming outbox messages", c -> {
            List<OutboxMessage> claimed = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("update messages set status = 'sending', status_rank = 1, claimed_at = ?, claimed_by = ?, "
                    + "updated_at = ? where id in (select id from messages where status = 'sending' and claimed_at < ? order by claimed_at limit ?"
                    + lock + ") returning " + COLUMNS)) {
                db.dialect().setInstant(ps, 1, now);
                ps.setString(2, instance);
                db.dialect().setInstant(ps, 3, now);
                db.dialect().setInstant(ps, 4, now.minus(lease));
                ps.setInt(5, limit);
                claimed.addAll(map(ps));
                claimed.forEach(m -> reclaimed.add(m.id()));
            }
            if (claimed.size() < limit) {
                try (PreparedStatement ps = c.prepareStatement("update messages set status = 'sending', status_rank = 1, claimed_at = ?, claimed_by = ?, "
                        + "updated_at = ? where id in (select id from messages where status = 'queued' and next_attempt_at <= ? and " + MAY_SEND
                        + " order by next_attempt_at, id limit ?" + lock + ") returning " + COLUMNS)) {
                    db.dialect().setInstant(ps, 1, now);
                    ps.setString(2, instance);
                    db.dialect().setInstant(ps, 3, now);
                    db.dialect().setInstant(ps, 4, now);
                    ps.setInt(5, limit - claimed.size());
                    claimed.addAll(map(ps));
                }
            }
            claimed.sort(Comparator.comparingLong(OutboxMessage::id));
            return claimed;
        });
        return new Claim(all, reclaimed);
    }

    /** What a send's result writes: the provider's id and status, and Twilio's segments and price when its answer has them. */
    private record Sent(long id, String providerId, String providerStatus, String from, int attempts, Instant at, Integer segments, String price,
                        String priceUnit) {
    }

    /** Send results are group-committed: many senders, one commit per batch, each sender released after its commit. */
    private final uk.bookinghub.store.BatchWriter<Sent> sentWriter;

    /**
     * Twilio or the SMTP server took the message. Applies any status callback that beat this write.
     * Returns the message as it is after the commit (for its analytics events).
     */
    public Optional<OutboxMessage> sent(long id, String providerId, String providerStatus, String from, int attempts) {
        return sent(id, providerId, providerStatus, from, attempts, null, null, null);
    }

    /** The same with Twilio's segments and price ({@code price} as Twilio wrote it, e.g. "-0.0400"; any may be null). */
    public Optional<OutboxMessage> sent(long id, String providerId, String providerStatus, String from, int attempts, Integer segments, String price,
                                        String priceUnit) {
        sentWriter.write(new Sent(id, providerId, providerStatus, from, attempts, clock.instant(), segments, price, priceUnit), 30_000);
        return byId(id);
    }

    private void writeSent(Connection c, List<Sent> batch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update messages set status = 'sent', status_rank = 2, provider_id = ?, provider_status = ?, "
                + "from_address = ?, attempts = ?, sent_at = ?, updated_at = ?, claimed_at = null, segments = coalesce(?, segments), price = ?, price_unit = ? "
                + "where id = ? and status = 'sending'")) {
            for (Sent s : batch) {
                ps.setString(1, s.providerId());
                ps.setString(2, s.providerStatus());
                ps.setString(3, s.from());
                ps.setInt(4, s.attempts());
                db.dialect().setInstant(ps, 5, s.at());
                db.dialect().setInstant(ps, 6, s.at());
                if (s.segments() == null) {
                    ps.setNull(7, Types.INTEGER);
                } else {
                    ps.setInt(7, s.segments());
                }
                ps.setString(8, s.price());
                ps.setString(9, s.priceUnit());
                ps.setLong(10, s.id());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        // status callbacks that arrived before these results were written: applied now, forward only
        List<String> sids = batch.stream().map(Sent::providerId).filter(java.util.Objects::nonNull).toList();
        if (sids.isEmpty()) {
            return;
        }
        List<String[]> early = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select message_sid, status, error_code from message_status_events where message_sid in ("
                + String.join(",", java.util.Collections.nCopies(sids.size(), "?")) + ") order by id")) {
            for (int i = 0; i < sids.size(); i++) {
                ps.setString(i + 1, sids.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    early.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
                }
            }
        }
        for (String[] e : early) {
            advance(c, e[0], e[1], e[2], clock.instant());
        }
    }

    /** Stops the group-commit writer (the hub is stopping). */
    public void close() {
        sentWriter.close();
    }

    /**
     * Renews this sender's claims on messages it is still sending (the heartbeat of a long batch),
     * so another instance does not take them over while they are being sent. A row another
     * transaction holds at that moment (its result being recorded: it is no longer in flight) is
     * skipped, not waited for: the renewal never waits on a row lock, so it cannot deadlock with the
     * writers of results, which update the same rows in another order.
     */
    public int renew(java.util.Collection<Long> ids, String instance) {
        Instant now = clock.instant();
        String in = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
        return db.inTransaction("renewing outbox claims", c -> {
            try (PreparedStatement ps = c.prepareStatement("update messages set claimed_at = ? where id in (select id from messages "
                    + "where claimed_by = ? and status = 'sending' and id in (" + in + ")" + db.dialect().skipLocked() + ")")) {
                db.dialect().setInstant(ps, 1, now);
                ps.setString(2, instance);
                int i = 3;
                for (Long id : ids) {
                    ps.setLong(i++, id);
                }
                return ps.executeUpdate();
            }
        });
    }

    /** A failed attempt that will be retried: counted, with its error, while the message stays 'sending'. */
    public void retrying(long id, int failedAttempts, String error) {
        Instant now = clock.instant();
        db.inTransaction("recording a retry", c -> {
            try (PreparedStatement ps = c.prepareStatement("update messages set attempts = ?, last_error = ?, updated_at = ? where id = ? and status = 'sending'")) {
                ps.setInt(1, failedAttempts);
                ps.setString(2, error);
                db.dialect().setInstant(ps, 3, now);
                ps.setLong(4, id);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** A final state decided by the sender: failed, dead, skipped or not_configured. */
    public void finish(long id, String status, String reason, String errorCode, int attempts, String lastError) {
        db.inTransaction("recording a message result", c -> {
            finish(c, id, status, reason, errorCode, attempts, lastError);
            return null;
        });
    }

    /** The same, in the caller's transaction (a dead message and its dead letter commit together). */
    public void finish(Connection c, long id, String status, String reason, String errorCode, int attempts, String lastError) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update messages set status = ?, status_rank = ?, status_reason = ?, error_code = ?, "
                + "attempts = ?, last_error = ?, updated_at = ?, claimed_at = null where id = ? and status = 'sending'")) {
            ps.setString(1, status);
            ps.setInt(2, rank(status));
            ps.setString(3, reason);
            ps.setString(4, errorCode);
            ps.setInt(5, attempts);
            ps.setString(6, lastError);
            db.dialect().setInstant(ps, 7, clock.instant());
            ps.setLong(8, id);
            ps.executeUpdate();
        }
    }

    /**
     * A Twilio status callback: recorded once per (sid, status), and applied to the message if it
     * moves it forward. Returns the message it belongs to, if the hub sent it.
     */
    public Optional<OutboxMessage> statusCallback(String sid, String twilioStatus, String errorCode, String paramsJson) {
        Instant now = clock.instant();
        String[] moved = new String[1];
        Optional<OutboxMessage> message = db.inTransaction("recording a delivery status", c -> {
            moved[0] = null;
            try (PreparedStatement ps = c.prepareStatement("insert into message_status_events (message_sid, status, error_code, params, received_at) "
                    + "values (?,?,?,?,?) on conflict (message_sid, status) do nothing")) {
                ps.setString(1, sid);
                ps.setString(2, twilioStatus);
                ps.setString(3, errorCode);
                ps.setString(4, paramsJson);
                db.dialect().setInstant(ps, 5, now);
                ps.executeUpdate();
            }
            moved[0] = advance(c, sid, twilioStatus, errorCode, now);
            return one(c, "provider_id = ?", sid);
        });
        if (moved[0] != null && message.isPresent()) {
            metrics.message(message.get().channel(), moved[0]); // committed, and it moved the message forward (a repeated callback does not)
        }
        return message;
    }

    /** Moves the message with this Twilio sid forward to what Twilio says, never back; returns the status it moved to, or null. */
    private String advance(Connection c, String sid, String twilioStatus, String errorCode, Instant now) throws SQLException {
        String status;
        int rank;
        switch (twilioStatus) {
            case "delivered", "undelivered", "failed" -> {
                status = twilioStatus;
                rank = 5;
            }
            case "sent" -> {
                status = "sent";
                rank = 3; // handed to the carrier: past our own 'sent' (handed to Twilio)
            }
            default -> {
                status = null; // queued, accepted, sending, scheduled: Twilio still has it
                rank = 2;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("update messages set status = coalesce(?, status), status_rank = ?, provider_status = ?, "
                + "error_code = coalesce(?, error_code), delivered_at = ?, updated_at = ? where provider_id = ? and status_rank < ? and status_rank >= 2")) {
            ps.setString(1, status);
            ps.setInt(2, rank);
            ps.setString(3, twilioStatus);
            ps.setString(4, errorCode);
            db.dialect().setInstant(ps, 5, "delivered".equals(twilioStatus) ? now : null);
            db.dialect().setInstant(ps, 6, now);
            ps.setString(7, sid);
            ps.setInt(8, rank);
            return ps.executeUpdate() > 0 && rank == 5 ? status : null; // counted: the final statuses only (our own "sent" was counted when Twilio took it)
        }
    }

    /**
     * Replaces {@code secret} with {@code replacement} in the body and HTML of the message with this
     * idempotency key, in the caller's transaction (a signup's verification link, once it is spent).
     */
    public void redact(Connection c, String idempotencyKey, String secret, String replacement) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update messages set body = replace(body, ?, ?), html = replace(html, ?, ?) where idempotency_key = ?")) {
            ps.setString(1, secret);
            ps.setString(2, replacement);
            ps.setString(3, secret);
            ps.setString(4, replacement);
            ps.setString(5, idempotencyKey);
            ps.executeUpdate();
        }
    }

    /** Puts a dead message back in the queue; false if it is not dead (already replayed, or never dead). */
    public boolean requeueDead(Connection c, long id) throws SQLException {
        Instant now = clock.instant();
        try (PreparedStatement ps = c.prepareStatement("update messages set status = 'queued', status_rank = 0, status_reason = 'replayed', "
                + "next_attempt_at = ?, updated_at = ?, claimed_at = null where id = ? and status = 'dead'")) {
            db.dialect().setInstant(ps, 1, now);
            db.dialect().setInstant(ps, 2, now);
            ps.setLong(3, id);
            return ps.executeUpdate() == 1;
        }
    }

    public Optional<OutboxMessage> byId(long clientId, long id) {
        return db.read("reading a message", c -> one(c, "id = ? and client_id = ?", id, clientId));
    }

    public Optional<OutboxMessage> byId(long id) {
        return db.read("reading a message", c -> one(c, "id = ?", id));
    }

    /** Filters for {@code GET /api/messages}; null = any. */
    public record Filter(Long leadId, Long appointmentId, String to, String kind, String status, String channel, Instant since, Instant until) {
    }

    public Map<String, Object> list(long clientId, Filter f, int page, int pageSize) {
        uk.bookinghub.store.ListQuery q = new uk.bookinghub.store.ListQuery("client_id = ?", clientId)
                .and("lead_id = ?", f.leadId()).and("appointment_id = ?", f.appointmentId()).and("to_address = ?", f.to())
                .and("kind = ?", f.kind()).and("status = ?", f.status()).and("channel = ?", f.channel())
                .and("created_at >= ?", f.since()).and("created_at < ?", f.until());
        return db.read("listing messages", c -> q.page(db.dialect(), c, "messages", COLUMNS, page, pageSize, rs -> map(rs).view()));
    }

    /** For /health: how many wait (queued, due or not), how many are being sent, and how late the oldest due one is. */
    public Map<String, Object> backlog() {
        Instant now = clock.instant();
        return db.read("reading the outbox backlog", c -> {
            Map<String, Object> out = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select count(*), min(next_attempt_at) as oldest from messages where status = 'queued' and next_attempt_at <= ?")) {
                db.dialect().setInstant(ps, 1, now);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    out.put("due", rs.getLong(1));
                    Instant oldest = db.dialect().getInstant(rs, "oldest");
                    out.put("oldestDueSeconds", oldest == null ? 0 : Math.max(0, Duration.between(oldest, now).toSeconds()));
                }
            }
            try (PreparedStatement ps = c.prepareStatement("select count(*) from messages where status = 'sending'");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                out.put("sending", rs.getLong(1));
            }
            return out;
        });
    }

    /** Counts by status, for /health and the benchmark. */
    public Map<String, Long> countsByStatus() {
        return db.read("counting messages", c -> {
            Map<String, Long> out = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select status, count(*) from messages group by status");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
            return out;
        });
    }

    private int bind(PreparedStatement ps, List<Object> args) throws SQLException {
        return db.dialect().bindAll(ps, args);
    }

    private Optional<OutboxMessage> one(Connection c, String where, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from messages where " + where)) {
            bind(ps, List.of(args));
            List<OutboxMessage> rows = map(ps);
            return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
        }
    }

    private List<OutboxMessage> map(PreparedStatement ps) throws SQLException {
        List<OutboxMessage> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(map(rs));
            }
        }
        return out;
    }

    private OutboxMessage map(ResultSet rs) throws SQLException {
        Dialect d = db.dialect();
        return new OutboxMessage(rs.getLong("id"), rs.getLong("client_id"), nullableLong(rs, "lead_id"), nullableLong(rs, "appointment_id"),
                        rs.getString("channel"), rs.getString("kind"), rs.getBoolean("marketing"), rs.getString("idempotency_key"),
                        rs.getString("to_address"), rs.getString("from_address"), rs.getString("reply_to"), rs.getString("subject"),
                        rs.getString("body"), rs.getString("html"), rs.getString("encoding"), (Integer) nullableInt(rs, "segments"),
                        rs.getString("status"), rs.getString("status_reason"), rs.getString("provider_id"), rs.getString("provider_status"),
                        rs.getString("error_code"), rs.getInt("attempts"), rs.getString("last_error"), d.getInstant(rs, "next_attempt_at"),
                        d.getInstant(rs, "created_at"), d.getInstant(rs, "updated_at"), d.getInstant(rs, "sent_at"), d.getInstant(rs, "delivered_at"),
                        rs.getString("price"), rs.getString("price_unit"));
    }

    /** One row's 20 insert parameters from {@code i} (both insert paths); returns the next index. */
    private int bind(PreparedStatement ps, int i, NewMessage m, SmsText.Info sms, Instant now) throws SQLException {
        Dialect d = db.dialect();
        String status = m.status();
        String reason = m.statusReason();
        if (sms != null && m.body() != null && m.body().length() > Templates.SMS_MAX_CHARS && "queued".equals(status)) {
            // never sent as is (cut short it could lose the opt-out line or the appointment): failed, with why
            status = "failed";
            reason = String.format(java.util.Locale.UK, "not sent: the SMS came out at %,d characters (%d segments); the limit is %,d",
                    m.body().length(), sms.segments(), Templates.SMS_MAX_CHARS);
            LOG.warn("[SMS] {} {} for client {} not queued: {}", m.kind(), m.idempotencyKey(), m.clientId(), reason);
        }
        ps.setLong(i++, m.clientId());
        setLong(ps, i++, m.leadId());
        setLong(ps, i++, m.appointmentId());
        ps.setString(i++, m.channel());
        ps.setString(i++, m.kind());
        ps.setBoolean(i++, m.marketing());
        ps.setString(i++, m.idempotencyKey());
        ps.setString(i++, m.to());
        ps.setString(i++, m.replyTo());
        ps.setString(i++, m.subject());
        ps.setString(i++, m.body());
        ps.setString(i++, m.html());
        ps.setString(i++, sms == null ? null : sms.encoding());
        if (sms == null) {
            ps.setNull(i++, Types.INTEGER);
        } else {
            ps.setInt(i++, sms.segments());
        }
        ps.setString(i++, status);
        ps.setInt(i++, rank(status));
        ps.setString(i++, reason);
        d.setInstant(ps, i++, m.notBefore() == null ? now : m.notBefore());
        d.setInstant(ps, i++, now);
        d.setInstant(ps, i++, now);
        return i;
    }

    /** A lead a message goes to: its name, number, email and whether the number takes SMS. */
    record Recipient(long id, String name, String phone, String email, boolean smsCapable, String phoneType) {
    }

    /** The client's lead, as a message's recipient (in the caller's transaction). */
    Optional<Recipient> recipient(Connection c, long clientId, long leadId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select id, name, phone_e164, email, sms_capable, phone_type from leads where id = ? and client_id = ?")) {
            ps.setLong(1, leadId);
            ps.setLong(2, clientId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Recipient(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getBoolean(5),
                        rs.getString(6))) : Optional.empty();
            }
        }
    }

    /** The numbers of these leads (those that have one), by lead id. */
    Map<Long, String> leadPhones(List<Long> ids) {
        return db.read("reading lead phones", c -> {
            Map<Long, String> out = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select id, phone_e164 from leads where id in ("
                    + String.join(",", java.util.Collections.nCopies(ids.size(), "?")) + ")")) {
                for (int i = 0; i < ids.size(); i++) {
                    ps.setLong(i + 1, ids.get(i));
                }
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getString(2) != null) {
                            out.put(rs.getLong(1), rs.getString(2));
                        }
                    }
                }
            }
            return out;
        });
    }

    /** The client's leads with this number do not take SMS (Twilio said so). */
    void markNotSmsCapable(long clientId, String to) {
        db.inTransaction("marking a number not SMS-capable", c -> {
            try (PreparedStatement ps = c.prepareStatement("update leads set sms_capable = ? where " + uk.bookinghub.leads.LeadKeys.numberCondition(true))) {
                ps.setBoolean(1, false);
                ps.setLong(2, clientId);
                ps.setLong(3, uk.bookinghub.leads.LeadKeys.ofE164OrZero(to));
                return ps.executeUpdate();
            }
        });
    }

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private static Integer nullableInt(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v);
        }
    }
}
