package uk.bookinghub.alerts;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

/**
 * Email to {@code ADMIN_EMAIL} through the hub's SMTP account (camel-mail, the endpoint the
 * messaging route uses: {@code hub.mail.endpoint}). It needs no database, so an alert about the
 * database still goes out. A refused recipient or bad address is not retried.
 */
public final class EmailChannel implements AlertChannel {

    private final CamelContext camel;
    private final String endpoint;
    private final String from;
    private final String to;
    private final boolean mailConfigured;
    private volatile ProducerTemplate producer;

    public EmailChannel(CamelContext camel, String endpoint, boolean mailConfigured, String from, String adminEmail) {
        this.camel = camel;
        this.endpoint = endpoint;
        this.mailConfigured = mailConfigured;
        this.from = from;
        this.to = adminEmail == null || adminEmail.isBlank() ? null : adminEmail.trim();
    }

    @Override
    public String name() {
        return "email";
    }

    @Override
    public boolean configured() {
        return mailConfigured && to != null;
    }

    /** What is missing, in words, for /health and the test endpoint. */
    public String missing() {
        return to == null ? "set ADMIN_EMAIL" : !mailConfigured ? "set SMTP_HOST (or EMAIL_SERVICE=gmail) and EMAIL_USER / EMAIL_PASS" : null;
    }

    @Override
    public Outcome send(Notification n) {
        if (producer == null) {
            producer = camel.createProducerTemplate();
        }
        Exchange done = producer.send(endpoint, ex -> {
            ex.getMessage().setHeader("To", to);
            ex.getMessage().setHeader("From", from);
            ex.getMessage().setHeader("Subject", n.headline().replaceAll("[\\r\\n]+", " "));
            ex.getMessage().setBody(html(n));
        });
        Exception e = done.getException();
        if (e == null) {
            return Outcome.ok();
        }
        String why = rootMessage(e);
        boolean permanent = why.contains("Invalid Addresses") || why.contains("550") || why.contains("553") || why.contains("AddressException");
        return new Outcome(false, "SMTP: " + why, null, permanent);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    static String html(Notification n) {
        StringBuilder b = new StringBuilder("<html><body style=\"font-family:sans-serif\"><pre style=\"font-family:inherit;white-space:pre-wrap\">");
        b.append(escape(n.text()));
        b.append("</pre>");
        if (n.link() != null) {
            b.append("<p><a href=\"").append(escape(n.link())).append("\">Open the group in the error-stats API</a></p>");
        }
        return b.append("</body></html>").toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
