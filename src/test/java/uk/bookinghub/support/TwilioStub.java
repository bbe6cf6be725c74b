package uk.bookinghub.support;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Local stand-in for {@code api.twilio.com} (Programmable Messaging, protocols.md §2): serves
 * {@code POST /2010-04-01/Accounts/{AccountSid}/Messages.json} with Twilio's wire format (form-urlencoded in,
 * HTTP Basic auth, 201 + Message JSON out, Twilio error JSON on failure), records every request, and can be
 * scripted to fail. JDK only (no dependencies), so it can also run as a stand-alone process for benchmarks
 * ({@link #main(String[])}).
 *
 * <p>Order of checks per request: method → Basic auth + path AccountSid (401/20003) → {@link #failAlways} →
 * {@link #failNext} → parameter validation (21604 / 21603 / 21602 / 21617) → {@link #failFor} → 201.
 * A refused request never creates a message. Note that twilio-java retries 5xx responses itself (3 attempts),
 * so each of those attempts consumes one {@code failNext}; 4xx (incl. 429) are not retried by the SDK.
 *
 * <p>Extra endpoints: {@code GET /2010-04-01/Accounts/{sid}/Messages/{MessageSid}.json} (fetch a created
 * message), {@code GET /stub/stats}, {@code POST /stub/reset}.
 */
public final class TwilioStub extends StubServer {

    /** One request to Messages.json, accepted (httpStatus 201, sid set) or refused (sid null). */
    public record Received(String to, String from, String messagingServiceSid, String body, String statusCallback,
                           Map<String, String> params, String authorization, String sid, int httpStatus,
                           Instant at) {
        public boolean accepted() {
            return httpStatus == 201;
        }
    }

    private record Fault(int httpStatus, int twilioCode, String message) {
    }

    private static final Pattern MESSAGES = Pattern.compile("^/2010-04-01/Accounts/([^/]+)/Messages\\.json$");
    private static final Pattern MESSAGE =
            Pattern.compile("^/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)\\.json$");
    /** RFC 2822 as Twilio writes it: "Thu, 30 Jul 2015 20:12:31 +0000". */
    private static final DateTimeFormatter RFC_2822 =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.US).withZone(ZoneOffset.UTC);
    private static final AtomicLong SID_COUNTER = new AtomicLong();

    private final String accountSid;
    private final String authToken;
    private final String expectedAuthorization;
    private final Recording<Received> received = new Recording<>(); // record() and reset() also lock it: sentCount moves with it
    private final Map<String, String> messagesBySid = new ConcurrentHashMap<>();
    private final AtomicInteger sentCount = new AtomicInteger();

    private final Script<Fault> faults = new Script<>();
    /** What the Message JSON says for price / price_unit (Twilio's answer to a create usually has a null price; a test may set one). */
    private volatile String price;
    private volatile String priceUnit = "USD";
    private final Map<String, Fault> perRecipient = new HashMap<>(); // guarded by itself

    private TwilioStub(String accountSid, String authToken, int port, int threads) throws IOException {
        super("twilio", port, threads, 4);
        this.accountSid = accountSid;
        this.authToken = authToken;
        this.expectedAuthorization = "Basic " + Base64.getEncoder()
                .encodeToString((accountSid + ":" + authToken).getBytes(StandardCharsets.UTF_8));
        serve();
    }

    /** Starts on 127.0.0.1, a free port, 16 worker threads. */
    public static TwilioStub start(String accountSid, String authToken) {
        return start(accountSid, authToken, 0);
    }

    /** Starts on 127.0.0.1:{@code port} (0 = free port). */
    public static TwilioStub start(String accountSid, String authToken, int port) {
        try {
            return new TwilioStub(accountSid, authToken, port, 16);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start Twilio stub", e);
        }
    }

    /** {@code http://localhost:PORT} — what replaces {@code https://api.twilio.com}. */
    public String baseUrl() {
        return url("localhost");
    }

    public String accountSid() {
        return accountSid;
    }

    // ---------------------------------------------------------------- recordings

    /** Every Messages.json request, accepted or refused, in arrival-of-response order. */
    public List<Received> received() {
        return received.all();
    }

    /** Only the accepted (201) requests. */
    public List<Received> sent() {
        return received.where(Received::accepted);
    }

    public int sentCount() {
        return sentCount.get();
    }

    /** Accepted requests whose To equals {@code e164}. */
    public List<Received> sentTo(String e164) {
        return received.where(r -> r.accepted() && e164.equals(r.to()));
    }

    /** Clears recordings and every script (faults and delay). */
    public void reset() {
        faults.clear();
        synchronized (perRecipient) {
            perRecipient.clear();
        }
        delay(Duration.ZERO);
        price = null;
        priceUnit = "USD";
        synchronized (received) {
            received.clear();
            sentCount.set(0);
        }
        messagesBySid.clear();
    }

    // ---------------------------------------------------------------- scripts

    /** The next {@code times} authenticated requests get this error, then normal behaviour resumes. */
    public void failNext(int times, int httpStatus, int twilioCode, String message) {
        faults.next(times, new Fault(httpStatus, twilioCode, message));
    }

    /** Every authenticated request gets this error until {@link #recover()}. */
    public void failAlways(int httpStatus, int twilioCode, String message) {
        faults.always(new Fault(httpStatus, twilioCode, message));
    }

    /**
     * From now on every created message carries this price, as Twilio writes it: a negative decimal
     * string ("-0.0400") and its ISO 4217 unit ("USD", "GBP"); null price = Twilio's usual null.
     * {@link #reset()} goes back to null / USD.
     */
    public void price(String price, String unit) {
        this.price = price;
        this.priceUnit = unit;
    }

    /** Ends {@link #failAlways} and any remaining {@link #failNext}; {@link #failFor} scripts stay. */
    public void recover() {
        faults.clear();
    }

    /** Every (otherwise valid) request to this recipient gets this error, until {@link #reset()}. */
    public void failFor(String toE164, int httpStatus, int twilioCode, String message) {
        synchronized (perRecipient) {
            perRecipient.put(toE164, new Fault(httpStatus, twilioCode, message));
        }
    }

    // ---------------------------------------------------------------- HTTP

    @Override
    protected void handle(HttpExchange ex) throws IOException {
        try {
            byte[] raw = readRaw(ex);
            String path = ex.getRequestURI().getRawPath();
            String method = ex.getRequestMethod();
            Matcher m;
            if ((m = MESSAGES.matcher(path)).matches()) {
                messages(ex, method, URLDecoder.decode(m.group(1), StandardCharsets.UTF_8), raw);
            } else if ((m = INCOMING_NUMBERS.matcher(path)).matches() && "GET".equals(method)) {
                incomingPhoneNumbers(ex, URLDecoder.decode(m.group(1), StandardCharsets.UTF_8));
            } else if ((m = MESSAGE.matcher(path)).matches() && "GET".equals(method)) {
                fetchMessage(ex, URLDecoder.decode(m.group(1), StandardCharsets.UTF_8), m.group(2));
            } else if ("/stub/stats".equals(path) && "GET".equals(method)) {
                respond(ex, 200, stats());
            } else if ("/stub/reset".equals(path) && "POST".equals(method)) {
                reset();
                respond(ex, 200, "{\"reset\":true}");
            } else {
                respond(ex, 404, errorJson(404, 20404, "The requested resource " + path + " was not found"));
            }
        } catch (Throwable e) { // never leave a client hanging without an answer
            try {
                respond(ex, 500, errorJson(500, 20500, "Internal Server Error"));
            } catch (Throwable ignored) {
                ex.close();
            }
        }
    }

    private void messages(HttpExchange ex, String method, String pathSid, byte[] raw) throws IOException {
        if ("GET".equals(method)) {
            listMessages(ex, pathSid);
            return;
        }
        if (!"POST".equals(method)) {
            respond(ex, 405, errorJson(405, 20004, "Method not allowed"));
            return;
        }
        String authorization = ex.getRequestHeaders().getFirst("Authorization");
        Map<String, String> params = parseForm(new String(raw, StandardCharsets.UTF_8));
        String to = params.get("To");
        String from = params.get("From");
        String mss = params.get("MessagingServiceSid");
        String body = params.get("Body");
        String callback = params.get("StatusCallback");

        Fault fault;
        if (!expectedAuthorization.equals(authorization) || !accountSid.equals(pathSid)) {
            fault = new Fault(401, 20003, "Authenticate");
        } else {
            fault = faults.take();
            if (fault == null) {
                fault = validate(to, from, mss, body);
            }
            if (fault == null && to != null) {
                synchronized (perRecipient) {
                    fault = perRecipient.get(to);
                }
            }
        }

        final Fault f = fault;
        Runnable reply = () -> {
            try {
                if (f != null) {
                    record(new Received(to, from, mss, body, callback, params, authorization, null, f.httpStatus,
                            Instant.now()));
                    respond(ex, f.httpStatus, errorJson(f.httpStatus, f.twilioCode, f.message));
                } else {
                    String sid = newSid("SM");
                    Instant now = Instant.now();
                    String json = messageJson(sid, to, blankToNull(from), blankToNull(mss), body, now);
                    messagesBySid.put(sid, json);
                    record(new Received(to, from, mss, body, callback, params, authorization, sid, 201, now));
                    respond(ex, 201, json);
                    deliverLater(sid, to, blankToNull(from), callback);
                }
            } catch (Throwable e) {
                ex.close();
            }
        };
        reply(reply);
    }

    /**
     * GET Messages.json (the list, newest first, Twilio's page format): filters To and From;
     * PageSize (default 50). What a sender uses to find out whether Twilio already took a message.
     */
    private void listMessages(HttpExchange ex, String pathSid) throws IOException {
        String authorization = ex.getRequestHeaders().getFirst("Authorization");
        if (!expectedAuthorization.equals(authorization) || !accountSid.equals(pathSid)) {
            respond(ex, 401, errorJson(401, 20003, "Authenticate"));
            return;
        }
        Map<String, String> q = parseForm(ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery());
        int size = q.containsKey("PageSize") ? Integer.parseInt(q.get("PageSize")) : 50;
        List<String> items = new ArrayList<>();
        List<Received> all = sent();
        for (int i = all.size() - 1; i >= 0 && items.size() < size; i--) {
            Received r = all.get(i);
            if ((q.get("To") == null || q.get("To").equals(r.to())) && (q.get("From") == null || q.get("From").equals(r.from()))) {
                String json = messagesBySid.get(r.sid());
                if (json != null) {
                    items.add(json);
                }
            }
        }
        String uri = "/2010-04-01/Accounts/" + pathSid + "/Messages.json";
        respond(ex, 200, "{\"end\":" + Math.max(0, items.size() - 1) + ",\"first_page_uri\":\"" + uri + "?PageSize=" + size + "&Page=0\",\"next_page_uri\":null,"
                + "\"page\":0,\"page_size\":" + size + ",\"previous_page_uri\":null,\"start\":0,\"uri\":\"" + uri + "?PageSize=" + size + "&Page=0\","
                + "\"messages\":[" + String.join(",", items) + "]}");
    }

    // ---------------------------------------------------------------- incoming phone numbers (onboarding's numbers check)

    private static final Pattern INCOMING_NUMBERS = Pattern.compile("^/2010-04-01/Accounts/([^/]+)/IncomingPhoneNumbers\\.json$");
    private final Map<String, String> incomingNumbers = new ConcurrentHashMap<>();

    /** Puts a number on the account: {@code GET .../IncomingPhoneNumbers.json?PhoneNumber=} then lists it (SMS and voice capable). */
    public void addIncomingNumber(String e164) {
        String sid = newSid("PN");
        String uri = "/2010-04-01/Accounts/" + accountSid + "/IncomingPhoneNumbers/" + sid + ".json";
        incomingNumbers.put(e164, "{\"account_sid\":\"" + accountSid + "\",\"api_version\":\"2010-04-01\",\"sid\":\"" + sid + "\","
                + "\"phone_number\":\"" + e164 + "\",\"friendly_name\":\"" + e164 + "\",\"status\":\"in-use\","
                + "\"capabilities\":{\"voice\":true,\"sms\":true,\"mms\":false,\"fax\":false},"
                + "\"date_created\":\"" + RFC_2822.format(Instant.now()) + "\",\"date_updated\":\"" + RFC_2822.format(Instant.now()) + "\","
                + "\"uri\":\"" + uri + "\"}");
    }

    /** Twilio's list page of IncomingPhoneNumbers, filtered by PhoneNumber (exact E.164 here); an empty list when it is not the account's. */
    private void incomingPhoneNumbers(HttpExchange ex, String pathSid) throws IOException {
        String authorization = ex.getRequestHeaders().getFirst("Authorization");
        if (!expectedAuthorization.equals(authorization) || !accountSid.equals(pathSid)) {
            respond(ex, 401, errorJson(401, 20003, "Authenticate"));
            return;
        }
        Map<String, String> q = parseForm(ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery());
        String wanted = q.get("PhoneNumber");
        List<String> items = new ArrayList<>();
        incomingNumbers.forEach((number, json) -> {
            if (wanted == null || wanted.equals(number)) {
                items.add(json);
            }
        });
        int size = q.containsKey("PageSize") ? Integer.parseInt(q.get("PageSize")) : 50;
        String uri = "/2010-04-01/Accounts/" + pathSid + "/IncomingPhoneNumbers.json";
        respond(ex, 200, "{\"end\":" + Math.max(0, items.size() - 1) + ",\"first_page_uri\":\"" + uri + "?PageSize=" + size + "&Page=0\",\"next_page_uri\":null,"
                + "\"page\":0,\"page_size\":" + size + ",\"previous_page_uri\":null,\"start\":0,\"uri\":\"" + uri + "?PageSize=" + size + "&Page=0\","
                + "\"incoming_phone_numbers\":[" + String.join(",", items) + "]}");
    }

    // ---------------------------------------------------------------- delivery reports (status callbacks, as Twilio sends them)

    private volatile boolean deliver;
    private final java.net.http.HttpClient callbacks = java.net.http.HttpClient.newHttpClient();

    /**
     * From now on each created message with a {@code StatusCallback} is reported {@code delivered} to it a moment
     * later: a form POST signed with {@code X-Twilio-Signature} (this stub's auth token), as Twilio does.
     */
    public void deliverMessages(boolean on) {
        this.deliver = on;
    }

    private void deliverLater(String sid, String to, String from, String callback) {
        if (!deliver || callback == null || callback.isBlank()) {
            return;
        }
        workers.execute(() -> {
            try {
                Thread.sleep(200); // Twilio reports after the create's answer
                Map<String, String> params = TwilioSigner.statusCallback(sid, "delivered", null, accountSid, from, to);
                java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(callback))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header(TwilioSigner.HEADER, TwilioSigner.sign(authToken, callback, params))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(TwilioSigner.form(params))).build();
                callbacks.send(req, java.net.http.HttpResponse.BodyHandlers.discarding());
            } catch (Exception e) {
                // a report that does not arrive is what a real network may do too
            }
        });
    }

    private void fetchMessage(HttpExchange ex, String pathSid, String messageSid) throws IOException {
        String authorization = ex.getRequestHeaders().getFirst("Authorization");
        if (!expectedAuthorization.equals(authorization) || !accountSid.equals(pathSid)) {
            respond(ex, 401, errorJson(401, 20003, "Authenticate"));
            return;
        }
        String json = messagesBySid.get(messageSid);
        if (json == null) {
            respond(ex, 404, errorJson(404, 20404, "The requested resource /2010-04-01/Accounts/" + pathSid
                    + "/Messages/" + messageSid + ".json was not found"));
        } else {
            respond(ex, 200, json);
        }
    }

    private static Fault validate(String to, String from, String mss, String body) {
        if (isBlank(to)) {
            return new Fault(400, 21604, "A 'To' phone number is required.");
        }
        if (isBlank(from) && isBlank(mss)) {
            return new Fault(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message");
        }
        if (isBlank(body)) {
            return new Fault(400, 21602, "Message body is required.");
        }
        if (body.length() > 1600) {
            return new Fault(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
        }
        return null;
    }

    private void record(Received r) {
        synchronized (received) {
            received.add(r);
            if (r.accepted()) {
                sentCount.incrementAndGet();
            }
        }
    }

    private String messageJson(String sid, String to, String from, String mss, String body, Instant now) {
        String date = RFC_2822.format(now);
        String uri = "/2010-04-01/Accounts/" + accountSid + "/Messages/" + sid;
        // with a Messaging Service and no From, Twilio answers "accepted" and picks the sender later (from: null)
        String status = from == null ? "accepted" : "queued";
        return "{\"account_sid\":" + str(accountSid)
                + ",\"api_version\":\"2010-04-01\""
                + ",\"body\":" + str(body)
                + ",\"date_created\":" + str(date)
                + ",\"date_sent\":null"
                + ",\"date_updated\":" + str(date)
                + ",\"direction\":\"outbound-api\""
                + ",\"error_code\":null"
                + ",\"error_message\":null"
                + ",\"from\":" + str(from)
                + ",\"messaging_service_sid\":" + str(mss)
                + ",\"num_media\":\"0\""
                + ",\"num_segments\":\"" + segments(body) + "\""
                + ",\"price\":" + str(price)
                + ",\"price_unit\":" + str(priceUnit)
                + ",\"sid\":" + str(sid)
                + ",\"status\":\"" + status + "\""
                + ",\"subresource_uris\":{\"media\":" + str(uri + "/Media.json") + "}"
                + ",\"to\":" + str(to)
                + ",\"uri\":" + str(uri + ".json")
                + "}";
    }

    private String stats() {
        int sent = 0;
        int refused = 0;
        Instant first = null;
        Instant last = null;
        Instant firstSent = null;
        Instant lastSent = null;
        synchronized (received) {
            for (Received r : received.all()) {
                if (r.accepted()) {
                    sent++;
                    firstSent = min(firstSent, r.at);
                    lastSent = max(lastSent, r.at);
                } else {
                    refused++;
                }
                first = min(first, r.at);
                last = max(last, r.at);
            }
        }
        return "{\"sent\":" + sent + ",\"refused\":" + refused
                + ",\"firstAt\":" + str(first == null ? null : first.toString())
                + ",\"lastAt\":" + str(last == null ? null : last.toString())
                + ",\"firstSentAt\":" + str(firstSent == null ? null : firstSent.toString())
                + ",\"lastSentAt\":" + str(lastSent == null ? null : lastSent.toString()) + "}";
    }

    private static Instant min(Instant a, Instant b) {
        return a == null || b.isBefore(a) ? b : a;
    }

    private static Instant max(Instant a, Instant b) {
        return a == null || b.isAfter(a) ? b : a;
    }

    private static void respond(HttpExchange ex, int status, String json) throws IOException {
        ex.getResponseHeaders().set("Twilio-Request-Id", newSid("RQ"));
        respond(ex, status, "application/json", json);
    }

    /** Twilio's REST error body: {"code":..,"message":..,"more_info":..,"status":..}. */
    public static String errorJson(int httpStatus, int twilioCode, String message) {
        return "{\"code\":" + twilioCode + ",\"message\":" + str(message)
                + ",\"more_info\":\"https://www.twilio.com/docs/errors/" + twilioCode + "\",\"status\":" + httpStatus
                + "}";
    }

    /** {@code prefix} + 32 lowercase hex chars, unique within this JVM. */
    public static String newSid(String prefix) {
        long random = ThreadLocalRandom.current().nextLong();
        long counter = SID_COUNTER.incrementAndGet() ^ 0x5DEECE66DL; // bijective, so still unique
        StringBuilder b = new StringBuilder(prefix.length() + 32).append(prefix);
        hex16(b, random);
        hex16(b, counter);
        return b.toString();
    }

    private static void hex16(StringBuilder b, long v) {
        for (int shift = 60; shift >= 0; shift -= 4) {
            b.append(Character.forDigit((int) (v >>> shift) & 0xF, 16));
        }
    }

    // ---------------------------------------------------------------- SMS segments

    private static final String GSM7_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001BÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private static final String GSM7_EXTENDED = "^{}\\[~]|€\f";

    /** Number of SMS segments: GSM-7 (160 / 153 septets) or UCS-2 (70 / 67 UTF-16 units). */
    public static int segments(String body) {
        if (body == null || body.isEmpty()) {
            return 1;
        }
        int septets = 0;
        boolean gsm = true;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (GSM7_BASIC.indexOf(c) >= 0) {
                septets++;
            } else if (GSM7_EXTENDED.indexOf(c) >= 0) {
                septets += 2;
            } else {
                gsm = false;
                break;
            }
        }
        if (gsm) {
            return septets <= 160 ? 1 : (septets + 152) / 153;
        }
        int units = body.length();
        return units <= 70 ? 1 : (units + 66) / 67;
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, String> parseForm(String form) {
        Map<String, String> params = new LinkedHashMap<>();
        if (form.isEmpty()) {
            return Collections.unmodifiableMap(params);
        }
        for (String pair : form.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(name, value); // repeated names (MediaUrl): last one wins
        }
        return Collections.unmodifiableMap(params);
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private static String blankToNull(String s) {
        return isBlank(s) ? null : s;
    }

    /** JSON string literal (or null); non-ASCII escaped as \\uXXXX like Twilio's own fixtures. */
    static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    // ---------------------------------------------------------------- stand-alone

    /**
     * {@code java ... uk.bookinghub.support.TwilioStub --port 0 --sid AC... --token ... --latency-ms 0}; prints
     * {@code TWILIO_STUB_URL=http://localhost:PORT} and serves until killed.
     */
    public static void main(String[] args) throws InterruptedException {
        int port = 0;
        String sid = "AC00000000000000000000000000000000";
        String token = "test-token";
        long latencyMs = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--port" -> { port = Integer.parseInt(require(a, v)); i++; }
                case "--sid" -> { sid = require(a, v); i++; }
                case "--token" -> { token = require(a, v); i++; }
                case "--latency-ms" -> { latencyMs = Long.parseLong(require(a, v)); i++; }
                default -> {
                    System.err.println("unknown argument " + a
                            + "; usage: TwilioStub [--port N] [--sid AC...] [--token T] [--latency-ms N]");
                    System.exit(2);
                }
            }
        }
        TwilioStub stub = start(sid, token, port);
        stub.delay(Duration.ofMillis(latencyMs));
        Runtime.getRuntime().addShutdownHook(new Thread(stub::close, "twilio-stub-shutdown"));
        System.out.println("TWILIO_STUB_URL=" + stub.baseUrl());
        System.out.flush();
        new CountDownLatch(1).await();
    }

    private static String require(String name, String value) {
        if (value == null) {
            System.err.println(name + " needs a value");
            System.exit(2);
        }
        return value;
    }
}
