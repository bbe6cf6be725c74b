package uk.bookinghub.backups;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.http.Json;
import uk.bookinghub.store.BackupEngine;
import uk.bookinghub.store.DatabaseUrl;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * {@code java -jar target/booking-hub.jar restore --from <backup> [--to <DATABASE_URL>] [--force]}
 * (README "Backups and restore", docs/runbook.md): restores a backup file of {@code hub.backups.dir}
 * into a database (default: {@code DATABASE_URL}, else the embedded SQLite file {@code HUB_SQLITE_PATH}
 * or {@code data/hub.db}), refusing one that holds tables unless {@code --force}; then checks the
 * restored schema against this hub's migrations, compares row counts and checksums with the backup's
 * manifest, and prints what it did. Exit 0 only when the restore matches its manifest; 1 when it
 * failed or differs; 2 for wrong arguments or a target that is not empty.
 */
public final class RestoreCommand {

    private RestoreCommand() {
    }

    public static int run(String[] args, PrintStream out) {
        String from = null;
        String to = null;
        boolean force = false;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--from" -> from = i + 1 < args.length ? args[++i] : null;
                case "--to" -> to = i + 1 < args.length ? args[++i] : null;
                case "--force" -> force = true;
                default -> {
                    out.println("restore: unknown argument " + args[i]);
                    return usage(out);
                }
            }
        }
        if (from == null) {
            return usage(out);
        }
        Path file = Path.of(from);
        if (!Files.isRegularFile(file)) {
            out.println("restore: no backup file " + file.toAbsolutePath());
            return 2;
        }
        String name = file.getFileName().toString();
        String kind = name.endsWith(".sqlite.gz") ? "sqlite" : name.endsWith(".pgdump") ? "postgresql" : null;
        if (kind == null) {
            out.println("restore: " + name + " is not a hub backup (*.sqlite.gz or *.pgdump)");
            return 2;
        }
        String id = name.substring(0, name.length() - (kind.equals("sqlite") ? ".sqlite.gz".length() : ".pgdump".length()));
        Path manifestFile = file.resolveSibling(id + ".json");
        DatabaseUrl target;
        try {
            target = BackupEngine.target(to);
        } catch (RuntimeException e) {
            out.println("restore: " + e.getMessage());
            return 2;
        }
        String pgBin = System.getenv("HUB_PG_BIN_DIR");
        try {
            JsonNode manifest = Files.exists(manifestFile) ? Json.MAPPER.readTree(manifestFile.toFile()) : null;
            if (manifest != null && !manifest.path("sha256").asText().equals(Backups.sha256(file))) {
                out.println("restore: " + name + " does not match the SHA-256 in " + manifestFile.getFileName() + ": the file was changed or damaged");
                return 1;
            }
            if (BackupEngine.hasTables(target)) {
                if (!force) {
                    out.println("restore: " + target + " is not empty (it has tables); restore into a new database, or add --force to overwrite it");
                    return 2;
                }
                out.println("restore: " + target + " is not empty: overwriting it (--force)");
            }
            long t0 = System.nanoTime();
            out.println("restore: restoring " + file.toAbsolutePath() + " into " + target);
            BackupEngine.Summary s = BackupEngine.restore(file, kind, target, pgBin == null || pgBin.isBlank() ? null : Path.of(pgBin));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            long rows = s.rowCounts().values().stream().mapToLong(Long::longValue).sum();
            out.println("restore: restored in " + ms + " ms: schema version " + s.schemaVersion() + " (validates against this hub's migrations), "
                    + rows + " rows in " + s.rowCounts().size() + " tables");
            if (manifest == null) {
                out.println("restore: no manifest " + manifestFile.getFileName() + " beside the backup: restored, NOT compared");
                return 1;
            }
            List<String> differences = Backups.differences(manifest, s);
            if (!differences.isEmpty()) {
                out.println("restore: the restored database DIFFERS from the manifest:");
                differences.forEach(d -> out.println("  " + d));
                return 1;
            }
            out.println("restore: verified: every row count (" + s.rowCounts().size() + " tables) and checksum (" + s.checksums().size()
                    + " key tables) as in the manifest of " + manifest.path("createdAt").asText() + "; start the hub with DATABASE_URL pointing at it");
            return 0;
        } catch (Exception e) {
            out.println("restore: FAILED: " + e.getMessage());
            return 1;
        }
    }

    private static int usage(PrintStream out) {
        out.println("usage: java -jar target/booking-hub.jar restore --from <backup file> [--to <DATABASE_URL>] [--force]");
        return 2;
    }
}
