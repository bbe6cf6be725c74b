package uk.bookinghub.backups;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.alerts.AlertSignal;
import uk.bookinghub.alerts.AlertSink;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.http.Reply;
import uk.bookinghub.store.BackupEngine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Backups of the hub's database (issue 18; README "Backups and restore"). Each backup is a file in
 * {@code hub.backups.dir} named with its time and database ({@code hub-20261207-023000-postgresql.pgdump})
 * and a manifest beside it ({@code ….json}: size, SHA-256, schema version, row counts per table and
 * checksums of the key tables at backup time, duration, tool, and the result of the last verification).
 * The manifests are files, not rows: they outlive the database they describe.
 *
 * <p>A backup is taken by the clustered Quartz schedule ({@code hub.backups.cron}) or {@code POST
 * /api/admin/backups}, copied to {@code hub.backups.copy-to} when set, verified by a restore into a
 * scratch database ({@code hub.backups.verify-after}), and old ones are removed by the retention
 * ({@code keep-daily}, {@code keep-weekly}). Every failure is an alert; {@code /health} shows the
 * ages of the last good backup and of the last proven restore, {@code degraded} when the newest good
 * backup is older than {@code hub.backups.max-age-hours} (a new hub has that long for its first).
 */
public final class Backups {

    private static final Logger LOG = LoggerFactory.getLogger(Backups.class);
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(java.time.ZoneOffset.UTC);
    private static final Pattern ID = Pattern.compile("hub-\\d{8}-\\d{6}(-\\d+)?-(sqlite|postgresql)");

    /** {@code hub.backups.*}. */
    public record Settings(Path dir, Path copyTo, int keepDaily, int keepWeekly, Duration maxAge, boolean verifyAfter, ZoneId zone) {
    }

    private final BackupEngine engine;
    private final Settings settings;
    private final Clock clock;
    private final AlertSink alerts;
    private final Instant startedAt;
    private final ReentrantLock running = new ReentrantLock();
    private volatile String lastFailure;
    private volatile Instant lastFailureAt;

    public Backups(BackupEngine engine, Settings settings, Clock clock, AlertSink alerts) {
        this.engine = engine;
        this.settings = settings;
        this.clock = clock;
        this.alerts = alerts;
        this.startedAt = clock.instant();
    }

    // ---------------------------------------------------------------- the API

