package uk.bookinghub.leads;

import uk.bookinghub.phones.PhoneCheck;
import uk.bookinghub.phones.PhoneClassifier;
import uk.bookinghub.store.Database;

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
    private final PhoneClassifier phones;
    private final ExecutorService validators;
    private final int validatorThreads;
    private final Clock clock;
    private final int chunkSize;
    private final int maxProblems;

    LeadImporter(LeadStore store, OptOutStore optOuts, PhoneClassifier phones, ExecutorService validators, int validatorThreads,
                 Clock clock, int chunkSize, int maxProblems) {
        this.store = store;
        this.optOuts = optOuts;
        this.phones = phones;
        this.validators = validators;
        this.validatorThreads = validatorThreads;
        this.clock = clock;
        this.chunkSize = chunkSize;
        this.maxProblems = maxProblems;
    }

    /** Runs the import to the end; {@code onProgress} sees the counters after each committed chunk. */
    ImportReport run(String importId, long clientId, RowSource source, Consumer<ImportReport> onProgress) {
        LeadStore.ImportSettings settings = store.settings(clientId);
        Set<String> optedOut = optOuts.activeFor(clientId);
        ImportReport report = new ImportReport(maxProblems);
        LongIntMap seen = new LongIntMap(Math.max(1024, source.estimatedRows()));
        Instant startedAt = clock.instant();
        CompletableFuture<List<Checked>> next = validate(source.nextChunk(chunkSize), settings.country());
        while (true) {
            List<Checked> chunk = next.join();
            if (chunk.isEmpty()) {
                break;
            }
            next = validate(source.nextChunk(chunkSize), settings.country());
            write(importId, clientId, chunk, settings, optedOut, seen, report, source.estimatedRows(), startedAt);
            onProgress.accept(report);
        }
        return report;
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
                for (LeadRow r : slice) {
                    out.add(new Checked(r, r.error() != null ? null : phones.check(r.phone(), country)));
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
                       LongIntMap seen, ImportReport report, int estimatedRows, Instant startedAt) {
        Instant now = clock.instant();
        // in-file duplicates first (sequential: the first line wins), collecting the keys to look up
        List<Checked> fresh = new ArrayList<>(chunk.size());
        Set<String> keys = new LinkedHashSet<>();
        for (Checked c : chunk) {
            report.total++;
            if (c.phone() != null && c.phone().valid()) {
                int first = seen.putIfAbsent(Long.parseLong(c.phone().e164().substring(1)), c.row().line());
                if (first >= 0) {
                    report.duplicateInFile++;
                    report.problem(c.row().line(), c.row().phone(), "duplicate of line " + first, false);
                    continue;
                }
                keys.add(c.phone().e164());
            }
            fresh.add(c);
        }
        Database db = store.database();
        db.inTransaction("importing leads", conn -> {
            Map<String, LeadStore.Existing> existing = store.existing(conn, clientId, keys);
            Map<String, Instant> calls = store.lastCalls(conn, clientId, keys);
            List<LeadStore.NewLead> inserts = new ArrayList<>(fresh.size());
            List<LeadStore.Reactivation> reactivations = new ArrayList<>();
            for (Checked c : fresh) {
                decide(c, importId, existing, calls, optedOut, settings, now, report, inserts, reactivations);
            }
            store.insert(conn, clientId, importId, inserts, now);
            store.reactivate(conn, reactivations, now);
            store.progress(conn, importId, "running", report.total, Math.max(estimatedRows, report.total), report.counts(), startedAt);
            return null;
        });
    }

    private void decide(Checked c, String importId, Map<String, LeadStore.Existing> existing, Map<String, Instant> calls, Set<String> optedOut,
                        LeadStore.ImportSettings settings, Instant now, ImportReport report, List<LeadStore.NewLead> inserts,
                        List<LeadStore.Reactivation> reactivations) {
        LeadRow r = c.row();
        String email = normaliseEmail(r.email());
        if (r.error() != null) {
            report.invalid++;
            report.problem(r.line(), r.phone(), r.error(), false);
            return;
        }
        PhoneCheck p = c.phone();
        if (!p.valid()) {
            report.invalid++;
            report.problem(r.line(), r.phone(), "invalid phone: " + p.reason(), false);
            String key = "invalid:" + (r.phone() == null ? "" : r.phone().trim()) + "|" + (r.name() == null ? "" : r.name()) + "|" + (email == null ? "" : email);
            inserts.add(new LeadStore.NewLead(key, r, null, "invalid", null, false, false, email, "invalid", p.reason(), null));
            return;
        }
        String e164 = p.e164();
        LeadStore.Existing ex = existing.get(e164);
        if (optedOut.contains(e164)) {
            report.optedOut++;
            report.problem(r.line(), r.phone(), "opted out", false);
            if (ex == null) {
                inserts.add(lead(r, p, email, "skipped", "opted_out", null));
            }
            return;
        }
        Instant lastContact = latest(ex == null ? null : ex.lastContactedAt(), calls.get(e164));
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
            if (!parked) {
                report.alreadyImported++;
                report.problem(r.line(), r.phone(), "already a lead since " + ex.createdAt().truncatedTo(ChronoUnit.SECONDS)
                        + " (lead " + ex.id() + ", status " + ex.status() + ")", false);
                return;
            }
            reactivations.add(new LeadStore.Reactivation(ex.id(), status, warning, importId, r.line()));
        } else {
            inserts.add(lead(r, p, email, status, null, warning));
        }
        report.imported++;
        if (warning != null) {
            report.warned++;
            report.problem(r.line(), r.phone(), warning, true);
        }
    }

    private static LeadStore.NewLead lead(LeadRow r, PhoneCheck p, String email, String status, String reason, String warning) {
        return new LeadStore.NewLead(p.e164(), r, p.e164(), p.type(), p.region(), p.smsCapable(), p.dialable(), email, status, reason, warning);
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
        return at < 0 ? e : e.substring(0, at) + "@" + e.substring(at + 1).toLowerCase(Locale.ROOT);
    }
}
