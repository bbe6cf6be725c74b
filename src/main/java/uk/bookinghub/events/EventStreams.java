package uk.bookinghub.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.api.ApiCatalog;
import uk.bookinghub.api.ApiEndpoint;
import uk.bookinghub.api.Params;
import uk.bookinghub.audit.AuditDoor;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.store.DatabaseUnavailableException;
import uk.bookinghub.store.StoreException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code GET /api/events}: the server-sent event streams of this hub instance. Served by a Vert.x
 * handler on the platform-http router, not by a Camel route: Camel 4.17's platform-http buffers a
 * streamed body (CAMEL-23804 came later), and a route step that wrote to the response would hold a
 * worker thread per open stream. The endpoint is still declared in {@code routes/events.camel.yaml}
 * (route {@value #ROUTE_ID}: the API description, the README, a stopped route answering 503), and the
 * handler applies that declaration itself as the front door would: credentials in the URL, unknown,
 * repeated or malformed parameters are 400s naming them, before the ticket is looked at.
 *
 * <p>A stream: the ticket is spent (401 if unknown, used or expired), the scope decided (a client's
 * own events; the admin's {@code ?clientKey=} or every client; another client's key is a 404), the
 * limits checked (429), then {@code 200 text/event-stream} with {@code retry:}; the events after
 * {@code Last-Event-ID} (header, or {@code ?lastEventId=}) are replayed from the table, or a
 * {@code reset} event says they are no longer kept; then live events as the {@link EventTail} hands
 * them over, each once and in id order; a comment line every {@code heartbeatMs}; the client's
 * {@code metrics} (no id) on opening and when they change. A stream that cannot keep up (more than
 * {@link #MAX_PENDING_BYTES} unsent) is ended: the browser reconnects and catches up from the table.
 */
public final class EventStreams implements Handler<RoutingContext>, EventTail.Sink {

    private static final Logger LOG = LoggerFactory.getLogger(EventStreams.class);

    /** The route that declares {@code GET /api/events} (its REST verb's {@code to: direct:events-stream}). */
    public static final String ROUTE_ID = "events-stream";
    /** Bytes written to a stream and not yet sent to the client before the stream is ended as too slow. */
    static final long MAX_PENDING_BYTES = 4L << 20;
    /** A replay waits for the client to take what was sent while more than this is unsent. */
    private static final long REPLAY_PENDING_BYTES = 256 << 10;
    /** Live events held for a stream while it replays; more and it is ended (it reconnects and replays again). */
    private static final int MAX_HELD = 50_000;
    private static final int REPLAY_PAGE = 1000;

    /** The limits and timings of streams ({@code hub.events.*}). */
    public record Settings(int maxPerClient, int maxStreams, long heartbeatMs, long retryMs) {
    }

    /** Whose events a stream carries: one client's ({@code client} set), or every client's (admin). */
    private record Scope(Client client, boolean admin) {
        Long clientId() {
            return client == null ? null : client.id();
        }

        String label() {
            return (admin ? "admin, " : "") + (client == null ? "every client" : "client " + client.clientKey());
        }
    }

    private record Request(String ticket, Long lastEventId, String clientKey) {
    }

    private final EventStore store;
    private final EventTickets tickets;
    private final ClientStore clients;
    private final Supplier<ApiCatalog> catalog;
    private final Supplier<AuditDoor> audit;
    private final ExecutorService blocking;
    private final LiveMetrics metrics;
    private final Settings settings;
    private volatile EventTail tail;
    private final Map<Long, Set<Stream>> byClient = new ConcurrentHashMap<>();
    private final Set<Stream> everyClient = ConcurrentHashMap.newKeySet();
    private final Map<Long, Integer> openPerClient = new java.util.HashMap<>();
    private int open;
    private volatile boolean stopping;
    private final Counter sent;
    private final Map<String, Counter> answers = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    EventStreams(EventStore store, EventTickets tickets, ClientStore clients, Supplier<ApiCatalog> catalog, Supplier<AuditDoor> audit,
                 ExecutorService blocking, LiveMetrics metrics, Settings settings, MeterRegistry registry) {
        this.store = store;
        this.tickets = tickets;
        this.clients = clients;
        this.catalog = catalog;
        this.audit = audit;
        this.blocking = blocking;
        this.metrics = metrics;
        this.settings = settings;
        this.registry = registry;
        Gauge.builder("hub.events.streams.open", this, EventStreams::openStreams).strongReference(true)
                .description("Server-sent event streams open on this instance (GET /api/events, route events-stream)").register(registry);
        sent = Counter.builder("hub.events.sent").description("Events written to the open streams of this instance (one per stream)").register(registry);
        for (String outcome : new String[] {"opened", "bad_request", "unauthorized", "not_found", "too_many", "unavailable"}) {
            answer(outcome);
        }
    }

    void tail(EventTail tail) {
        this.tail = tail;
    }

    /**
     * The route {@value #ROUTE_ID} itself: reached only if this handler is not on the router (the front
     * door already refuses tickets there). Closed, loudly: 503.
     */
    public void notServedHere() {
        throw new HttpProblem(503, "the event stream is served by its own handler, which is not running on this hub instance; reconnect");
    }

    /** Streams open now. */
    public synchronized int openStreams() {
        return open;
    }

    private Counter answer(String outcome) {
        return answers.computeIfAbsent(outcome, o -> Counter.builder("hub.events.stream.requests").tag("route_id", ROUTE_ID).tag("outcome", o)
                .description("GET /api/events requests by how they were answered (opened, bad_request, unauthorized, not_found, too_many, unavailable)")
                .register(registry));
    }

    // ---- opening a stream -----------------------------------------------------------------------------

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        Context context = ctx.vertx().getOrCreateContext();
        AuditDoor door = audit.get();
        String requestId = door == null ? java.util.UUID.randomUUID().toString() : door.requestId(request);
        response.putHeader(AuditDoor.HEADER, requestId);
        Request r;
        try {
            r = admit(request);
        } catch (HttpProblem p) {
            if (p.status() == 401) {
                String credential = request.getHeader("X-API-Key") != null ? "X-API-Key" : request.getHeader("Authorization") != null ? "Authorization" : "none";
                blocking.execute(() -> audited(request, requestId, p, credential));
            }
            refuse(response, p);
            return;
        }
        if (stopping || tail == null) {
            refuse(response, new HttpProblem(503, "the event stream is not available on this instance right now; reconnect in a moment"));
            return;
        }
        blocking.execute(() -> {
            Stream s;
            try {
                Scope scope = authorise(r);
                s = new Stream(scope, response, context, r.lastEventId());
                reserve(s);
            } catch (HttpProblem p) {
                if (p.status() == 401) {
                    audited(request, requestId, p, "ticket");
                }
                context.runOnContext(v -> refuse(response, p));
                return;
            } catch (DatabaseUnavailableException | StoreException e) {
                LOG.warn("[EVENTS] a stream could not open: {}", e.getMessage());
                context.runOnContext(v -> refuse(response, new HttpProblem(503, "database unavailable; reconnect in a moment")));
                return;
            } catch (RuntimeException e) {
                LOG.error("[EVENTS] a stream could not open", e);
                context.runOnContext(v -> refuse(response, new HttpProblem(500, "internal error; it has been logged")));
                return;
            }
            context.runOnContext(v -> begin(s));
        });
    }

    /** A refused credential is an {@code auth_failure} row of the audit log, as on every other endpoint. */
    private void audited(HttpServerRequest request, String requestId, HttpProblem p, String credential) {
        AuditDoor door = audit.get();
        if (door == null) {
            return;
        }
        try {
            door.authFailure(request, requestId, p.status(), "GET /api/events", p.getMessage(), credential);
        } catch (RuntimeException e) {
            LOG.error("[AUDIT] [CRITICAL ALERT] request {} (GET /api/events, answered {}): its audit row could not be written: {}", requestId, p.status(),
                    e.toString());
        }
    }

    /** The front door's checks, from the endpoint's declaration; a 400 names what was wrong. */
    private Request admit(HttpServerRequest request) {
        ApiCatalog c = catalog.get();
        ApiEndpoint e = c == null ? null : c.endpoint(ROUTE_ID);
        if (e == null) {
            LOG.error("[CRITICAL ALERT] GET /api/events has no declaration (route {} in routes/events.camel.yaml): refused", ROUTE_ID);
            throw new HttpProblem(503, "the event stream is not declared on this hub; it is closed");
        }
        String rawQuery = request.query();
        ApiEndpoint.refuseCredentials(rawQuery);
        ApiEndpoint.refuseDotSegments(request.path());
        Params params = e.typed(e.query(rawQuery), Map.of());
        Long last = params.whole("lastEventId");
        String header = request.getHeader("Last-Event-ID");
        if (header != null && !header.isBlank()) {
            String h = header.trim();
            if (!h.matches("[0-9]{1,18}")) {
                throw HttpProblem.badRequest("Last-Event-ID must be the id of an event (a whole number), got '" + (h.length() > 40 ? h.substring(0, 40) + "…" : h) + "'",
                        Map.of("header", "Last-Event-ID"));
            }
            last = Long.parseLong(h); // the browser's own, newer than the URL's
        }
        String ticket = params.text("ticket");
        if (ticket == null) {
            throw HttpProblem.unauthorized("missing credentials: open the stream with ?ticket=<ticket> from POST /api/events/ticket");
        }
        return new Request(ticket, last, params.text("clientKey"));
    }

    /** Spends the ticket and decides whose events the stream carries. */
    private Scope authorise(Request r) {
        EventStore.TicketOwner owner = tickets.spend(r.ticket()).orElseThrow(() -> HttpProblem.unauthorized(
                "the ticket is unknown, already used or expired: get a new one from POST /api/events/ticket (each opens one stream, within a minute)"));
        if (owner.admin()) {
            if (r.clientKey() == null) {
                return new Scope(null, true);
            }
            return new Scope(clients.byKey(r.clientKey()).orElseThrow(() -> HttpProblem.notFound("no client " + r.clientKey())), true);
        }
        Client own = owner.clientId() == null ? null : clients.byId(owner.clientId()).orElse(null);
        if (own == null) {
            throw HttpProblem.unauthorized("the ticket's client no longer exists");
        }
        if (r.clientKey() != null && !r.clientKey().equals(own.clientKey())) {
            throw HttpProblem.notFound("no client " + r.clientKey()); // another client's: a 404, never a hint that it exists
        }
        return new Scope(own, false);
    }

    private synchronized void reserve(Stream s) {
        if (open >= settings.maxStreams()) {
            throw new HttpProblem(429, "this hub instance has " + open + " event streams open, the most it serves (hub.events.max-streams); "
                    + "reconnect later", Map.of("retryAfterSeconds", 30));
        }
        Long id = s.scope.clientId();
        if (id != null && !s.scope.admin()) {
            int mine = openPerClient.getOrDefault(id, 0);
            if (mine >= settings.maxPerClient()) {
                throw new HttpProblem(429, "client " + s.scope.client().clientKey() + " has " + mine + " event streams open here, the most it may "
                        + "(hub.events.max-streams-per-client); close one first", Map.of("retryAfterSeconds", 30));
            }
            openPerClient.put(id, mine + 1);
        }
        open++;
    }

    private synchronized void release(Stream s) {
        Long id = s.scope.clientId();
        if (id != null && !s.scope.admin()) {
            openPerClient.computeIfPresent(id, (k, n) -> n <= 1 ? null : n - 1);
        }
        open--;
    }

    /** On the stream's event loop: the head, then the stream is registered and catches up on a worker. */
    private void begin(Stream s) {
        HttpServerResponse response = s.response;
        if (response.closed() || response.ended() || stopping) {
            if (!response.closed() && !response.ended()) {
                refuse(response, new HttpProblem(503, "the hub is stopping; reconnect"));
            }
            release(s);
            return;
        }
        answer("opened").increment();
        response.setStatusCode(200).setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache, no-transform")
                .putHeader("X-Accel-Buffering", "no");
        response.write("retry: " + settings.retryMs() + "\n: events of " + s.scope.label() + "\n\n");
        response.closeHandler(v -> close(s, null));
        response.exceptionHandler(e -> close(s, null));
        s.timer = s.context.owner().setPeriodic(settings.heartbeatMs(), id -> s.send(":\n\n"));
        register(s);
        blocking.execute(() -> catchUp(s));
        LOG.debug("[EVENTS] stream opened: {} after {}", s.scope.label(), s.lastEventId);
    }

    private void register(Stream s) {
        Long id = s.scope.clientId();
        if (id == null) {
            everyClient.add(s);
        } else {
            byClient.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(s);
        }
    }

    private void unregister(Stream s) {
        Long id = s.scope.clientId();
        if (id == null) {
            everyClient.remove(s);
        } else {
            byClient.computeIfPresent(id, (k, set) -> {
                set.remove(s);
                return set.isEmpty() ? null : set;
            });
        }
    }

    /** On a worker: what the stream missed (or a reset), then the live events held meanwhile, then the client's metrics. */
    private void catchUp(Stream s) {
        try {
            long upTo = tail.cursor();
            Long last = s.lastEventId;
            if (last == null || last == upTo) {
                s.attach(upTo);
            } else if (last > upTo) {
                // another instance may already have handed out a newer id: skip to it, unless no such event exists
                if (last > store.maxId()) {
                    s.reset(upTo, "event " + last + " is not one of this hub's: reload the totals");
                } else {
                    s.attach(last);
                }
            } else {
                long oldest = store.minId();
                if (oldest == 0 || last < oldest - 1) {
                    s.reset(upTo, "events after " + last + " are no longer kept (24 h): reload the totals");
                } else {
                    long from = last;
                    while (!s.closed) {
                        List<EventStore.Row> rows = store.between(from, upTo, s.scope.clientId(), REPLAY_PAGE);
                        for (EventStore.Row row : rows) {
                            s.replayed(row, frame(row));
                            from = row.id();
                        }
                        if (rows.size() < REPLAY_PAGE) {
                            break;
                        }
                        s.awaitDrain();
                    }
                    s.attach(upTo);
                }
            }
            Long client = s.scope.clientId();
            if (client != null && !s.closed) {
                String m = metrics.latest(client);
                if (m != null) {
                    s.send(m);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("[EVENTS] a stream could not catch up ({}): ended, the client reconnects", e.getMessage());
            close(s, "the hub could not read the events; reconnect");
        }
    }

    // ---- live events ------------------------------------------------------------------------------------

    @Override
    public void deliver(List<EventStore.Row> rows) {
        for (EventStore.Row row : rows) {
            Set<Stream> mine = byClient.get(row.clientId());
            if (mine == null && everyClient.isEmpty()) {
                continue;
            }
            String frame = frame(row);
            if (mine != null) {
                mine.forEach(s -> s.offer(row, frame));
                metrics.changed(row.clientId());
            }
            everyClient.forEach(s -> s.offer(row, frame));
        }
    }

    /** Once a second: the clients whose totals are due get a {@code metrics} event if they changed. */
    void tickMetrics() {
        long now = System.currentTimeMillis();
        for (Long client : byClient.keySet()) {
            if (metrics.due(client, now)) {
                blocking.execute(() -> {
                    String frame = metrics.refresh(client);
                    Set<Stream> mine = frame == null ? null : byClient.get(client);
                    if (mine != null) {
                        mine.forEach(s -> s.sendLive(frame));
                    }
                });
            }
        }
    }

    /** One SSE message: {@code id} is the row id, {@code event} its type, {@code data} the envelope with the stored data. */
    String frame(EventStore.Row row) {
        String data = row.data();
        if (data.indexOf('\n') >= 0 || data.indexOf('\r') >= 0) {
            data = data.replace("\r", "").replace("\n", ""); // only JSON whitespace can be a raw line break
        }
        String clientKey = clients.byId(row.clientId()).map(Client::clientKey).orElse(null);
        return "id: " + row.id() + "\nevent: " + row.type() + "\ndata: {\"id\":" + row.id() + ",\"type\":" + Json.write(row.type())
                + ",\"clientKey\":" + Json.write(clientKey) + ",\"at\":" + Json.write(row.at() == null ? null : row.at().toString())
                + ",\"data\":" + data + "}\n\n";
    }

    // ---- closing ------------------------------------------------------------------------------------------

    /** Ends the stream (with a last comment saying why, when given) and forgets it. */
    private void close(Stream s, String why) {
        synchronized (s) {
            if (s.closed) {
                return;
            }
            s.closed = true;
        }
        unregister(s);
        release(s);
        s.context.runOnContext(v -> {
            s.context.owner().cancelTimer(s.timer);
            HttpServerResponse response = s.response;
            if (!response.closed() && !response.ended()) {
                if (why != null) {
                    response.write(": " + why + "\n\n");
                }
                response.end();
            }
        });
    }

    /** The hub is stopping: every stream is ended cleanly (browsers reconnect, to another instance, with their Last-Event-ID). */
    void closeAll() {
        stopping = true;
        List<Stream> all = new ArrayList<>(everyClient);
        byClient.values().forEach(all::addAll);
        all.forEach(s -> close(s, "the hub is stopping; reconnect"));
        if (!all.isEmpty()) {
            LOG.info("[EVENTS] {} event stream(s) ended: the hub is stopping", all.size());
        }
    }

    private static void refuse(HttpServerResponse response, HttpProblem p) {
        if (response.closed() || response.ended() || response.headWritten()) {
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", p.getMessage());
        body.putAll(p.details());
        response.setStatusCode(p.status()).putHeader("Content-Type", "application/json");
        if (p.status() == 429 || p.status() == 503) {
            response.putHeader("Retry-After", p.status() == 429 ? "30" : "5");
        }
        response.end(Json.write(body));
    }

    /** One open stream. Events reach it in id order from the tail (live) or a worker (replay); each is written once. */
    private final class Stream {
        final Scope scope;
        final HttpServerResponse response;
        final Context context;
        final Long lastEventId;
        final AtomicLong pending = new AtomicLong();
        long timer = -1;
        volatile boolean closed;
        private long lastId = -1;
        private List<Object[]> held = new ArrayList<>(); // live events while the stream catches up; null after

        Stream(Scope scope, HttpServerResponse response, Context context, Long lastEventId) {
            this.scope = scope;
            this.response = response;
            this.context = context;
            this.lastEventId = lastEventId;
        }

        /** A live event (the tail's thread). */
        synchronized void offer(EventStore.Row row, String frame) {
            if (closed) {
                return;
            }
            if (held != null) {
                held.add(new Object[] {row.id(), frame});
                if (held.size() > MAX_HELD) {
                    blocking.execute(() -> close(this, "too many events arrived while the stream caught up; reconnect"));
                }
                return;
            }
            if (row.id() > lastId) {
                lastId = row.id();
                send(frame);
            }
        }

        /** A replayed event (a worker). */
        synchronized void replayed(EventStore.Row row, String frame) {
            if (row.id() > lastId) {
                lastId = row.id();
                send(frame);
            }
        }

        /** Caught up to {@code upTo}: the held live events after it follow, then live ones as they come. */
        synchronized void attach(long upTo) {
            lastId = Math.max(lastId, upTo);
            for (Object[] h : held) {
                long id = (Long) h[0];
                if (id > lastId) {
                    lastId = id;
                    send((String) h[1]);
                }
            }
            held = null;
        }

        /** The events after the client's Last-Event-ID cannot be given: it reloads what it shows and follows from {@code at}. */
        synchronized void reset(long at, String why) {
            lastId = at;
            send("id: " + at + "\nevent: reset\ndata: " + Json.write(Map.of("lastEventId", at, "reason", why)) + "\n\n");
            attach(at);
        }

        /** A frame without an id (metrics): only once the stream has caught up. */
        synchronized void sendLive(String frame) {
            if (held == null) {
                send(frame);
            }
        }

        void send(String text) {
            if (closed) {
                return;
            }
            Buffer b = Buffer.buffer(text, StandardCharsets.UTF_8.name());
            long queued = pending.addAndGet(b.length());
            if (queued > MAX_PENDING_BYTES) {
                LOG.info("[EVENTS] a stream of {} fell {} bytes behind: ended, it reconnects and catches up", scope.label(), queued);
                blocking.execute(() -> close(this, "the client is too slow; reconnect"));
                return;
            }
            if (text.startsWith("id: ")) {
                sent.increment();
            }
            context.runOnContext(v -> {
                if (response.closed() || response.ended()) {
                    pending.addAndGet(-b.length());
                    return;
                }
                response.write(b).onComplete(done -> pending.addAndGet(-b.length()));
            });
        }

        /** A replay waits (up to 30 s) while the client has much unsent. */
        void awaitDrain() {
            long deadline = System.currentTimeMillis() + 30_000;
            while (!closed && pending.get() > REPLAY_PENDING_BYTES) {
                if (System.currentTimeMillis() > deadline) {
                    close(this, "the client took nothing for 30 s; reconnect");
                    return;
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
