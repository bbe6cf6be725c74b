package uk.bookinghub.monitoring;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One cause, one group: the fingerprint of an error is a hash of its service, route, exception type
 * and its message with what varies between occurrences stripped (ids, numbers, phone numbers, emails,
 * quoted values, URLs' query strings). "Timeout after 3000 ms calling lead 12345" and "Timeout after
 * 2999 ms calling lead 99" are one group; a different route or exception type is another.
 */
public final class ErrorFingerprint {

    private static final Pattern UUID = Pattern.compile("\\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\b");
    private static final Pattern EMAIL = Pattern.compile("[\\w.+-]+@[\\w-]+(\\.[\\w-]+)+");
    private static final Pattern PHONE = Pattern.compile("\\+?\\d[\\d ()-]{6,}\\d");
    private static final Pattern HEXID = Pattern.compile("\\b(?=[0-9a-fA-F]*\\d)[0-9a-fA-F]{12,}\\b");
    /** Twilio / Vapi style ids: two capitals and 32 hex (SM..., CA...), or a word with digits in it. */
    private static final Pattern TOKEN_WITH_DIGITS = Pattern.compile("\\b[A-Za-z_-]*\\d[\\w-]*\\b");
    private static final Pattern QUOTED = Pattern.compile("'[^']*'|\"[^\"]*\"");
    private static final Pattern QUERY = Pattern.compile("\\?[^\\s]*");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private ErrorFingerprint() {
    }

    /** The message as it is grouped: what varies replaced by placeholders, lower case, spaces collapsed. */
    public static String normalise(String message) {
        if (message == null) {
            return "";
        }
        String m = message.length() > 2000 ? message.substring(0, 2000) : message;
        m = UUID.matcher(m).replaceAll("<id>");
        m = EMAIL.matcher(m).replaceAll("<email>");
        m = QUERY.matcher(m).replaceAll("?<query>");
        m = QUOTED.matcher(m).replaceAll("<value>");
        m = PHONE.matcher(m).replaceAll("<phone>");
        m = HEXID.matcher(m).replaceAll("<id>");
        m = TOKEN_WITH_DIGITS.matcher(m).replaceAll("<n>");
        return SPACES.matcher(m).replaceAll(" ").trim().toLowerCase(Locale.ROOT);
    }

    /** The exception type of a message written as {@code Type: message} (ErrorLog.recordFailure), else "". */
    public static String exceptionType(String message) {
        if (message == null) {
            return "";
        }
        int colon = message.indexOf(": ");
        if (colon > 0 && colon < 120) {
            String head = message.substring(0, colon);
            if (head.matches("[A-Z][\\w$.]*(Exception|Error|Problem|Failure)")) {
                return head;
            }
        }
        return "";
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
}
