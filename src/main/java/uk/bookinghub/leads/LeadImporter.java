package uk.bookinghub.leads;

import uk.bookinghub.phones.PhoneCheck;
import uk.bookinghub.phones.PhoneClassifier;
import uk.bookinghub.store.Database;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * What every lead goes through, a chunk at a time: phone (libphonenumber, in parallel), duplicates
 * in the file (first wins), the opt-out list, the client's history (already a lead, contacted
 * recently), then one transaction per chunk that stores the rows and the import's progress.
 * While one chunk is being written the next is being validated.
 */
final class LeadImporter {

    /** A row after validation: the phone check, or the row's own error. */
    private record Checked(LeadRow row, PhoneCheck phone) {
    }

    private final LeadStore store;
    private final OptOutStore optOuts;
    /** The suppression list (erased persons); until it is wired every import is refused (fail closed). */
    private volatile SuppressionStore suppressions;
    private final PhoneClassifier phones;
    private final ThreadLocal<PhoneClassifier> perThread;
    private static final int AHEAD = 3;
    private final ExecutorService writers = java.util.concurrent.Executors.newFixedThreadPool(MAX_COPY_STREAMS, r -> {
        Thread t = new Thread(r, "hub-lead-write");
        t.setDaemon(true);
        return t;
    });

    /** COPY streams at once on PostgreSQL ({@code hub.leads.copy-streams}, 2: measured 5.8 s -> 3.8 s for 857k rows). */
    static final int DEFAULT_COPY_STREAMS = 2;
    /** The pool below: more streams than this cannot run at once. */
    private static final int MAX_COPY_STREAMS = 4;
    private final int copyStreams;

    /** PostgreSQL takes {@code copyStreams} COPY streams at once; SQLite has one writer. */
    private int writerThreads(LeadStore store) {
        return store.database().dialect().sharedByInstances() ? copyStreams : 1;
    }

    /** Chunk transactions in flight: at most {@code limit} at once (bounded memory); the first failure fails the import. */
    private static final class ChunkWrites {
        private final ExecutorService pool;
        private final java.util.concurrent.Semaphore slots;
        private final int limit;
        private final java.util.List<java.util.concurrent.Future<?>> pending = new java.util.ArrayList<>();
        private volatile RuntimeException failure;
        long blockedNanos;
        final java.util.concurrent.atomic.AtomicLong txNanos = new java.util.concurrent.atomic.AtomicLong();

        ChunkWrites(ExecutorService pool, int limit) {
            this.pool = pool;
            this.limit = limit;
            this.slots = new java.util.concurrent.Semaphore(limit);
        }

        void submit(Runnable write) {
            if (failure != null) {
                throw failure;
            }
            long t0 = System.nanoTime();
            slots.acquireUninterruptibly();
            blockedNanos += System.nanoTime() - t0;
            pending.removeIf(java.util.concurrent.Future::isDone);
            pending.add(pool.submit(() -> {
                long t1 = System.nanoTime();
                try {
                    if (stopped) {
                        return; // the import failed before this chunk started: not written
                    }
                    write.run();
                    txNanos.addAndGet(System.nanoTime() - t1);
                } catch (RuntimeException e) {
                    failure = e;
                } finally {
                    slots.release();
                }
            }));
        }

        void awaitAll() {
            slots.acquireUninterruptibly(limit);
            slots.release(limit);
            if (failure != null) {
                throw failure;
            }
        }

        void abandon() {
            pending.forEach(f -> f.cancel(false));
        }

