package uk.bookinghub.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import uk.bookinghub.security.Secrets;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of {@code audit_log}: what was done ({@code action}, {@code targets}, {@code details}), for
 * which client, by whom ({@code actor}), from where ({@code ip}), in which request, with what answer
 * ({@code status}), and its place in the chain ({@code id}, {@code prevHash}, {@code hash}).
 *
 * <p>The canonical form that is hashed is the JSON array, without spaces, of
 * {@code ["audit-v1", id, at, clientId, clientKey, actor, action, targets, details, ip, requestId,
 * status, prevHash]}: numbers as JSON numbers, {@code at} as ISO-8601 UTC with exactly three decimals
 * ({@code 2026-12-07T12:00:00.000Z}), {@code targets} and {@code details} as the JSON text stored in
 * their columns (or null), strings escaped as JSON, absent values {@code null}. {@code hash} is the
 * lower-case hex SHA-256 of its UTF-8 bytes; row 1's {@code prevHash} is 64 zeros. Anyone can
 * recompute it from the rows (a Python {@code json.dumps(..., separators=(",", ":"),
 * ensure_ascii=False)} gives the same bytes for the characters the hub writes).
 */
public record AuditEntry(long id, Instant at, Long clientId, String clientKey, String actor, String action, String targets, String details,
                         String ip, String requestId, int status, String prevHash, String hash) {

    /** The prevHash of the first row. */
    public static final String GENESIS = "0".repeat(64);
    static final String VERSION = "audit-v1";
    /** Jackson's defaults, on purpose not the hub's shared mapper: a setting changed there must not change how rows hash. */
    private static final ObjectMapper CANON = new ObjectMapper();
    private static final DateTimeFormatter AT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** What a request contributes to a row; the chain (id, prevHash, hash) is added when it is appended. */
    public record Draft(Instant at, Long clientId, String clientKey, String actor, String action, List<String> targets,
                        Map<String, Object> details, String ip, String requestId, int status) {

        /** The row that follows {@code prevId} / {@code prevHash} in the chain. */
        AuditEntry chained(long prevId, String prevHash) {
            Instant ms = at.truncatedTo(ChronoUnit.MILLIS); // what both databases keep exactly
            String t = targets == null || targets.isEmpty() ? null : json(targets);
            String d = details == null || details.isEmpty() ? null : json(details);
            long id = prevId + 1;
            return new AuditEntry(id, ms, clientId, clientKey, actor, action, t, d, ip, requestId, status, prevHash,
                    hashOf(id, ms, clientId, clientKey, actor, action, t, d, ip, requestId, status, prevHash));
        }
    }

    /** The hash this row's content and prevHash give (equal to {@link #hash} unless the row was changed). */
    public String computedHash() {
        return hashOf(id, at, clientId, clientKey, actor, action, targets, details, ip, requestId, status, prevHash);
    }

    static String hashOf(long id, Instant at, Long clientId, String clientKey, String actor, String action, String targets, String details,
                         String ip, String requestId, int status, String prevHash) {
        return Secrets.sha256Hex(canonical(id, at, clientId, clientKey, actor, action, targets, details, ip, requestId, status, prevHash));
    }

    static String canonical(long id, Instant at, Long clientId, String clientKey, String actor, String action, String targets, String details,
                            String ip, String requestId, int status, String prevHash) {
        List<Object> fields = new ArrayList<>(Arrays.asList(VERSION, id, at == null ? null : AT.format(at), clientId, clientKey, actor, action,
                targets, details, ip, requestId, status, prevHash));
        return json(fields);
    }

    private static String json(Object value) {
        try {
            return CANON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("an audit value that is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static Object read(String text, Class<?> type) {
        try {
            return CANON.readValue(text, type);
        } catch (JsonProcessingException e) {
            return text; // a changed row may hold anything: shown as it is (verify names it)
        }
    }

    /** The row as the API shows it: targets as a list, details as an object. */
    public Map<String, Object> view() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("at", AT.format(at));
        m.put("clientKey", clientKey);
        m.put("actor", actor);
        m.put("action", action);
        m.put("targets", targets == null ? List.of() : read(targets, List.class));
        m.put("details", details == null ? Map.of() : read(details, Map.class));
        m.put("ip", ip);
        m.put("requestId", requestId);
        m.put("status", status);
        m.put("prevHash", prevHash);
        m.put("hash", hash);
        return m;
    }
}
