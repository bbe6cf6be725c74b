import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Closed-loop load for the hub's Vapi booking tools ({@code tool-calls} on {@code POST /webhooks/vapi}), used by
 * {@code bench/tools.sh}. THREADS workers each send one request, wait for the answer, send the next; the first
 * WARMUP seconds are not measured, then DURATION seconds are (a request counts if it started in that window;
 * workers start no request after it and the ones in flight are waited for). With --think-ms T each worker pauses
 * a uniform [0.5 T, 1.5 T) between an answer and its next request (a caller talking), else it sends at once.
 *
 * <pre>
 *   java -cp 'target/lib/*' bench/tools/ToolLoad.java --mode avail|book --url http://127.0.0.1:8080/webhooks/vapi
 *        --secret S --client-key bench-plumbing [--threads 32] [--warmup 20] [--duration 20] [--stub http://127.0.0.1:P]
 *        [--kv FILE] [--run-id ID] [--zone Europe/London] [--pids hub=PID,stub=PID] [--clk-tck 100] [--think-ms 0]
 *   avail: [--days 60]  random dates over the next DAYS weekdays (from tomorrow)
 *   book:  --first-day YYYY-MM-DD [--slots 4] [--slot-minutes 30] [--open 08:00] [--close 20:00] [--booked FILE]
 * </pre>
 *
 * book: the slots are FIRST-DAY OPEN, OPEN + SLOT-MINUTES, ... (every day open OPEN-CLOSE), in groups of SLOTS.
 * Every worker books a random slot of the current group; once each slot of the group has been answered "Booked"
 * or "slot has just gone", the group moves on to the next SLOTS slots. Every request has its own toolCallId, call id
 * and phone number (+447700xxxxxx). Each "Booked" answer (warm-up included) is written to --booked as
 * {@code reference TAB toolCallId TAB local start TAB measured(0/1)}.
 *
 * With --stub (the Google Calendar stand-in run by tools.sh): at the start of the measured window its timing window
 * is reset ({@code POST /stub/window}), at the end its freeBusy figures are read ({@code GET /stub/stats}); the
 * hub's share of a request is its round trip minus (freeBusy calls the hub makes for that answer) x (the stand-in's
 * mean freeBusy service time in the window).
 *
 * CPU: utime + stime of the --pids processes, of this one ("load") and of all processes named "postgres", and how busy
 * all CPUs were (/proc/stat), from the start to the end of the measured window.
 *
 * Output: a readable summary on stdout, {@code key=value} lines in --kv. Exit status 0 unless the run could not
 * be made (bad arguments, no request answered at all).
 */
public final class ToolLoad {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REFERENCE = Pattern.compile("Reference (\\d+)");

    // answer classes
    private static final String[] AVAIL_CLASSES = {"free", "nothing_free", "error_answer", "other_answer", "non_200", "io_error"};
    private static final int[] AVAIL_FREEBUSY = {1, 2, 1, 1, 0, 0};
    private static final String[] BOOK_CLASSES = {"booked", "slot_gone", "cannot_book", "error_answer", "other_answer", "non_200", "io_error"};
    private static final int[] BOOK_FREEBUSY = {1, 2, 1, 1, 1, 0, 0};

    private final Map<String, String> opt;
    private final String mode;
    private final boolean book;
    private final URI url;
    private final String secret;
    private final String clientKey;
    private final int threads;
    private final int warmupS;
    private final int durationS;
    private final int thinkMs;
    private final String stub;
    private final String runId;
    private final ZoneId zone;
    private final String[] classes;
    private final int[] freeBusyCalls;
    private final HttpClient http;