        /**
         * After a failure: chunks not started yet are not written, chunks being written are waited for (they
         * commit or fail on their own), so what {@link Committed} holds is final. (Future.cancel would not do:
         * it reports a running chunk cancelled while it goes on to commit.)
         */
        void drain() {
            stopped = true;
            for (java.util.concurrent.Future<?> f : pending) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
                    // its failure is recorded in the task itself
                }
            }
        }

        private volatile boolean stopped;

        RuntimeException failure() {
            return failure;
        }
    }

    /**
     * What committed chunks stored, exactly: each chunk's transaction writes the import's progress as
     * (committed so far + this chunk) under the lock, and adds itself here only once it has committed.
     * With two PostgreSQL COPY streams chunks can commit out of order; this stays exact either way.
     */
    static final class Committed {
        private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        private int rows;
        private final Map<String, Object> counts = new java.util.LinkedHashMap<>();
        private final Map<String, Integer> bySource = new java.util.LinkedHashMap<>();

        Map<String, Object> plus(Map<String, Integer> delta) {
            Map<String, Object> out = new java.util.LinkedHashMap<>(counts);
            delta.forEach((k, v) -> out.merge(k, v, (a, b) -> ((Integer) a) + ((Integer) b)));
            return out;
        }

        synchronized int rows() {
            return rows;
        }

        synchronized Map<String, Object> counts() {
            return new java.util.LinkedHashMap<>(counts);
        }

        synchronized Map<String, Integer> bySource() {
            return new java.util.LinkedHashMap<>(bySource);
        }

        synchronized void add(int chunkRows, Map<String, Integer> delta, Map<String, Integer> sourceDelta) {
            rows += chunkRows;
            delta.forEach((k, v) -> counts.merge(k, v, (a, b) -> ((Integer) a) + ((Integer) b)));
            sourceDelta.forEach((k, v) -> bySource.merge(k, v, Integer::sum));
        }
    }

    /** A chunk the database would not store, with the lines it held. */
    static final class ChunkFailed extends RuntimeException {
        final int firstLine;
        final int lastLine;

        ChunkFailed(int firstLine, int lastLine, RuntimeException cause) {
            super("storing lines " + firstLine + " to " + lastLine + " failed: " + cause.getMessage(), cause);
            this.firstLine = firstLine;
            this.lastLine = lastLine;
        }
    }

    /**
     * An import that stopped part-way: what committed chunks stored ({@code rowsDone}, {@code counts}), in
     * the hub's own words for the client; the database's own text is for the log only ({@link #getCause()}).
     */
    static final class ImportFailed extends RuntimeException {
        final int rowsDone;
        final Map<String, Object> counts;
        /** Leads the committed chunks imported, per source. */
        final Map<String, Integer> importedBySource;

        ImportFailed(String words, int rowsDone, Map<String, Object> counts, Map<String, Integer> importedBySource, Throwable cause) {
            super(words, cause);
            this.rowsDone = rowsDone;
            this.counts = counts;
            this.importedBySource = importedBySource;
        }
    }
    private final ExecutorService validators;
    private final ExecutorService readers = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hub-lead-read");
        t.setDaemon(true);
        return t;
    });
    private final int validatorThreads;
    private final Clock clock;
    private final int chunkSize;
    private final int maxProblems;

    LeadImporter(LeadStore store, OptOutStore optOuts, PhoneClassifier phones, ExecutorService validators, int validatorThreads,
                 Clock clock, int chunkSize, int maxProblems) {
        this(store, optOuts, phones, validators, validatorThreads, clock, chunkSize, maxProblems, DEFAULT_COPY_STREAMS);
    }

    /** {@code copyStreams}: {@code hub.leads.copy-streams}, 1 to 4. */
    LeadImporter(LeadStore store, OptOutStore optOuts, PhoneClassifier phones, ExecutorService validators, int validatorThreads,
                 Clock clock, int chunkSize, int maxProblems, int copyStreams) {
        if (copyStreams < 1 || copyStreams > MAX_COPY_STREAMS) {
            throw new IllegalArgumentException("hub.leads.copy-streams must be 1 to " + MAX_COPY_STREAMS + ", got " + copyStreams);
        }
        this.copyStreams = copyStreams;
        this.store = store;
        this.optOuts = optOuts;
        this.phones = phones;
        this.perThread = ThreadLocal.withInitial(phones::withOwnLibphonenumber);
        this.validators = validators;
        this.validatorThreads = validatorThreads;
        this.clock = clock;
        this.chunkSize = chunkSize;
        this.maxProblems = maxProblems;
    }

    void suppressions(SuppressionStore suppressions) {
        this.suppressions = suppressions;
    }

    /** Work done in a chunk's own transaction, after its leads, with the chunk's counts (its audit row). */
    interface InChunk {
        void run(Connection c, Map<String, Integer> counts) throws SQLException;
    }

    /**
     * Runs the import to the end; {@code onProgress} sees the counters after each committed chunk;
     * {@code inChunk} (or null) runs last in each chunk's transaction.
     */
    ImportReport run(String importId, long clientId, RowSource source, Consumer<ImportReport> onProgress, InChunk inChunk) {
        LeadStore.ImportSettings settings = store.settings(clientId);
        Set<String> optedOut = optOuts.activeFor(clientId);
        if (suppressions == null) {
            throw new IllegalStateException("the suppression list is not wired: no lead is imported without it");
        }
        // the erased persons of this client (hashes): a row of one of them is refused, never stored
        Set<String> suppressed = suppressions.hashes(clientId);
        ImportReport report = new ImportReport(maxProblems);
        LongIntMap seen = new LongIntMap(Math.max(1024, source.estimatedRows()));
        long waitNanos = 0;
        long writeNanos = 0;
        // the client's history, loaded once: per-chunk look-ups only for numbers already known
        LeadStore.KnownKeys known = store.knownKeys(clientId, source.estimatedRows());
        Map<String, Instant> calls = store.callHistory(clientId);
        Instant startedAt = clock.instant();
        // reading and validation run ahead of the writer, up to AHEAD chunks, so no stage waits on another
        java.util.concurrent.BlockingQueue<CompletableFuture<List<Checked>>> ready = new java.util.concurrent.ArrayBlockingQueue<>(AHEAD);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            try {
                while (!stop.get()) {
                    CompletableFuture<List<Checked>> next;
                    boolean last;
                    try {
                        List<LeadRow> rows = source.nextChunk(chunkSize);
                        next = validate(rows, settings.country());
                        last = rows.isEmpty();
                    } catch (RuntimeException e) {
                        next = CompletableFuture.failedFuture(e); // the writer sees it and fails the import
                        last = true;
                    }
                    while (!stop.get() && !ready.offer(next, 200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                        // the writer is busy: wait, unless it gave up
                    }
                    if (last) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, readers);
        ChunkWrites writes = new ChunkWrites(writers, writerThreads(store));
        Committed committed = new Committed();
        long loopStart = System.nanoTime();
        try {
            while (true) {
                long t0 = System.nanoTime();
                List<Checked> chunk = ready.take().join();
                long t1 = System.nanoTime();
                waitNanos += t1 - t0;
                if (chunk.isEmpty()) {
                    break;
                }
                write(importId, clientId, chunk, settings, optedOut, suppressed, seen, known, calls, report, source.estimatedRows(), startedAt, writes, committed,
                        inChunk);
                onProgress.accept(report);
            }
            writes.awaitAll();
            writeNanos = System.nanoTime() - loopStart - waitNanos;
            if (report.total >= 10_000) {
                org.slf4j.LoggerFactory.getLogger(LeadImporter.class).info("Lead import {}: {} rows; writer waited {} ms for validated rows, wrote for {} ms (of which {} ms waiting for a free database stream; chunk transactions {} ms in all on {} streams)",
                        importId, report.total, waitNanos / 1_000_000, writeNanos / 1_000_000, writes.blockedNanos / 1_000_000, writes.txNanos.get() / 1_000_000, writerThreads(store));
            }
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed(importId, committed, writes, new IllegalStateException("import interrupted", e));
        } catch (RuntimeException e) {
            throw failed(importId, committed, writes, e);
        } finally {
            stop.set(true); // a reader still running (the writer failed) stops at its next chunk
            ready.clear();
            writes.abandon();
        }
        return report;
    }

    /** The import stopped: waits for chunks still being written, then says what is stored and what is not. */
    private ImportFailed failed(String importId, Committed committed, ChunkWrites writes, RuntimeException e) {
        writes.drain();
        RuntimeException cause = writes.failure() != null ? writes.failure() : e;
        Throwable root = cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null ? cause.getCause() : cause;
        int rows = committed.rows();
        Map<String, Object> counts = committed.counts();
        Object imported = counts.getOrDefault("imported", 0);
        String what;
        if (root instanceof ChunkFailed f) {
            boolean unavailable = hasCause(f, uk.bookinghub.store.DatabaseUnavailableException.class);
            what = unavailable ? "the database became unreachable while storing lines " + f.firstLine + " to " + f.lastLine
                    : "the database refused to store lines " + f.firstLine + " to " + f.lastLine + " (a row it would not accept; the details are in the hub's log)";
        } else if (root instanceof uk.bookinghub.http.HttpProblem p) {
            what = p.getMessage();
        } else {
            what = "the import stopped unexpectedly (the details are in the hub's log)";
        }
        String words = "import stopped: " + what + ". " + (rows == 0 ? "Nothing from this file was stored"
                : rows + " rows were processed and stored as the counts show (" + imported + " leads imported); the rest of the file was not")
                + ". Fix the rows and upload the file again: leads already stored report as already imported.";
        org.slf4j.LoggerFactory.getLogger(LeadImporter.class).error("Lead import {} stopped after {} committed rows: {}", importId, rows, root.toString());
        return new ImportFailed(words, rows, counts, committed.bySource(), root);
    }

    private static boolean hasCause(Throwable t, Class<?> type) {
        for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
            if (type.isInstance(x)) {
                return true;
            }
        }
        return false;
    }

    private CompletableFuture<List<Checked>> validate(List<LeadRow> rows, String country) {
        if (rows.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        int parts = Math.min(validatorThreads, Math.max(1, rows.size() / 256));
        int per = (rows.size() + parts - 1) / parts;
        List<CompletableFuture<List<Checked>>> futures = new ArrayList<>(parts);
        for (int p = 0; p < parts; p++) {
            List<LeadRow> slice = rows.subList(p * per, Math.min(rows.size(), (p + 1) * per));
            futures.add(CompletableFuture.supplyAsync(() -> {
                List<Checked> out = new ArrayList<>(slice.size());
                PhoneClassifier mine = perThread.get();
                for (LeadRow r : slice) {
                    out.add(new Checked(r, r.error() != null ? null : mine.check(r.phone(), country)));
                }
                return out;
            }, validators));
        }
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<Checked> all = new ArrayList<>(rows.size());
            futures.forEach(f -> all.addAll(f.join()));
            return all;
        });
    }

    private void write(String importId, long clientId, List<Checked> chunk, LeadStore.ImportSettings settings, Set<String> optedOut,
                       Set<String> suppressed, LongIntMap seen, LeadStore.KnownKeys known, Map<String, Instant> calls, ImportReport report, int estimatedRows,
                       Instant startedAt, ChunkWrites writes, Committed committed, InChunk inChunk) {
        Instant now = clock.instant();
        Map<String, Object> before = report.counts();
        Map<String, Integer> sourcesBefore = new java.util.HashMap<>(report.importedBySource);
        // in-file duplicates first (sequential: the first line wins), collecting the keys to look up
        List<Checked> fresh = new ArrayList<>(chunk.size());
        Set<Long> keys = new LinkedHashSet<>();
        for (Checked c : chunk) {
            report.total++;
            if (c.phone() != null && c.phone().valid()) {
                if (!suppressed.isEmpty() && suppressed.contains(SuppressionStore.phoneHash(c.phone().e164()))) {
                    fresh.add(c); // an erased person: refused below, and named nowhere (not even as a duplicate)
                    continue;
                }
                long key = LeadKeys.ofE164(c.phone().e164());
                int first = seen.putIfAbsent(key, c.row().line());
                if (first >= 0) {
                    report.duplicateInFile++;
                    report.problem(c.row().line(), c.row().phone(), "duplicate of line " + first, false);
                    continue;
                }
                if (known.contains(key)) {
                    keys.add(key);
                }
            }
            fresh.add(c);
        }
        Database db = store.database();
        Map<Long, LeadStore.Existing> existing = keys.isEmpty() ? Map.of()
                : db.read("looking up existing leads", conn -> store.existing(conn, clientId, keys));
        List<LeadStore.NewLead> inserts = new ArrayList<>(fresh.size());
        List<LeadStore.Reactivation> reactivations = new ArrayList<>();
        for (Checked c : fresh) {
            decide(clientId, c, importId, existing, calls, known, optedOut, suppressed, settings, now, report, inserts, reactivations);
        }
        Map<String, Integer> delta = new java.util.LinkedHashMap<>();
        report.counts().forEach((k, v) -> {
            if (v instanceof Integer after) {
                delta.put(k, after - (before.get(k) instanceof Integer b ? b : 0));
            }
        });
        Map<String, Integer> sourceDelta = new java.util.LinkedHashMap<>();
        report.importedBySource.forEach((k, v) -> {
            int d = v - sourcesBefore.getOrDefault(k, 0);
            if (d != 0) {
                sourceDelta.put(k, d);
            }
        });
        int rows = chunk.size();
        int total = Math.max(estimatedRows, report.total);
        int firstLine = chunk.get(0).row().line();
        int lastLine = chunk.get(chunk.size() - 1).row().line();
        writes.submit(() -> {
            try {
                db.inTransaction("importing leads", conn -> {
                    store.relaxCommit(conn);
                    store.insert(conn, clientId, importId, inserts, now);
                    store.reactivate(conn, reactivations, now);
                    // held to the commit: the progress row says committed chunks + this one, never a chunk that then fails
                    committed.lock.lock();
                    if (importId != null) {
                        store.progress(conn, importId, "running", rows, total, committed.plus(delta), startedAt);
                    }
                    if (inChunk != null) {
                        inChunk.run(conn, delta);
                    }
                    return null;
                });
                committed.add(rows, delta, sourceDelta);
            } catch (RuntimeException e) {
                throw new ChunkFailed(firstLine, lastLine, e);
            } finally {
                while (committed.lock.isHeldByCurrentThread()) {
                    committed.lock.unlock();
                }
            }
        });
    }

    private void decide(long clientId, Checked c, String importId, Map<Long, LeadStore.Existing> existing, Map<String, Instant> calls,
                        LeadStore.KnownKeys known, Set<String> optedOut, Set<String> suppressed,
                        LeadStore.ImportSettings settings, Instant now, ImportReport report, List<LeadStore.NewLead> inserts,
                        List<LeadStore.Reactivation> reactivations) {
        LeadRow r = c.row();
        String email = normaliseEmail(r.email());
        if (r.error() != null) {
            report.invalid++;
            report.problem(r.line(), r.phone(), r.error(), false);
            return;
        }
        if (!suppressed.isEmpty() && email != null && suppressed.contains(SuppressionStore.emailHash(email))) {
            suppressed(report, r);
            return;
        }
        PhoneCheck p = c.phone();
        if (!p.valid()) {
            report.invalid++;
            report.problem(r.line(), r.phone(), "invalid phone: " + p.reason(), false);
            long key = LeadKeys.ofInvalid(invalidKey(r));
            if (known.add(key)) { // stored once, however often it is imported
                inserts.add(new LeadStore.NewLead(key, r, null, "invalid", null, false, false, email, "invalid", p.reason(), null));
            }
            return;
        }
        String e164 = p.e164();
        if (!suppressed.isEmpty() && suppressed.contains(SuppressionStore.phoneHash(e164))) {
            suppressed(report, r);
            return;
        }
        LeadStore.Existing ex = existing.get(LeadKeys.ofE164(e164));
        if (!optedOut.isEmpty() && optedOut.contains(e164)) {
            report.optedOut++;
            // the list's own reason (user_request, sms_stop, ... and whether it is global) for the rows the report lists
            String why = report.listsMoreProblems() ? optOuts.reasonFor(clientId, e164).map(x -> "opted out: " + x).orElse("opted out") : "opted out";
            report.problem(r.line(), r.phone(), why, false);
            if (ex == null) {
                inserts.add(lead(r, p, email, "skipped", "opted_out", null));
            }
            return;
        }
        Instant lastContact = latest(ex == null ? null : ex.lastContactedAt(), calls.isEmpty() ? null : calls.get(e164));
        String warning = null;
        if (lastContact != null) {
            Duration since = Duration.between(lastContact, now);
            if (since.compareTo(Duration.ofDays(settings.skipDays())) < 0) {
                report.recentlyContacted++;
                report.problem(r.line(), r.phone(), "contacted " + ago(since) + " ago (" + lastContact.truncatedTo(ChronoUnit.SECONDS)
                        + "), within " + settings.skipDays() + " days", false);
                if (ex == null) {
                    inserts.add(lead(r, p, email, "skipped", "recently_contacted", null));
                }
                return;
            }
            if (since.compareTo(Duration.ofDays(settings.warnDays())) < 0) {
                warning = "last contacted " + ago(since) + " ago (" + lastContact.truncatedTo(ChronoUnit.SECONDS) + ")";
            }
        }
        String status = r.instant() ? "queued" : "new";
        if (ex != null) {
            // only a lead parked by an opt-out since withdrawn, or by a contact window since passed, comes back;
            // a lead waiting for its call (or anything further along) is left alone
            boolean parked = ex.status().equals("skipped")
                    && ("opted_out".equals(ex.statusReason()) || "recently_contacted".equals(ex.statusReason()));
            // an expired lead comes back as a new one: this row's consent, a fresh expiry clock, no old queue position
            boolean expired = ex.status().equals("expired");
            if (!parked && !expired) {
                report.alreadyImported++;
                report.problem(r.line(), r.phone(), "already a lead since " + ex.createdAt().truncatedTo(ChronoUnit.SECONDS)
                        + " (lead " + ex.id() + ", status " + ex.status() + ")", false);
                return;
            }
            reactivations.add(new LeadStore.Reactivation(ex.id(), status, warning, importId, r.line(), expired ? r : null));
        } else {
            inserts.add(lead(r, p, email, status, null, warning));
        }
        report.imported(r.source());
        if (warning != null) {
            report.warned++;
            report.problem(r.line(), r.phone(), warning, true);
        }
    }

    /** A row of an erased person: counted, listed without its value (the summary is stored), never stored. */
    private static void suppressed(ImportReport report, LeadRow r) {
        report.suppressed++;
        report.problem(r.line(), null, "suppressed: this person's data was erased on request; they are not contacted again", false);
    }

    private static String invalidKey(LeadRow r) {
        String email = normaliseEmail(r.email());
        return (r.phone() == null ? "" : r.phone().trim()) + "|" + (r.name() == null ? "" : r.name()) + "|" + (email == null ? "" : email);
    }

    private static LeadStore.NewLead lead(LeadRow r, PhoneCheck p, String email, String status, String reason, String warning) {
        return new LeadStore.NewLead(LeadKeys.ofE164(p.e164()), r, p.e164(), p.type(), p.region(), p.smsCapable(), p.dialable(), email, status, reason, warning);
    }

    private static Instant latest(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }

    private static String ago(Duration d) {
        long days = d.toDays();
        return days >= 1 ? days + (days == 1 ? " day" : " days") : d.toHours() + " hours";
    }

    /** Trimmed, domain lower-cased (the local part is the mailbox owner's business). */
    static String normaliseEmail(String email) {
        if (email == null || email.isBlank()) {
            return null;
        }
        String e = email.trim();
        int at = e.lastIndexOf('@');
        if (at < 0) {
            return e;
        }
        for (int i = at + 1; i < e.length(); i++) {
            char ch = e.charAt(i);
            if (ch >= 'A' && ch <= 'Z' || ch > 0x7F) {
                return e.substring(0, at) + "@" + e.substring(at + 1).toLowerCase(Locale.ROOT);
            }
        }
        return e; // the domain is lower-case already: no copy
    }
}
