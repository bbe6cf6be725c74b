package uk.bookinghub.audit;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The canonical form an audit row is hashed in is the one the README documents, so anyone can
 * recompute a row's hash without the hub: the expected hash below was computed with Python's
 * {@code json.dumps(row, separators=(",", ":"), ensure_ascii=False)} and {@code hashlib.sha256}.
 */
class AuditEntryTest {

    private static final String CANONICAL = "[\"audit-v1\",7,\"2026-12-07T12:00:00.123Z\",3,\"acme-plumbing\",\"key:bh_AbC1234\",\"lead_import\","
            + "\"[\\\"import:imp_1\\\"]\",\"{\\\"count\\\":1204}\",\"203.0.113.9\",\"req-1\",200,\"" + "0".repeat(64) + "\"]";

    @Test
    void aRowIsHashedInTheDocumentedCanonicalForm() {
        AuditEntry e = new AuditEntry.Draft(Instant.parse("2026-12-07T12:00:00.123456Z"), 3L, "acme-plumbing", "key:bh_AbC1234", "lead_import",
                List.of("import:imp_1"), Map.of("count", 1204), "203.0.113.9", "req-1", 200).chained(6, AuditEntry.GENESIS);
        assertThat(e.id()).isEqualTo(7);
        assertThat(e.at()).as("kept to the millisecond, as both databases store it").isEqualTo(Instant.parse("2026-12-07T12:00:00.123Z"));
        assertThat(AuditEntry.canonical(e.id(), e.at(), e.clientId(), e.clientKey(), e.actor(), e.action(), e.targets(), e.details(), e.ip(),
                e.requestId(), e.status(), e.prevHash())).isEqualTo(CANONICAL);
        assertThat(e.hash()).isEqualTo("a29ff505719599c959ddeaaffec93d4742c67b69ab8f774f5e79d08e2281449b").isEqualTo(e.computedHash());
    }

    @Test
    void anyChangedFieldChangesTheHash() {
        AuditEntry e = new AuditEntry.Draft(Instant.parse("2026-12-07T12:00:00Z"), null, null, "admin", "alert_test", List.of(), Map.of(),
                "127.0.0.1", "req-2", 200).chained(0, AuditEntry.GENESIS);
        assertThat(e.targets()).isNull();
        assertThat(e.details()).isNull();
        AuditEntry changed = new AuditEntry(e.id(), e.at(), e.clientId(), e.clientKey(), e.actor(), e.action(), e.targets(), e.details(), e.ip(),
                e.requestId(), 500, e.prevHash(), e.hash());
        assertThat(changed.computedHash()).isNotEqualTo(e.hash());
        AuditEntry next = new AuditEntry.Draft(e.at(), null, null, "admin", "alert_test", null, null, "127.0.0.1", "req-3", 200).chained(e.id(), e.hash());
        assertThat(next.prevHash()).isEqualTo(e.hash());
        assertThat(next.id()).isEqualTo(2);
    }

    @Test
    void theVerifierNamesTheFirstBrokenRow() {
        AuditEntry a = new AuditEntry.Draft(Instant.EPOCH, null, null, "admin", "quality_run", null, null, null, "r1", 200).chained(0, AuditEntry.GENESIS);
        AuditEntry b = new AuditEntry.Draft(Instant.EPOCH, null, null, "admin", "quality_run", null, null, null, "r2", 200).chained(a.id(), a.hash());
        AuditEntry c = new AuditEntry.Draft(Instant.EPOCH, null, null, "admin", "quality_run", null, null, null, "r3", 200).chained(b.id(), b.hash());
        AuditApi.Chain ok = new AuditApi.Chain();
        List.of(a, b, c).forEach(ok::next);
        assertThat(ok.brokenId).isNull();
        assertThat(ok.rows).isEqualTo(3);

        AuditApi.Chain gap = new AuditApi.Chain();
        List.of(a, c).forEach(gap::next);
        assertThat(gap.brokenId).isEqualTo(3);
        assertThat(gap.reason).contains("rows 2 are missing");

        AuditEntry changed = new AuditEntry(b.id(), b.at(), b.clientId(), b.clientKey(), b.actor(), "alert_test", b.targets(), b.details(), b.ip(),
                b.requestId(), b.status(), b.prevHash(), b.hash());
        AuditApi.Chain edited = new AuditApi.Chain();
        List.of(a, changed, c).forEach(edited::next);
        assertThat(edited.brokenId).isEqualTo(2);
        assertThat(edited.reason).contains("changed");
        assertThat(edited.rows).isEqualTo(3);
    }
}
