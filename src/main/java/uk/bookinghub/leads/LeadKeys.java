package uk.bookinghub.leads;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A lead's dedupe number ({@code leads.dedupe_no}, unique per client): the digits of its E.164
 * number for a valid phone (positive: at most 15 digits), and for an invalid row a negative 63-bit
 * digest of the row's phone, name and email, so the same invalid row is stored once however often
 * it is imported. A bigint key instead of text made the unique index about half as costly to
 * fill on PostgreSQL (1M-row import).
 */
public final class LeadKeys {
    private LeadKeys() {
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    /** The key of a valid number: {@code +447700900123} → 447700900123. */
    public static long ofE164(String e164) {
        return Long.parseLong(e164, 1, e164.length(), 10);
    }

    /** The key of a number that should be E.164 ({@code +} and 1–15 digits), or 0, which no lead has. */
    public static long ofE164OrZero(String e164) {
        if (e164 == null || e164.length() < 2 || e164.length() > 16 || e164.charAt(0) != '+') {
            return 0;
        }
        for (int i = 1; i < e164.length(); i++) {
            if (e164.charAt(i) < '0' || e164.charAt(i) > '9') {
                return 0;
            }
        }
        return ofE164(e164);
    }

    /**
     * SQL condition on {@code leads}: the leads with a number, of one client ({@code client_id = ?
     * and dedupe_no = ?}) or of every client ({@code dedupe_no = ?} only), both through the unique
     * index on (client_id, dedupe_no): a million-row leads table is never scanned for a STOP.
     */
    public static String numberCondition(boolean oneClient) {
        return oneClient ? "client_id = ? and dedupe_no = ?" : "client_id in (select id from clients) and dedupe_no = ?";
    }

    /** The E.164 form of a positive key. */
    public static String e164(long key) {
        return "+" + key;
    }

    /** The key of an invalid row, from its text key (phone|name|email): always negative, never 0. */
    public static long ofInvalid(String invalidKey) {
        byte[] d = SHA256.get().digest(invalidKey.getBytes(StandardCharsets.UTF_8));
        long h = 0;
        for (int i = 0; i < 8; i++) {
            h = (h << 8) | (d[i] & 0xFF);
        }
        return h | Long.MIN_VALUE;
    }
}
