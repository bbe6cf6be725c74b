package uk.bookinghub.support;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small server-sent events client over a plain socket, as a browser's EventSource reads a stream:
 * it sends one GET (with any headers, such as {@code Last-Event-ID}), reads the status and headers,
 * decodes the chunked body and splits it into events ({@code id}, {@code event}, {@code data}; comment
 * lines are counted, {@code retry:} kept). A refused request's JSON body is kept for the assertions.
 * Reading happens on a thread of its own; {@link #next} waits for the next event.
 */
public final class SseClient implements AutoCloseable {

    /** One event as it arrived; {@code id} null when the event had none (metrics). */
    public record Event(String id, String type, String data) {
        public JsonNode json() {
            return Jsons.read(data);
        }

        public long idNumber() {
            return Long.parseLong(id);
        }
    }

    private static final Event END = new Event(null, "__end__", null);

    private final Socket socket;
    private final int status;
    private final Map<String, String> headers;
    private final String errorBody;
    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final AtomicInteger comments = new AtomicInteger();
    private volatile String retry;
    private volatile boolean endedCleanly;
    private volatile boolean ended;

    private SseClient(Socket socket, int status, Map<String, String> headers, String errorBody) {
        this.socket = socket;
        this.status = status;
        this.headers = headers;
        this.errorBody = errorBody;
    }

    /** Opens {@code pathAndQuery} on 127.0.0.1:{@code port} with these header name / value pairs. */
    public static SseClient open(int port, String pathAndQuery, String... headerPairs) {
        try {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(30_000);
            StringBuilder req = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAccept: text/event-stream\r\n");
            for (int i = 0; i + 1 < headerPairs.length; i += 2) {
                req.append(headerPairs[i]).append(": ").append(headerPairs[i + 1]).append("\r\n");
            }
            req.append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String statusLine = line(in);
            if (statusLine == null) {
                throw new IOException("no answer");
            }
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
            boolean chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
            if (status != 200) {
                String body;
                if (chunked) {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    readChunks(in, b::write, () -> { });
                    body = b.toString(StandardCharsets.UTF_8);
                } else {
                    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
                    body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
                }
                s.close();
                return new SseClient(null, status, headers, body);
            }
            SseClient c = new SseClient(s, status, headers, null);
            Thread reader = new Thread(() -> c.read(in, chunked), "sse-client-" + port);
            reader.setDaemon(true);
            reader.start();
            return c;
        } catch (IOException e) {
            throw new IllegalStateException("cannot open " + pathAndQuery + ": " + e.getMessage(), e);
        }
    }

    public int status() {
        return status;
    }

    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The JSON body of a refused request (status not 200). */
    public JsonNode error() {
        return Jsons.read(errorBody);
    }

    public String errorBody() {
        return errorBody;
    }

    public String retry() {
        return retry;
    }

    /** Comment lines (heartbeats) received so far. */
    public int comments() {
        return comments.get();
    }

    /** Whether the server ended the stream with the chunked body's end (a clean close), once it has ended. */
    public boolean endedCleanly() {
        return endedCleanly;
    }

    public boolean ended() {
        return ended;
    }

    /** The next event, or null when none came within {@code timeout} or the stream ended. */
    public Event next(Duration timeout) {
        try {
            Event e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (e == END) {
                events.add(END);
                return null;
            }
            return e;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The next event that carries an id (skipping metrics and other id-less events), or null. */
    public Event nextWithId(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            Event e = next(Duration.ofNanos(left));
            if (e == null || e.id() != null) {
                return e;
            }
        }
    }

    /** The next {@code n} events with ids; fewer if they did not come within {@code timeout} in all. */
    public List<Event> nextWithIds(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Event> out = new ArrayList<>();
        while (out.size() < n) {
            long left = deadline - System.nanoTime();
            Event e = left <= 0 ? null : nextWithId(Duration.ofNanos(left));
            if (e == null) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    /** Waits up to {@code timeout} for the server to end the stream. */
    public boolean awaitEnd(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ended && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return ended;
    }

    private void read(InputStream in, boolean chunked) {
        StringBuilder pending = new StringBuilder();
        java.util.function.Consumer<byte[]> sink = bytes -> {
            pending.append(new String(bytes, StandardCharsets.UTF_8));
            int end;
            while ((end = pending.indexOf("\n\n")) >= 0) {
                String block = pending.substring(0, end);
                pending.delete(0, end + 2);
                parse(block);
            }
        };
        try {
            if (chunked) {
                readChunks(in, sink::accept, () -> endedCleanly = true);
            } else {
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) {
                    sink.accept(java.util.Arrays.copyOf(buf, n));
                }
            }
        } catch (IOException e) {
            // the connection closed (by us, or abruptly)
        } finally {
            ended = true;
            events.add(END);
        }
    }

    private void parse(String block) {
        String id = null;
        String type = "message";
        StringBuilder data = null;
        for (String l : block.split("\n", -1)) {
            if (l.startsWith(":")) {
                comments.incrementAndGet();
                continue;
            }
            int colon = l.indexOf(':');
            String field = colon < 0 ? l : l.substring(0, colon);
            String value = colon < 0 ? "" : l.substring(colon + 1).replaceFirst("^ ", "");
            switch (field) {
                case "id" -> id = value;
                case "event" -> type = value;
                case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                case "retry" -> retry = value;
                default -> { }
            }
        }
        if (data != null) {
            events.add(new Event(id, type, data.toString()));
        }
    }

    private interface Bytes {
        void accept(byte[] b) throws IOException;
    }

    private static void readChunks(InputStream in, Bytes sink, Runnable onEnd) throws IOException {
        while (true) {
            String size = line(in);
            if (size == null) {
                return;
            }
            if (size.isEmpty()) {
                continue;
            }
            int n = Integer.parseInt(size.split(";")[0].trim(), 16);
            if (n == 0) {
                line(in);
                onEnd.run();
                return;
            }
            byte[] b = in.readNBytes(n);
            if (b.length < n) {
                return;
            }
            sink.accept(b);
            line(in);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c < 0 && b.size() == 0) {
            return null;
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closed
            }
        }
    }
}
