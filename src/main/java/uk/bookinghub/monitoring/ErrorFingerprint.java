package uk.bookinghub.monitoring;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One cause, one group: the fingerprint of an error is a hash of its service, route, exception type
 * and its message with what varies between occurrences stripped. "Timeout after 3000 ms calling lead
 * 12345" and "Timeout after 2999 ms calling lead 99" are one group; a different route or exception
 * type is another.
 *
 * <p>What {@link #normalise} strips, in one pass over the message (leftmost match first): UUIDs (Vapi
 * call ids), e-mail addresses, ISO-8601 dates and times, a URL's query string, quoted values (but a
 * quoted identifier without digits, such as a constraint name {@code "calls_pkey"} or Twilio's
 * {@code 'To'}, is kept: it names the cause), phone numbers (international with {@code +}, or UK
 * national from {@code 0}, spaces allowed), and every word with a digit in it (ids,
 * counts, durations, ports, Twilio SIDs). Kept, because a different one is a different cause: an
 * HTTP or SIP status after {@code HTTP}, {@code status}, {@code statusCode}, {@code Vapi}, {@code
 * Twilio} or {@code sip} ("Vapi 400" is not "Vapi 500"), an error code after {@code code}
 * (Twilio's 21211), and a status inside a Vapi reason code ({@code ...-sip-503-service-unavailable}).
 * Package names are dropped from class names, case and spacing do not count, and a list of
 * stripped values counts as one ("leads 1, 2, 3" is "leads 4, 5").
 */
public final class ErrorFingerprint {

    private static final Pattern PARTS = Pattern.compile(String.join("|",
            "(?<uuid>\\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\b)",
            "(?<email>[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+)",
            "(?<time>\\b\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:Z|[+-]\\d{2}:?\\d{2})?)?)",
            "(?<query>\\?[^\\s\"'<>]+)",
            "(?<status>(?i:\\b(?:https?|status(?:[ _]?code)?|vapi|twilio|sip))(?:[ =-]|: ?)*[1-5]\\d\\d\\b)",
            "(?<code>(?i:\\b(?:error[ _]?code|code))[ :=]*\\d{3,6}\\b)",
            "(?<quoted>'[^'\\n]{0,200}'|\"[^\"\\n]{0,200}\")",
            "(?<phone>\\+\\d[\\d ()-]{6,}\\d|\\b0\\d[\\d ()-]{7,}\\d)",
            "(?<cls>\\b(?:[a-z_][a-z0-9_]*\\.){2,}(?<simple>[A-Z][\\w$]*))",
            "(?<token>[A-Za-z0-9_]*\\d[A-Za-z0-9_]*)"));
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z_.-]{0,62}");
    private static final Pattern REASON_STATUS = Pattern.compile("[1-5]\\d\\d");
    private static final Pattern LIST = Pattern.compile("(<(?:n|id|phone|email|value|time)>)(?:\\s*[,;]\\s*\\1)+");
    private static final Pattern SPACES = Pattern.compile("\\s+");
    private static final Pattern EXCEPTION = Pattern.compile("\\b(?:[a-z_$][\\w$]*\\.)*([A-Z][\\w$]*(?:Exception|Error|Problem|Failure))\\b");

    /** How much of a message is looked at: what makes a cause is at its start. */
    static final int MAX_LENGTH = 2000;

    private ErrorFingerprint() {
    }

    /** The message as it is grouped: what varies replaced by placeholders, lower case, spaces collapsed. */
    public static String normalise(String message) {
        if (message == null) {
            return "";
        }
        String m = message.length() > MAX_LENGTH ? message.substring(0, MAX_LENGTH) : message;
        Matcher x = PARTS.matcher(m);
        StringBuilder out = new StringBuilder(m.length());
        while (x.find()) {
            x.appendReplacement(out, Matcher.quoteReplacement(replacement(x, m)));
        }
        x.appendTail(out);
        String n = SPACES.matcher(out).replaceAll(" ").trim().toLowerCase(Locale.ROOT);
        return LIST.matcher(n).replaceAll("$1,...");
    }

    private static String replacement(Matcher x, String m) {
        if (x.group("uuid") != null) {
            return "<id>";
        }
        if (x.group("email") != null) {
            return "<email>";
        }
        if (x.group("time") != null) {
            return "<time>";
        }
        if (x.group("query") != null) {
            return "?<query>";
        }
        if (x.group("status") != null || x.group("code") != null) {
            return x.group(); // a status or an error code names the cause
        }
        if (x.group("quoted") != null) {
            String q = x.group();
            return IDENTIFIER.matcher(q.substring(1, q.length() - 1)).matches() ? q : "<value>";
        }
        if (x.group("phone") != null) {
            return "<phone>";
        }
        if (x.group("cls") != null) {
            return x.group("simple");
        }
        // a word with a digit in it: an id, a count, a port... unless it is the status inside a Vapi reason code
        String t = x.group();
        int s = x.start();
        int e = x.end();
        if (REASON_STATUS.matcher(t).matches() && s > 0 && m.charAt(s - 1) == '-' && e < m.length() && m.charAt(e) == '-') {
            return t;
        }
        return "<n>";
    }

    /**
     * The exception type in a message ({@code Type: message}, as ErrorLog.recordFailure writes it, or
     * a class name anywhere in it, as a dead letter's {@code retries exhausted: org...Exception: ...}):
     * the first one, without its package; "" when there is none.
     */
    public static String exceptionType(String message) {
        if (message == null) {
            return "";
        }
        Matcher x = EXCEPTION.matcher(message.length() > MAX_LENGTH ? message.substring(0, MAX_LENGTH) : message);
        return x.find() ? x.group(1) : "";
    }

    /** 16 hex characters of SHA-256 over service, route, exception type and normalised message. */
    public static String of(String service, String routeId, String message) {
        String key = (service == null ? "" : service) + '\n' + (routeId == null ? "" : routeId) + '\n'
                + exceptionType(message) + '\n' + normalise(message);
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code s} has the form of a fingerprint (16 lower-case hex characters). */
    public static boolean valid(String s) {
        return s != null && s.length() == 16 && s.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f');
    }
}
