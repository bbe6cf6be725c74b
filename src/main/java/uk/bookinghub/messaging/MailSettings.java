package uk.bookinghub.messaging;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The SMTP account the hub sends email through, from the environment: {@code EMAIL_SERVICE=gmail}
 * (smtp.gmail.com:587, STARTTLS, as the original system did), or {@code SMTP_HOST} /
 * {@code SMTP_PORT} / {@code SMTP_SECURITY} (starttls, ssl, none; "auto" picks ssl on 465,
 * starttls on 587, none otherwise), with {@code EMAIL_USER} / {@code EMAIL_PASS}. {@link #uri()}
 * is the camel-mail endpoint the email route sends to ({@code hub.mail.endpoint}).
 */
public record MailSettings(String host, int port, String security, String username, String password, String from) {

    public static MailSettings of(String service, String host, String port, String security, String username, String password, String from) {
        String h = blank(host);
        int p;
        try {
            p = blank(port) == null ? 587 : Integer.parseInt(port.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SMTP_PORT must be a port number, got '" + port + "'");
        }
        String sec = blank(security) == null ? "auto" : security.trim().toLowerCase(Locale.ROOT);
        if ("gmail".equalsIgnoreCase(blank(service) == null ? "" : service.trim())) {
            h = h == null ? "smtp.gmail.com" : h;
            p = blank(port) == null ? 587 : p;
            sec = "auto".equals(sec) ? "starttls" : sec;
        }
        if ("auto".equals(sec)) {
            sec = p == 465 ? "ssl" : p == 587 ? "starttls" : "none";
        }
        if (!sec.equals("ssl") && !sec.equals("starttls") && !sec.equals("none")) {
            throw new IllegalArgumentException("SMTP_SECURITY must be auto, starttls, ssl or none, got '" + security + "'");
        }
        String user = blank(username);
        String sender = blank(from) != null ? from.trim() : user != null && user.contains("@") ? user : h == null ? null : "bookings@" + h;
        return new MailSettings(h, p, sec, user, blank(password), sender);
    }

    /** Host set, and a password whenever a user is. */
    public boolean configured() {
        return host != null && (username == null || password != null);
    }

    public String uri() {
        if (!configured()) {
            return "smtp://localhost:25?contentType=text/html;charset=UTF-8"; // never used: messages are not_configured
        }
        StringBuilder u = new StringBuilder(security.equals("ssl") ? "smtps://" : "smtp://").append(host).append(':').append(port)
                .append("?contentType=text/html;charset=UTF-8&connectionTimeout=15000");
        if (username != null) {
            u.append("&username=RAW(").append(username).append(")&password=RAW(").append(password).append(')');
        }
        if (security.equals("starttls")) {
            u.append("&additionalJavaMailProperties=#mailStartTls");
        }
        return u.toString();
    }

    @Override
    public String toString() {
        return configured() ? (security + " " + host + ":" + port + (username == null ? "" : " as " + username)) : "not configured";
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
