package uk.bookinghub.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * The HTTP scaffolding the partner stand-ins (Twilio, Vapi, Google Calendar) share: a JDK HTTP
 * server on 127.0.0.1 (a free port unless one is given) with its own worker threads, scripted
 * latency that never blocks a worker, JSON replies, request bodies (inflated when gzipped),
 * {@link Recording request recording} and {@link Script scripted failures}. What each partner
 * says on the wire (paths, bodies, headers, error formats) stays in its own class.
 *
 * <p>A subclass builds its own state in its constructor, then calls {@link #serve()}: requests
 * reach {@link #handle} only after that.
 */
public abstract class StubServer implements AutoCloseable {

    private final HttpServer server;
    /** Where requests are handled (and delayed replies written). */
    protected final ExecutorService workers;
    private final ScheduledExecutorService delayer;
    private volatile Duration delay = Duration.ZERO;

    /** {@code name} prefixes the thread names ({@code name-stub-N}, {@code name-stub-delay-N}). */
    protected StubServer(String name, int port, int threads, int delayThreads) throws IOException {
        // small responses written as headers + body: without TCP_NODELAY, Nagle + delayed ACK stall keep-alive
        // clients for ~40 ms per request. Read once by the JDK when its HTTP server is first used.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        this.workers = Executors.newFixedThreadPool(threads, daemon(name + "-stub-"));
        this.delayer = Executors.newScheduledThreadPool(delayThreads, daemon(name + "-stub-delay-"));
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 1024);
        server.setExecutor(workers);
        server.createContext("/", this::handle);
    }

    /** Starts answering; the last step of a subclass's constructor. */
    protected final void serve() {
        server.start();
    }

    /** One request; the subclass answers it (now, or later through {@link #reply}). */
    protected abstract void handle(HttpExchange ex) throws IOException;

    public int port() {
        return server.getAddress().getPort();
    }

    /** The server itself, for a stand-alone main that adds its own contexts or filters. */
    protected HttpServer httpServer() {
        return server;
    }

    /** {@code http://host:PORT}, for the subclass's {@code baseUrl()}. */
    protected String url(String host) {
        return "http://" + host + ":" + port();
    }

    @Override
    public void close() {
        server.stop(0);
        delayer.shutdownNow();
        workers.shutdownNow();
    }

    // ---------------------------------------------------------------- latency

    /** Simulated latency added to the replies that go through {@link #reply} (default none). Does not block worker threads. */
    public void delay(Duration latency) {
        this.delay = latency == null ? Duration.ZERO : latency;
    }

    /** The latency {@link #delay(Duration)} set. */
    public Duration delay() {
        return delay;
    }

    /** Runs {@code reply} now, or after the scripted latency on a worker thread. */
    protected final void reply(Runnable reply) {
        Duration d = delay;
        if (d.isZero() || d.isNegative()) {
            reply.run();
        } else {
            delayer.schedule(() -> workers.execute(reply), d.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    // ---------------------------------------------------------------- bodies

    /** Writes a reply; {@code body} null = no body at all (length -1). */
    protected static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
        if (body == null) {
            ex.sendResponseHeaders(status, -1);
            ex.close();
            return;
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The request body as sent. */
    protected static byte[] readRaw(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            return in.readAllBytes();
        }
    }

    /** The request body, inflated when {@code Content-Encoding} says gzip (Google's and Vapi's clients may send it). */
    protected static byte[] readBody(HttpExchange ex) throws IOException {
        byte[] raw = readRaw(ex);
        String enc = ex.getRequestHeaders().getFirst("Content-Encoding");
        if (enc != null && enc.toLowerCase(Locale.ROOT).contains("gzip") && raw.length > 0) {
            try (InputStream gz = new GZIPInputStream(new ByteArrayInputStream(raw))) {
                return gz.readAllBytes();
            }
        }
        return raw;
    }

    protected static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ---------------------------------------------------------------- recording and scripts

    /** What a stub received, in the order it answered; safe to read while requests arrive. */
    public static final class Recording<T> {
        private final List<T> items = new ArrayList<>();

        public synchronized void add(T item) {
            items.add(item);
        }

        public synchronized List<T> all() {
            return List.copyOf(items);
        }

        public synchronized List<T> where(Predicate<? super T> p) {
            return items.stream().filter(p).toList();
        }

        public synchronized int count(Predicate<? super T> p) {
            return (int) items.stream().filter(p).count();
        }

        public synchronized int size() {
            return items.size();
        }

        public synchronized void clear() {
            items.clear();
        }
    }

    /** Scripted failures of one kind: one for every request until cleared, or one for the next n requests. */
    public static final class Script<F> {
        private F always;
        private F next;
        private int nextRemaining;

        /** The next {@code times} requests get {@code fault}. */
        public synchronized void next(int times, F fault) {
            next = fault;
            nextRemaining = times;
        }

        /** Every request gets {@code fault} until {@link #clear()}. */
        public synchronized void always(F fault) {
            always = fault;
        }

        public synchronized void clear() {
            always = null;
            next = null;
            nextRemaining = 0;
        }

        /** The fault for this request, or null; counts down a {@link #next} script. */
        public synchronized F take() {
            if (always != null) {
                return always;
            }
            if (next != null && nextRemaining > 0) {
                F f = next;
                if (--nextRemaining == 0) {
                    next = null;
                }
                return f;
            }
            return null;
        }
    }
}
