package uk.bookinghub.messaging;

import com.twilio.exception.ApiConnectionException;
import com.twilio.exception.ApiException;
import org.apache.camel.Exchange;

import java.io.IOException;
import java.lang.reflect.Method;
import java.util.Set;

/**
 * Tells a send failure that a retry can cure (Twilio 429 / 20429 / 5xx, timeouts, refused
 * connections, SMTP 4xx) from one it cannot (Twilio 4xx such as 21610 STOP, 21211 invalid number,
 * 21614 landline; SMTP 5xx; a channel with no credentials). Permanent failures are not retried.
 */
public final class SendFailures {

    /** The recipient replied STOP: Twilio refuses until they reply START. */
    public static final int TWILIO_UNSUBSCRIBED = 21610;
    /** Invalid 'To' number / not a mobile number: the number cannot take SMS. */
    public static final Set<Integer> TWILIO_NOT_SMS_CAPABLE = Set.of(21211, 21614);

    /** What went wrong, in the words stored with the message. */
    public record Failure(boolean permanent, String status, String code, String text, Integer twilioCode) {
    }

    /** onException predicate of the message-retry configuration. */
    public boolean isPermanent(Exchange exchange) {
        Throwable t = exchange.getException();
        if (t == null) {
            t = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        }
        return t != null && classify(t).permanent();
    }

    public static Failure classify(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ChannelNotConfigured n) {
                return new Failure(true, "not_configured", null, n.getMessage(), null);
            }
            if (t instanceof ApiException a) {
                Integer code = a.getCode();
                Integer http = a.getStatusCode();
                String text = "Twilio " + (http == null ? "" : http + " ") + (code == null ? "" : code + " ") + a.getMessage();
                boolean retry = (http != null && (http == 429 || http >= 500)) || (code != null && code == 20429) || (http == null && code == null);
                return new Failure(!retry, "failed", code == null ? null : String.valueOf(code), text.trim(), code);
            }
            if (t instanceof ApiConnectionException) {
                return new Failure(false, "failed", null, "Twilio unreachable: " + t.getMessage(), null);
            }
            Integer smtp = smtpReturnCode(t);
            if (smtp != null && smtp > 0) {
                return new Failure(smtp >= 500, "failed", "smtp-" + smtp, "SMTP " + smtp + ": " + firstLine(t.getMessage()), null);
            }
            if (t instanceof IOException) {
                return new Failure(false, "failed", null, t.getClass().getSimpleName() + ": " + t.getMessage(), null);
            }
        }
        return new Failure(false, "failed", null, error.getClass().getSimpleName() + ": " + error.getMessage(), null);
    }

    /** Angus Mail's SMTP exceptions carry the server's reply code ({@code getReturnCode}). */
    private static Integer smtpReturnCode(Throwable t) {
        if (!t.getClass().getName().contains(".smtp.")) {
            return null;
        }
        try {
            Method m = t.getClass().getMethod("getReturnCode");
            return (Integer) m.invoke(t);
        } catch (ReflectiveOperationException | ClassCastException e) {
            return null;
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl).strip();
    }

    /** A channel without credentials: its messages are recorded as not_configured, never faked as sent. */
    public static final class ChannelNotConfigured extends RuntimeException {
        public ChannelNotConfigured(String message) {
            super(message);
        }
    }
}