    // avail
    private List<LocalDate> dates;
    // book
    private int slots;
    private int slotMinutes;
    private LocalDate firstDay;
    private LocalTime open;
    private int perDay;
    private final AtomicInteger group = new AtomicInteger();
    private AtomicIntegerArray taken;
    private AtomicIntegerArray bookedPerSlot;
    private final AtomicInteger maxSlot = new AtomicInteger(-1);
    private final AtomicLong phoneSeq = new AtomicLong();
    private final ConcurrentLinkedQueue<String> bookedLines = new ConcurrentLinkedQueue<>();

    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private final AtomicInteger problemCount = new AtomicInteger();
    private final Map<String, Long> pids = new LinkedHashMap<>();
    private final int clkTck;
    private volatile long measureStart;
    private volatile long measureEnd;

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                usage("bad argument " + args[i]);
            }
            opt.put(args[i].substring(2), args[++i]);
        }
        System.exit(new ToolLoad(opt).run());
    }

    private static void usage(String why) {
        System.err.println("ToolLoad: " + why);
        System.err.println("usage: --mode avail|book --url URL --secret S --client-key K [--threads 32] [--warmup 20] [--duration 20] "
                + "[--stub URL] [--kv FILE] [--run-id ID] [--zone Europe/London] [--pids name=PID,...] [--clk-tck 100] [--think-ms 0]; avail: [--days 60]; book: --first-day YYYY-MM-DD "
                + "[--slots 4] [--slot-minutes 30] [--open 08:00] [--close 20:00] [--booked FILE]");
        System.exit(2);
    }

    private ToolLoad(Map<String, String> opt) {
        this.opt = opt;
        mode = req("mode");
        if (!mode.equals("avail") && !mode.equals("book")) {
            usage("--mode must be avail or book");
        }
        book = mode.equals("book");
        url = URI.create(req("url"));
        secret = req("secret");
        clientKey = req("client-key");
        threads = num("threads", 32);
        warmupS = num("warmup", 20);
        durationS = num("duration", 20);
        thinkMs = num("think-ms", 0);
        stub = opt.get("stub");
        runId = opt.getOrDefault("run-id", Long.toString(System.currentTimeMillis(), 36));
        zone = ZoneId.of(opt.getOrDefault("zone", "Europe/London"));
        classes = book ? BOOK_CLASSES : AVAIL_CLASSES;
        freeBusyCalls = book ? BOOK_FREEBUSY : AVAIL_FREEBUSY;
        if (threads < 1 || durationS < 1 || warmupS < 0) {
            usage("threads and duration must be >= 1, warmup >= 0");
        }
        for (String p : opt.getOrDefault("pids", "").split(",")) {
            if (p.contains("=")) {
                pids.put(p.substring(0, p.indexOf('=')), Long.parseLong(p.substring(p.indexOf('=') + 1)));
            }
        }
        pids.put("load", ProcessHandle.current().pid());
        clkTck = num("clk-tck", 100);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        if (book) {
            slots = num("slots", 4);
            slotMinutes = num("slot-minutes", 30);
            firstDay = LocalDate.parse(req("first-day"));
            open = LocalTime.parse(opt.getOrDefault("open", "08:00"));
            LocalTime close = LocalTime.parse(opt.getOrDefault("close", "20:00"));
            perDay = (int) (Duration.between(open, close).toMinutes() / slotMinutes);
            if (slots < 1 || slotMinutes < 5 || perDay < 1) {
                usage("slots >= 1, slot-minutes >= 5 and at least one slot between open and close");
            }
            taken = new AtomicIntegerArray(1 << 21);
            bookedPerSlot = new AtomicIntegerArray(1 << 21);
        } else {
            int days = num("days", 60);
            dates = new ArrayList<>();
            for (LocalDate d = LocalDate.now(zone).plusDays(1); dates.size() < days; d = d.plusDays(1)) {
                if (d.getDayOfWeek() != DayOfWeek.SATURDAY && d.getDayOfWeek() != DayOfWeek.SUNDAY) {
                    dates.add(d);
                }
            }
        }
    }

    private String req(String k) {
        String v = opt.get(k);
        if (v == null || v.isBlank()) {
            usage("--" + k + " is required");
        }
        return v;
    }

    private int num(String k, int def) {
        try {
            return Integer.parseInt(opt.getOrDefault(k, Integer.toString(def)));
        } catch (NumberFormatException e) {
            usage("--" + k + " must be a whole number");
            return def;
        }
    }

    // ---- one worker -------------------------------------------------------------------------

    /** Samples of one worker: round trip (ns) and answer class of each measured request; counts of all requests. */
    private final class Worker implements Runnable {
        final int no;
        long[] lat = new long[1 << 14];
        byte[] cls = new byte[1 << 14];
        int n;
        final long[] all = new long[classes.length];
        final long[] measured = new long[classes.length];
        long seq;

        Worker(int no) {
            this.no = no;
        }

        @Override
        public void run() {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            while (true) {
                long t0 = System.nanoTime();
                if (t0 >= measureEnd) {
                    return;
                }
                seq++;
                String toolCallId = "tc-" + runId + "-" + mode + "-" + no + "-" + seq;
                String callId = "call-" + runId + "-" + mode + "-" + no + "-" + seq;
                int g = 0;
                int slot = -1;
                String args;
                if (book) {
                    g = group.get();
                    slot = g * slots + rnd.nextInt(slots);
                    maxSlot.accumulateAndGet(slot, Math::max);
                    long p = phoneSeq.incrementAndGet() % 1_000_000L;
                    args = "{\"start\":\"" + slotStart(slot) + "\",\"name\":\"Bench Caller " + no + "-" + seq + "\",\"phone\":\"+447700"
                            + String.format(Locale.ROOT, "%06d", p) + "\"}";
                } else {
                    args = "{\"date\":\"" + dates.get(rnd.nextInt(dates.size())) + "\"}";
                }
                String body = "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"" + callId + "\",\"assistantOverrides\":{\"variableValues\":"
                        + "{\"clientKey\":\"" + clientKey + "\"}}},\"toolCallList\":[{\"id\":\"" + toolCallId + "\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"" + (book ? "bookAppointment" : "checkAvailability") + "\",\"arguments\":"
                        + quote(args) + "}}]}}";
                HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(15))
                        .header("Content-Type", "application/json").header("X-Vapi-Secret", secret)
                        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
                int c;
                String result = null;
                t0 = System.nanoTime();
                long t1;
                try {
                    HttpResponse<String> res = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                    t1 = System.nanoTime();
                    if (res.statusCode() != 200) {
                        c = book ? 5 : 4;
                        problem("HTTP " + res.statusCode() + ": " + clip(res.body()));
                    } else {
                        JsonNode r = JSON.readTree(res.body()).path("results").path(0);
                        if (!toolCallId.equals(r.path("toolCallId").asText())) {
                            c = book ? 4 : 3;
                            problem("answer for another toolCallId: " + clip(res.body()));
                        } else if (r.hasNonNull("result")) {
                            result = r.get("result").asText();
                            c = classify(result);
                            if (c == (book ? 4 : 3) || (book && c == 2)) {
                                problem("unexpected answer: " + clip(result));
                            }
                        } else {
                            c = book ? 3 : 2;
                            problem("error answer: " + clip(r.path("error").asText(res.body())));
                        }
                    }
                } catch (IOException e) {
                    t1 = System.nanoTime();
                    c = book ? 6 : 5;
                    problem("I/O: " + e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                boolean isMeasured = t0 >= measureStart && t0 < measureEnd;
                all[c]++;
                if (isMeasured) {
                    measured[c]++;
                    if (n == lat.length) {
                        lat = Arrays.copyOf(lat, n * 2);
                        cls = Arrays.copyOf(cls, n * 2);
                    }
                    lat[n] = t1 - t0;
                    cls[n] = (byte) c;
                    n++;
                }
                if (thinkMs > 0) { // a caller's pause between two tool calls: uniform in [0.5, 1.5) x think-ms
                    try {
                        Thread.sleep(Math.max(1, Math.min((long) (thinkMs * (0.5 + rnd.nextDouble())), (measureEnd - System.nanoTime()) / 1_000_000L + 1)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (book) {
                    if (c == 0) {
                        bookedPerSlot.incrementAndGet(slot);
                        Matcher m = REFERENCE.matcher(result);
                        bookedLines.add((m.find() ? m.group(1) : "") + "\t" + toolCallId + "\t" + slotStart(slot) + "\t" + (isMeasured ? 1 : 0));
                    }
                    if (c <= 2) { // booked, gone, cannot be booked: nobody gets this slot any more
                        taken.set(slot, 1);
                        boolean done = true;
                        for (int i = g * slots; i < (g + 1) * slots; i++) {
                            done &= taken.get(i) == 1;
                        }
                        if (done) {
                            group.compareAndSet(g, g + 1);
                        }
                    }
                }
            }
        }
    }

    private int classify(String result) {
        if (book) {
            if (result.startsWith("Booked")) {
                return 0;
            }
            if (result.startsWith("That slot has just gone")) {
                return 1;
            }
            return result.startsWith("That time cannot be booked") ? 2 : 4;
        }
        if (result.startsWith("Free times")) {
            return 0;
        }
        return result.startsWith("Nothing free") ? 1 : 3;
    }

    private String slotStart(int slot) {
        LocalDateTime t = LocalDateTime.of(firstDay.plusDays(slot / perDay), open).plusMinutes((long) (slot % perDay) * slotMinutes);
        return t.toString(); // 2027-01-04T10:00
    }

    private void problem(String p) {
        if (problemCount.incrementAndGet() <= 8) {
            problems.add(p);
        }
    }

    private static String clip(String s) {
        s = s == null ? "" : s.replaceAll("\\s+", " ");
        return s.length() > 240 ? s.substring(0, 240) + "..." : s;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    // ---- the run ----------------------------------------------------------------------------

    private int run() throws Exception {
        long t = System.nanoTime();
        measureStart = t + warmupS * 1_000_000_000L;
        measureEnd = measureStart + durationS * 1_000_000_000L;
        List<Worker> workers = new ArrayList<>();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Worker w = new Worker(i + 1);
            workers.add(w);
            Thread th = new Thread(w, "tool-load-" + (i + 1));
            ts.add(th);
            th.start();
        }
        // the stand-in's timing window starts with the measured one
        long sleep = (measureStart - System.nanoTime()) / 1_000_000L;
        if (sleep > 0) {
            Thread.sleep(sleep);
        }
        if (stub != null) {
            stubPost("/stub/window");
        }
        Map<String, Long> cpu0 = cpuSnapshot();
        sleep = (measureEnd - System.nanoTime()) / 1_000_000L;
        if (sleep > 0) {
            Thread.sleep(sleep);
        }
        Map<String, Long> cpu1 = cpuSnapshot();
        for (Thread th : ts) {
            th.join();
        }
        long drained = System.nanoTime();
        JsonNode stubStats = stub == null ? null : stubGet("/stub/stats");

        // merge
        int total = 0;
        long[] all = new long[classes.length];
        long[] measured = new long[classes.length];
        for (Worker w : workers) {
            total += w.n;
            for (int i = 0; i < classes.length; i++) {
                all[i] += w.all[i];
                measured[i] += w.measured[i];
            }
        }
        long[] lat = new long[total];
        byte[] cls = new byte[total];
        int k = 0;
        for (Worker w : workers) {
            System.arraycopy(w.lat, 0, lat, k, w.n);
            System.arraycopy(w.cls, 0, cls, k, w.n);
            k += w.n;
        }
        int badIndex = book ? 5 : 4; // non_200 and io_error follow
        double fbMean = stubStats == null ? 0 : stubStats.path("freeBusy").path("mean").asDouble(0);
        long fbCount = stubStats == null ? -1 : stubStats.path("freeBusy").path("count").asLong(-1);
        long expectedFb = 0;
        int answered = 0;
        for (int i = 0; i < total; i++) {
            if (cls[i] < badIndex) {
                answered++;
                expectedFb += freeBusyCalls[cls[i]];
            }
        }
        long[] rt = new long[answered];
        long[] share = new long[answered];
        long[] rtBooked = new long[book ? (int) measured[0] : 0];
        long[] rtGone = new long[book ? (int) measured[1] : 0];
        int a = 0, b0 = 0, b1 = 0;
        for (int i = 0; i < total; i++) {
            if (cls[i] < badIndex) {
                rt[a] = lat[i];
                share[a] = lat[i] - Math.round(freeBusyCalls[cls[i]] * fbMean * 1e6);
                a++;
                if (book && cls[i] == 0) {
                    rtBooked[b0++] = lat[i];
                } else if (book && cls[i] == 1) {
                    rtGone[b1++] = lat[i];
                }
            }
        }
        Arrays.sort(rt);
        Arrays.sort(share);
        Arrays.sort(rtBooked);
        Arrays.sort(rtGone);
        long[] allLat = Arrays.copyOf(lat, total);
        Arrays.sort(allLat);

        Map<String, Object> kv = new LinkedHashMap<>();
        String tool = book ? "bookAppointment" : "checkAvailability";
        kv.put("tool", tool);
        kv.put("threads", threads);
        kv.put("warmup_s", warmupS);
        kv.put("duration_s", durationS);
        kv.put("requests", total);
        kv.put("requests_per_s", fmt(total / (double) durationS));
        kv.put("answered", answered);
        kv.put("drain_ms", (drained - measureEnd) / 1_000_000L);
        for (int i = 0; i < classes.length; i++) {
            kv.put("measured_" + classes[i], measured[i]);
        }
        for (int i = 0; i < classes.length; i++) {
            kv.put("all_" + classes[i], all[i]);
        }
        kv.put("non_200", measured[badIndex]);
        kv.put("io_errors", measured[badIndex + 1]);
        kv.put("all_requests", Arrays.stream(all).sum());
        put(kv, "rt", rt);
        put(kv, "share", share);
        kv.put("stub_freebusy_calls", fbCount);
        kv.put("expected_freebusy_calls", expectedFb);
        if (stubStats != null) {
            JsonNode fb = stubStats.path("freeBusy");
            kv.put("stub_freebusy_mean_ms", fb.path("mean").asText());
            kv.put("stub_freebusy_p50_ms", fb.path("p50").asText());
            kv.put("stub_freebusy_p99_ms", fb.path("p99").asText());
            kv.put("stub_freebusy_max_ms", fb.path("max").asText());
            kv.put("stub_insert_window", stubStats.path("insert").path("count").asText());
        }
        if (book) {
            kv.put("bookings_per_s", fmt(measured[0] / (double) durationS));
            kv.put("answers_per_s", fmt(answered / (double) durationS));
            put(kv, "rt_booked", rtBooked);
            put(kv, "rt_gone", rtGone);
            int top = maxSlot.get();
            int groupsDone = group.get();
            int multi = 0, none = 0, exactlyOne = 0;
            StringBuilder multiList = new StringBuilder();
            for (int s = 0; s <= top; s++) {
                int bc = bookedPerSlot.get(s);
                if (bc == 1) {
                    exactlyOne++;
                } else if (bc > 1) {
                    multi++;
                    if (multi <= 5) {
                        multiList.append(slotStart(s)).append("x").append(bc).append(' ');
                    }
                } else if (s < groupsDone * slots) {
                    none++;
                }
            }
            kv.put("slots_tried", top + 1);
            kv.put("groups_done", groupsDone);
            kv.put("slots_booked_once", exactlyOne);
            kv.put("slots_booked_twice_or_more", multi);
            kv.put("slots_taken_without_booked_answer", none);
            kv.put("slots_multi_list", multiList.toString().trim());
            kv.put("last_slot", top < 0 ? "" : slotStart(top));
            String bookedFile = opt.get("booked");
            if (bookedFile != null) {
                Files.write(Path.of(bookedFile), bookedLines, StandardCharsets.UTF_8);
            }
        }
        kv.put("problems", problemCount.get());
        // CPU in the measured window (clock ticks from /proc; "host" = all CPUs busy / total)
        StringBuilder cpuLine = new StringBuilder();
        for (String name : cpu0.keySet()) {
            if (name.startsWith("host") || name.startsWith("net_") || name.startsWith("wall") || !cpu1.containsKey(name)) {
                continue;
            }
            double sec = (cpu1.get(name) - cpu0.get(name)) / (double) clkTck;
            kv.put("cpu_" + name + "_s", String.format(Locale.ROOT, "%.2f", sec));
            cpuLine.append(String.format(Locale.ROOT, " %s %.1f s (%.0f %% of a core)", name, sec, 100 * sec / durationS));
        }
        if (cpu0.containsKey("hub") && cpu1.containsKey("hub") && total > 0) {
            kv.put("cpu_hub_ms_per_request", String.format(Locale.ROOT, "%.2f", (cpu1.get("hub") - cpu0.get("hub")) * 1000.0 / clkTck / total));
        }
        long busy = cpu1.getOrDefault("host_busy", 0L) - cpu0.getOrDefault("host_busy", 0L);
        long all2 = cpu1.getOrDefault("host_total", 0L) - cpu0.getOrDefault("host_total", 0L);
        kv.put("host_busy_pct", all2 > 0 ? String.format(Locale.ROOT, "%.0f", 100.0 * busy / all2) : "NA");
        double named = 0;
        for (String name : cpu0.keySet()) {
            if (!name.startsWith("host") && !name.startsWith("net_") && !name.startsWith("wall") && cpu1.containsKey(name)) {
                named += (cpu1.get(name) - cpu0.get(name)) / (double) clkTck;
            }
        }
        double other = busy / (double) clkTck - named;
        kv.put("cpu_other_s", String.format(Locale.ROOT, "%.2f", Math.max(0, other)));
        cpuLine.append(String.format(Locale.ROOT, " other processes %.1f s", Math.max(0, other)));
        kv.put("cpu_line", cpuLine.toString().trim());
        StringBuilder netLine = new StringBuilder();
        for (String name : cpu0.keySet()) {
            if (name.startsWith("net_") && cpu1.containsKey(name)) {
                long d = cpu1.get(name) - cpu0.get(name);
                kv.put(name, d);
                netLine.append(' ').append(name.substring(4)).append(' ').append(d);
            }
        }
        kv.put("net_line", netLine.toString().trim());
        kv.put("window_start_epoch_ms", cpu0.getOrDefault("wall_ms", 0L));
        kv.put("window_end_epoch_ms", cpu1.getOrDefault("wall_ms", 0L));

        // readable summary
        PrintWriter out = new PrintWriter(System.out, true);
        out.printf("%s: %d threads, closed loop%s, warm-up %d s, measured %d s (in-flight requests drained %d ms after the end)%n", tool, threads,
                thinkMs > 0 ? " with " + thinkMs + " ms think time" : "", warmupS, durationS, (drained - measureEnd) / 1_000_000L);
        out.printf("  measured requests %d (%s/s); answers:", total, fmt(total / (double) durationS));
        for (int i = 0; i < classes.length; i++) {
            out.printf(" %s %d", classes[i], measured[i]);
        }
        out.printf("%n  whole run incl. warm-up:");
        for (int i = 0; i < classes.length; i++) {
            out.printf(" %s %d", classes[i], all[i]);
        }
        out.println();
        if (book) {
            out.printf("  bookings/s %s (answered \"Booked\"), answers/s %s; slots tried %d in groups of %d, booked once %d, more than once %d%s%n",
                    kv.get("bookings_per_s"), kv.get("answers_per_s"), maxSlot.get() + 1, slots, kv.get("slots_booked_once"),
                    kv.get("slots_booked_twice_or_more"), String.valueOf(kv.get("slots_multi_list")).isEmpty() ? "" : " (" + kv.get("slots_multi_list") + ")");
        }
        out.printf("  round trip ms (answered):   %s%n", line(rt));
        if (book) {
            out.printf("    \"Booked\" answers:         %s%n", line(rtBooked));
            out.printf("    \"slot has just gone\":     %s%n", line(rtGone));
        }
        if (stubStats != null) {
            out.printf("  stand-in freeBusy in the window: %d calls (expected from the answers %d), service ms mean %s p50 %s p99 %s max %s%n",
                    fbCount, expectedFb, kv.get("stub_freebusy_mean_ms"), kv.get("stub_freebusy_p50_ms"), kv.get("stub_freebusy_p99_ms"),
                    kv.get("stub_freebusy_max_ms"));
            out.printf("  hub share ms (round trip - calls x %.3f ms): %s%n", fbMean, line(share));
        }
        out.println("  round trip histogram (every measured request):");
        double[] edges = {1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 200, 500, 1000, 5000, Double.MAX_VALUE};
        int from = 0;
        double lo = 0;
        for (double e : edges) {
            int to = from;
            while (to < allLat.length && allLat[to] / 1e6 < e) {
                to++;
            }
            if (to > from) {
                out.printf("    %7s - %-7s ms %8d  %6.2f %%  cum %6.2f %%%n", trim(lo), e == Double.MAX_VALUE ? "" : trim(e), to - from,
                        100.0 * (to - from) / allLat.length, 100.0 * to / allLat.length);
            }
            from = to;
            lo = e;
        }
        out.printf("  CPU in the measured window: %s; all CPUs %s %% busy; hub CPU per request %s ms%n", kv.get("cpu_line"), kv.get("host_busy_pct"),
                kv.getOrDefault("cpu_hub_ms_per_request", "NA"));
        out.printf("  TCP in the measured window (whole machine): %s%n", kv.get("net_line"));
        if (!problems.isEmpty()) {
            out.printf("  %d problem answer(s), first ones:%n", problemCount.get());
            for (String p : problems) {
                out.println("    " + p);
            }
        }
        String kvFile = opt.get("kv");
        if (kvFile != null) {
            List<String> lines = new ArrayList<>();
            kv.forEach((key, v) -> lines.add(key + "=" + v));
            Files.write(Path.of(kvFile), lines, StandardCharsets.UTF_8);
        }
        return answered == 0 ? 1 : 0;
    }

    private static void put(Map<String, Object> kv, String prefix, long[] sorted) {
        kv.put(prefix + "_p50_ms", ms(pct(sorted, 0.50)));
        kv.put(prefix + "_p90_ms", ms(pct(sorted, 0.90)));
        kv.put(prefix + "_p99_ms", ms(pct(sorted, 0.99)));
        kv.put(prefix + "_max_ms", ms(sorted.length == 0 ? -1 : sorted[sorted.length - 1]));
        kv.put(prefix + "_mean_ms", sorted.length == 0 ? "NA" : fmt(Arrays.stream(sorted).average().orElse(0) / 1e6));
        kv.put(prefix + "_n", sorted.length);
    }

    private static String line(long[] s) {
        if (s.length == 0) {
            return "none";
        }
        return String.format(Locale.ROOT, "p50 %s  p90 %s  p99 %s  max %s  mean %s  (n %d)", ms(pct(s, 0.5)), ms(pct(s, 0.9)), ms(pct(s, 0.99)),
                ms(s[s.length - 1]), fmt(Arrays.stream(s).average().orElse(0) / 1e6), s.length);
    }

    /** Nearest-rank percentile of a sorted array, -1 if empty. */
    private static long pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static String ms(long nanos) {
        return nanos < 0 && nanos == -1 ? "NA" : String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** utime + stime (clock ticks) of the --pids processes, this one ("load"), all "postgres" processes; host busy and total. */
    private Map<String, Long> cpuSnapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        pids.forEach((name, pid) -> {
            long t = ticks(Path.of("/proc", Long.toString(pid), "stat"));
            if (t >= 0) {
                m.put(name, t);
            }
        });
        long pg = 0;
        try (var dirs = Files.newDirectoryStream(Path.of("/proc"), d -> d.getFileName().toString().matches("\\d+"))) {
            for (Path d : dirs) {
                try {
                    if ("postgres".equals(Files.readString(d.resolve("comm")).trim())) {
                        pg += Math.max(0, ticks(d.resolve("stat")));
                    }
                } catch (IOException gone) {
                    // the process ended meanwhile
                }
            }
            m.put("postgres", pg);
        } catch (IOException e) {
            // no /proc: no CPU figures
        }
        // system-wide TCP counters (every process on the machine): new outgoing connections, retransmitted segments,
        // listen queue overflows / drops
        netCounters(m, Path.of("/proc/net/snmp"), "Tcp:", List.of("ActiveOpens", "RetransSegs"));
        netCounters(m, Path.of("/proc/net/netstat"), "TcpExt:", List.of("ListenOverflows", "ListenDrops"));
        m.put("wall_ms", System.currentTimeMillis());
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            m.put("host_busy", total - Long.parseLong(f[4]) - Long.parseLong(f[5]));
            m.put("host_total", total);
        } catch (Exception e) {
            // no /proc/stat
        }
        return m;
    }

    /** "Prefix: name name ..." followed by "Prefix: value value ..." (the /proc/net/snmp layout) -> net_&lt;name&gt;. */
    private static void netCounters(Map<String, Long> m, Path file, String prefix, List<String> names) {
        try {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i + 1 < lines.size(); i++) {
                if (lines.get(i).startsWith(prefix) && lines.get(i + 1).startsWith(prefix)) {
                    List<String> keys = Arrays.asList(lines.get(i).trim().split("\\s+"));
                    String[] vals = lines.get(i + 1).trim().split("\\s+");
                    for (String n : names) {
                        int k = keys.indexOf(n);
                        if (k > 0 && k < vals.length) {
                            m.put("net_" + n, Long.parseLong(vals[k]));
                        }
                    }
                    return;
                }
            }
        } catch (Exception e) {
            // not Linux: no figures
        }
    }

    private static long ticks(Path stat) {
        try {
            String s = Files.readString(stat);
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (Exception e) {
            return -1;
        }
    }

    private void stubPost(String path) {
        try {
            http.send(HttpRequest.newBuilder(URI.create(stub + path)).timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (Exception e) {
            System.err.println("ToolLoad: POST " + stub + path + " failed: " + e);
        }
    }

    private JsonNode stubGet(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(stub + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (Exception e) {
            System.err.println("ToolLoad: GET " + stub + path + " failed: " + e);
            return null;
        }
    }
}
