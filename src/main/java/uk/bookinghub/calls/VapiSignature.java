package uk.bookinghub.calls;

import uk.bookinghub.http.HttpProblem;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Vapi's HMAC webhook credential ({@code HMACAuthenticationPlan}, reference/protocols.md §1.7): Vapi
 * sends {@code hex(HMAC-<algorithm>(secret, "{timestamp}.{body}"))} in the signature header (default
 * {@code x-signature}, optionally prefixed such as {@code sha256=}) and the timestamp in the timestamp
 * header (default {@code x-timestamp}). The hub recomputes it over the raw body as received, compares
 * the bytes in constant time, and refuses a timestamp outside the replay window (either side of now:
 * a captured request cannot be replayed later). Vapi does not publish the timestamp's unit: Unix
 * seconds, Unix milliseconds (13 digits) and ISO-8601 are each accepted, and it is signed as sent.
 */
public final class VapiSignature {

    private final byte[] secret;
    private final String algorithm;
    private final String signatureHeader;
    private final String timestampHeader;
    private final Duration window;
    private final Clock clock;

    /** {@code algorithm}: sha256 (Vapi's default), sha512 or sha1; a blank secret = not configured. */
    public VapiSignature(String secret, String algorithm, String signatureHeader, String timestampHeader, Duration window, Clock clock) {
        this.secret = secret == null || secret.isBlank() ? null : secret.getBytes(StandardCharsets.UTF_8);
        this.algorithm = switch (algorithm == null ? "" : algorithm.strip().toLowerCase(Locale.ROOT)) {
            case "sha256", "" -> "HmacSHA256";
            case "sha512" -> "HmacSHA512";
            case "sha1" -> "HmacSHA1";
            default -> throw new IllegalArgumentException("vapi.webhook.hmac-algorithm must be sha256, sha512 or sha1, got '" + algorithm + "'");
        };
        this.signatureHeader = signatureHeader;
        this.timestampHeader = timestampHeader;
        this.window = window;
        this.clock = clock;
    }

    public boolean configured() {
        return secret != null;
    }

    public String signatureHeader() {
        return signatureHeader;
    }

    public String timestampHeader() {
        return timestampHeader;
    }

    /** Checks the request; a 401 names what was wrong (never the expected value). */
    public void verify(String signature, String timestamp, byte[] body, int offset, int length) {
        if (signature == null || signature.isBlank()) {
            throw HttpProblem.unauthorized("missing Vapi signature header " + signatureHeader);
        }
        if (timestamp == null || timestamp.isBlank()) {
            throw HttpProblem.unauthorized("missing Vapi timestamp header " + timestampHeader + " (the signature covers it)");
        }
        Instant at = instant(timestamp.strip());
        if (at == null) {
            throw HttpProblem.unauthorized("unreadable Vapi timestamp in " + timestampHeader + " (Unix seconds, milliseconds or ISO-8601)");
        }
        Duration off = Duration.between(at, clock.instant()).abs();
        if (off.compareTo(window) > 0) {
            throw HttpProblem.unauthorized("stale Vapi signature: the timestamp is " + off.toSeconds() + " s from now, outside the replay window of "
                    + window.toSeconds() + " s");
        }
        byte[] given = decode(signature.strip());
        if (given == null || !MessageDigest.isEqual(given, sign(timestamp.strip(), body, offset, length))) {
            throw HttpProblem.unauthorized("invalid Vapi signature");
        }
    }

    /** {@code HMAC(secret, timestamp + "." + body)}. */
    byte[] sign(String timestamp, byte[] body, int offset, int length) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(secret, algorithm));
            mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
            mac.update(body, offset, length);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Hex, with or without a {@code <algorithm>=} prefix; null when it is not hex. */
    private static byte[] decode(String s) {
        int eq = s.indexOf('=');
        String hex = eq >= 0 && eq < 10 ? s.substring(eq + 1) : s;
        try {
            return HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static Instant instant(String t) {
        if (t.matches("\\d{1,12}")) {
            return Instant.ofEpochSecond(Long.parseLong(t));
        }
        if (t.matches("\\d{13}")) {
            return Instant.ofEpochMilli(Long.parseLong(t));
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