    /** {@code GET /api/admin/backups}: every backup, newest first, with its verification. */
    public Map<String, Object> list() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("dir", settings.dir().toAbsolutePath().toString());
        out.put("backups", manifests());
        out.put("health", health());
        return out;
    }

    /** {@code POST /api/admin/backups}: a backup now (201 with its manifest), 409 while one is being taken. */
    public Reply takeNow() {
        return Reply.created(take("on request"));
    }

    /** {@code POST /api/admin/backups/{id}/verify}: restores the backup into a scratch database and compares. */
    public Map<String, Object> verifyNow(uk.bookinghub.api.Params params) {
        String id = params.text("id");
        if (id == null || !ID.matcher(id).matches()) {
            throw HttpProblem.notFound("no backup " + id + " (ids look like hub-20261207-023000-postgresql)");
        }
        if (!Files.exists(manifestPath(id))) {
            throw HttpProblem.notFound("no backup " + id + " in " + settings.dir().toAbsolutePath());
        }
        if (!running.tryLock()) {
            throw new HttpProblem(409, "a backup or verification is running now; try again when it has finished");
        }
        try {
            return verify(id);
        } finally {
            running.unlock();
        }
    }

    // ---------------------------------------------------------------- the schedule

    /** The Quartz schedule's pass: a backup, its verification, the retention. Failures alert, never throw. */
    public void scheduled() {
        try {
            take("scheduled");
        } catch (RuntimeException e) {
            LOG.debug("[BACKUP] scheduled backup failed: {}", e.getMessage()); // already logged and alerted
        }
    }

    /** The periodic age check: an alert while the newest good backup is older than the maximum age. */
    public void checkAge() {
        Map<String, Object> h = health();
        boolean stale = "degraded".equals(h.get("status"));
        alerts.condition(AlertSignal.of("backups:stale", "backup-age", "critical", "No recent backup",
                "the newest good backup is " + (h.get("lastSuccess") == null ? "missing" : "from " + h.get("lastSuccess"))
                        + "; backups older than " + settings.maxAge().toHours() + " h (hub.backups.max-age-hours)"), stale);
    }

    // ---------------------------------------------------------------- taking, verifying, keeping

    Map<String, Object> take(String why) {
        if (!running.tryLock()) {
            throw new HttpProblem(409, "a backup or verification is running now; try again when it has finished");
        }
        try {
            return takeLocked(why);
        } finally {
            running.unlock();
        }
    }

    private Map<String, Object> takeLocked(String why) {
        Instant start = clock.instant();
        long t0 = System.nanoTime();
        String id = newId(start);
        Path file = settings.dir().resolve(id + engine.extension());
        Path tmp = settings.dir().resolve(".tmp-" + id + engine.extension());
        try {
            Files.createDirectories(settings.dir());
            BackupEngine.Taken taken = engine.backup(tmp);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            ObjectNode m = Json.MAPPER.createObjectNode();
            m.put("id", id);
            m.put("file", file.getFileName().toString());
            m.put("database", engine.databaseKind());
            m.put("reason", why);
            m.put("createdAt", start.toString());
            m.put("finishedAt", clock.instant().toString());
            m.put("durationMs", (System.nanoTime() - t0) / 1_000_000);
            m.put("sizeBytes", Files.size(file));
            m.put("sha256", sha256(file));
            m.put("tool", taken.tool());
            m.put("schemaVersion", taken.summary().schemaVersion());
            m.set("rowCounts", Json.MAPPER.valueToTree(taken.summary().rowCounts()));
            m.set("checksums", Json.MAPPER.valueToTree(taken.summary().checksums()));
            m.putNull("copiedTo");
            ObjectNode v = m.putObject("verification");
            v.put("status", settings.verifyAfter() ? "pending" : "not verified");
            writeManifest(id, m);
            LOG.info("[BACKUP] {} taken ({}): {} bytes in {} ms, schema version {}, {} rows in {} tables", id, why, m.get("sizeBytes").asLong(),
                    m.get("durationMs").asLong(), taken.summary().schemaVersion(),
                    taken.summary().rowCounts().values().stream().mapToLong(Long::longValue).sum(), taken.summary().rowCounts().size());
            if (settings.copyTo() != null) {
                copy(id, file, m);
            }
            lastFailure = null;
            Map<String, Object> result = settings.verifyAfter() ? verify(id) : Json.MAPPER.convertValue(m, Map.class);
            retention();
            return result;
        } catch (IOException | RuntimeException e) {
            quietlyDelete(tmp);
            quietlyDelete(file);
            quietlyDelete(manifestPath(id));
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            failed("Backup failed", "the " + why + " backup " + id + " of the " + engine.databaseKind() + " database failed: " + reason, "backups:failed",
                    "backup-failed");
            throw new HttpProblem(500, "the backup failed: " + reason);
        }
    }

    private void copy(String id, Path file, ObjectNode m) throws IOException {
        try {
            Files.createDirectories(settings.copyTo());
            Path to = settings.copyTo().resolve(file.getFileName());
            Path tmp = settings.copyTo().resolve(".tmp-" + file.getFileName());
            Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
            if (!sha256(tmp).equals(m.get("sha256").asText())) {
                Files.deleteIfExists(tmp);
                throw new IOException("the copy in " + settings.copyTo() + " does not match the backup's SHA-256");
            }
            Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            m.put("copiedTo", to.toAbsolutePath().toString());
            writeManifest(id, m);
            Files.writeString(settings.copyTo().resolve(id + ".json"), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(m));
        } catch (IOException e) {
            throw new IOException("the backup was taken but its copy to hub.backups.copy-to " + settings.copyTo() + " failed: " + e.getMessage(), e);
        }
    }

    /** Checks the file against its manifest, restores it into a scratch database, and compares what it holds. */
    Map<String, Object> verify(String id) {
        ObjectNode m = readManifest(id);
        Path file = settings.dir().resolve(m.path("file").asText());
        long t0 = System.nanoTime();
        List<String> differences = new ArrayList<>();
        String error = null;
        try {
            if (!Files.exists(file)) {
                error = "the backup file " + file.getFileName() + " is missing";
            } else if (!sha256(file).equals(m.path("sha256").asText())) {
                error = "the file's SHA-256 does not match the manifest (the file was changed or damaged after it was written)";
            } else {
                differences.addAll(differences(m, engine.verify(file)));
            }
        } catch (IOException | RuntimeException e) {
            error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        boolean ok = error == null && differences.isEmpty();
        ObjectNode v = m.putObject("verification");
        v.put("status", ok ? "ok" : "failed");
        v.put("at", clock.instant().toString());
        v.put("durationMs", (System.nanoTime() - t0) / 1_000_000);
        if (error != null) {
            v.put("error", error);
        }
        v.set("differences", Json.MAPPER.valueToTree(differences));
        try {
            writeManifest(id, m);
        } catch (IOException e) {
            LOG.error("[BACKUP] cannot record the verification of {}: {}", id, e.getMessage());
        }
        if (ok) {
            LOG.info("[BACKUP] {} verified: restored into a scratch database in {} ms, every row count and checksum as in the manifest", id,
                    v.get("durationMs").asLong());
        } else {
            failed("Backup verification failed", "backup " + id + " did not restore as recorded: "
                    + (error != null ? error : String.join("; ", differences.subList(0, Math.min(5, differences.size())))),
                    "backups:verify-failed", "backup-verify-failed");
        }
        return Json.MAPPER.convertValue(m, Map.class);
    }

    /** How a restored database differs from its backup's manifest (empty: it is what was backed up). */
    static List<String> differences(JsonNode manifest, BackupEngine.Summary restored) {
        List<String> differences = new ArrayList<>();
        if (!Objects.equals(restored.schemaVersion(), manifest.path("schemaVersion").asText(null))) {
            differences.add("schema version " + restored.schemaVersion() + ", manifest " + manifest.path("schemaVersion").asText(null));
        }
        compare("rows", manifest.path("rowCounts"), Json.MAPPER.valueToTree(restored.rowCounts()), differences);
        compare("checksum", manifest.path("checksums"), Json.MAPPER.valueToTree(restored.checksums()), differences);
        return differences;
    }

    private static void compare(String what, JsonNode expected, JsonNode actual, List<String> differences) {
        Set<String> names = new LinkedHashSet<>();
        expected.fieldNames().forEachRemaining(names::add);
        actual.fieldNames().forEachRemaining(names::add);
        for (String n : names) {
            String e = expected.path(n).asText(null);
            String a = actual.path(n).asText(null);
            if (!Objects.equals(e, a)) {
                differences.add(what + " of " + n + ": " + a + " restored, " + e + " in the manifest");
            }
        }
    }

    /** Keeps the newest good backup of each of the last {@code keepDaily} days and {@code keepWeekly} ISO weeks; removes the rest. */
    List<String> retention() {
        List<Map<String, Object>> all = manifests();
        Set<String> keep = keep(all, settings.keepDaily(), settings.keepWeekly(), settings.zone());
        List<String> removed = new ArrayList<>();
        for (Map<String, Object> m : all) {
            String id = String.valueOf(m.get("id"));
            if (!keep.contains(id)) {
                quietlyDelete(settings.dir().resolve(String.valueOf(m.get("file"))));
                quietlyDelete(manifestPath(id));
                removed.add(id);
            }
        }
        if (!removed.isEmpty()) {
            LOG.info("[BACKUP] retention removed {} (keeping {} daily, {} weekly)", removed, settings.keepDaily(), settings.keepWeekly());
        }
        return removed;
    }

    /**
     * Which backups the retention keeps: per local day of the last {@code days} days that have one, and per ISO week of the
     * last {@code weeks} weeks that have one, the newest whose verification did not fail. A backup whose verification failed is
     * kept only while nothing newer is good (it may still be the best there is).
     */
    static Set<String> keep(List<Map<String, Object>> newestFirst, int days, int weeks, ZoneId zone) {
        Set<String> keep = new LinkedHashSet<>();
        Map<LocalDate, String> byDay = new LinkedHashMap<>();
        Map<String, String> byWeek = new LinkedHashMap<>();
        boolean goodSeen = false;
        for (Map<String, Object> m : newestFirst) {
            String id = String.valueOf(m.get("id"));
            boolean failed = m.get("verification") instanceof Map<?, ?> v && "failed".equals(v.get("status"));
            if (failed) {
                if (!goodSeen) {
                    keep.add(id);
                }
                continue;
            }
            goodSeen = true;
            LocalDate day = Instant.parse(String.valueOf(m.get("createdAt"))).atZone(zone).toLocalDate();
            String week = day.get(IsoFields.WEEK_BASED_YEAR) + "-W" + day.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
            if (!byDay.containsKey(day) && byDay.size() < days) {
                byDay.put(day, id);
                keep.add(id);
            }
            if (!byWeek.containsKey(week) && byWeek.size() < weeks) {
                byWeek.put(week, id);
                keep.add(id);
            }
        }
        return keep;
    }

    // ---------------------------------------------------------------- health

    /** {@code backups} in /health: the last good backup and the last proven restore, their ages; degraded when too old. */
    public Map<String, Object> health() {
        Instant now = clock.instant();
        String lastSuccess = null;
        String lastVerified = null;
        int count = 0;
        for (Map<String, Object> m : manifests()) {
            count++;
            if (lastSuccess == null) {
                lastSuccess = String.valueOf(m.get("finishedAt"));
            }
            if (lastVerified == null && m.get("verification") instanceof Map<?, ?> v && "ok".equals(v.get("status"))) {
                lastVerified = String.valueOf(v.get("at"));
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        Instant since = lastSuccess == null ? startedAt : Instant.parse(lastSuccess);
        boolean stale = Duration.between(since, now).compareTo(settings.maxAge()) > 0;
        out.put("status", stale ? "degraded" : lastSuccess == null ? "none yet" : "ok");
        out.put("count", count);
        out.put("lastSuccess", lastSuccess);
        out.put("lastSuccessAgeHours", lastSuccess == null ? null : hours(Instant.parse(lastSuccess), now));
        out.put("lastVerifiedRestore", lastVerified);
        out.put("lastVerifiedRestoreAgeHours", lastVerified == null ? null : hours(Instant.parse(lastVerified), now));
        out.put("maxAgeHours", settings.maxAge().toHours());
        if (lastFailure != null) {
            out.put("lastFailure", lastFailure);
            out.put("lastFailureAt", lastFailureAt.toString());
        }
        return out;
    }

    private static double hours(Instant from, Instant to) {
        return Math.round(Duration.between(from, to).toMinutes() / 6.0) / 10.0;
    }

    // ---------------------------------------------------------------- files

    private List<Map<String, Object>> manifests() {
        if (!Files.isDirectory(settings.dir())) {
            return List.of();
        }
        List<Map<String, Object>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(settings.dir())) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".json")).toList()) {
                String id = p.getFileName().toString().replaceFirst("\\.json$", "");
                if (!ID.matcher(id).matches()) {
                    continue;
                }
                try {
                    out.add(Json.MAPPER.convertValue(Json.MAPPER.readTree(p.toFile()), Map.class));
                } catch (IOException | RuntimeException e) {
                    LOG.warn("[BACKUP] unreadable manifest {}: {}", p, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new HttpProblem(500, "cannot list " + settings.dir().toAbsolutePath() + ": " + e.getMessage());
        }
        out.sort(Comparator.comparing((Map<String, Object> m) -> String.valueOf(m.get("createdAt"))).thenComparing(m -> String.valueOf(m.get("id"))).reversed());
        return out;
    }

    private ObjectNode readManifest(String id) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(manifestPath(id).toFile());
        } catch (IOException | ClassCastException e) {
            throw new HttpProblem(500, "the manifest of " + id + " cannot be read: " + e.getMessage());
        }
    }

    private void writeManifest(String id, ObjectNode m) throws IOException {
        Path tmp = settings.dir().resolve(".tmp-" + id + ".json");
        Files.writeString(tmp, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(m));
        Files.move(tmp, manifestPath(id), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Path manifestPath(String id) {
        return settings.dir().resolve(id + ".json");
    }

    private String newId(Instant at) {
        String base = "hub-" + NAME_TIME.format(at) + "-";
        String id = base + engine.databaseKind();
        for (int i = 2; Files.exists(manifestPath(id)) || Files.exists(settings.dir().resolve(id + engine.extension())); i++) {
            id = base.substring(0, base.length() - 1) + "-" + i + "-" + engine.databaseKind();
        }
        return id;
    }

    private void failed(String title, String detail, String group, String rule) {
        lastFailure = detail;
        lastFailureAt = clock.instant();
        LOG.error("[CRITICAL ALERT] [BACKUP] {}", detail);
        alerts.occurred(AlertSignal.of(group, rule, "critical", title, detail));
    }

    static String sha256(Path file) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void quietlyDelete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("[BACKUP] cannot delete {}: {}", p, e.getMessage());
        }
    }
}
