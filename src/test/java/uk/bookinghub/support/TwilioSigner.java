package uk.bookinghub.support;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What Twilio does when it calls our webhooks (protocols.md §2.5–2.7), computed independently of twilio-java's
 * {@code RequestValidator} (the hub uses that one; the test side must not, or both could be wrong together).
 */
public final class TwilioSigner {

    /** Header Twilio puts the signature in. */
    public static final String HEADER = "X-Twilio-Signature";

    /** A JSON webhook as Twilio sends it: URL with {@code bodySHA256} appended, signature over that URL only. */
    public record SignedJson(String url, String signature, String body) {
    }

    private TwilioSigner() {
    }

    /**
     * Base64(HMAC-SHA1(authToken, fullUrl + name1 + value1 + name2 + value2 ...)), params sorted by name in
     * case-sensitive (Unix / UTF-16 code unit) order; a null value counts as "".
     */
    public static String sign(String authToken, String fullUrl, Map<String, String> formParams) {
        StringBuilder data = new StringBuilder(fullUrl);
        if (formParams != null) {
            List<String> names = new ArrayList<>(formParams.keySet());
            names.sort(null); // String.compareTo: case-sensitive, 'Z' < 'a'
            for (String name : names) {
                String value = formParams.get(name);
                data.append(name).append(value == null ? "" : value);
            }
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(authToken.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(data.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * JSON-bodied webhook: appends {@code bodySHA256=<lowercase hex SHA-256 of the UTF-8 body>} to the URL (with
     * '?' or '&') and signs that URL alone (empty param map).
     */
    public static SignedJson signJson(String authToken, String urlWithoutBodyHash, String jsonBody) {
        String url = urlWithoutBodyHash + (urlWithoutBodyHash.contains("?") ? "&" : "?") + "bodySHA256="
                + sha256Hex(jsonBody);
        return new SignedJson(url, sign(authToken, url, Map.of()), jsonBody);
    }

    /** Lowercase hex SHA-256 of the UTF-8 bytes of {@code body}. */
    public static String sha256Hex(String body) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** application/x-www-form-urlencoded body (UTF-8, space as '+', order kept; null value as ""). */
    public static String form(Map<String, String> params) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (b.length() > 0) {
                b.append('&');
            }
            b.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue() == null ? "" : e.getValue(), StandardCharsets.UTF_8));
        }
        return b.toString();
    }

    /**
     * Status-callback params (§2.5): MessageSid, SmsSid, AccountSid, From, To, MessageStatus, SmsStatus, ApiVersion,
     * then ErrorCode when given, then RawDlrDoneDate (YYMMDDhhmm, UTC now) for delivered / undelivered. Mutable,
     * so a test can add e.g. MessagingServiceSid.
     */
    public static LinkedHashMap<String, String> statusCallback(String messageSid, String status,
                                                               String errorCodeOrNull, String accountSid,
                                                               String from, String to) {
        LinkedHashMap<String, String> p = new LinkedHashMap<>();
        p.put("MessageSid", messageSid);
        p.put("SmsSid", messageSid);
        p.put("AccountSid", accountSid);
        p.put("From", from);
        p.put("To", to);
        p.put("MessageStatus", status);
        p.put("SmsStatus", status);
        p.put("ApiVersion", "2010-04-01");
        if (errorCodeOrNull != null) {
            p.put("ErrorCode", errorCodeOrNull);
        }
        if ("delivered".equals(status) || "undelivered".equals(status)) {
            p.put("RawDlrDoneDate",
                    ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyMMddHHmm")));
        }
        return p;
    }

    /**
     * Inbound-SMS webhook params (§2.6): MessageSid = SmsSid = SmsMessageSid ("SM" + 32 hex), AccountSid, From, To,
     * Body, NumMedia "0", NumSegments "1", SmsStatus "received", ApiVersion, FromCountry "GB", ToCountry "GB", and
     * OptOutType (STOP / START / HELP) only when given. Mutable.
     */
    public static LinkedHashMap<String, String> inbound(String from, String to, String body, String optOutTypeOrNull,
                                                        String accountSid) {
        String sid = TwilioStub.newSid("SM");
        LinkedHashMap<String, String> p = new LinkedHashMap<>();
        p.put("MessageSid", sid);
        p.put("SmsSid", sid);
        p.put("SmsMessageSid", sid);
        p.put("AccountSid", accountSid);
        p.put("From", from);
        p.put("To", to);
        p.put("Body", body);
        p.put("NumMedia", "0");
        p.put("NumSegments", "1");
        p.put("SmsStatus", "received");
        p.put("ApiVersion", "2010-04-01");
        p.put("FromCountry", "GB");
        p.put("ToCountry", "GB");
        if (optOutTypeOrNull != null) {
            p.put("OptOutType", optOutTypeOrNull);
        }
        return p;
    }
}
