package uk.bookinghub.monitoring;

/**
 * A client's stored settings document (calling rules, booking rules, follow-up sequences) could not
 * be read back. The hub fails closed: whatever depends on that setting stops for that client (no
 * dial without its consent rule, no reminder or follow-up from rules it cannot read) until the
 * settings are saved again; other clients carry on. {@link SettingsAlarm} raises the alert.
 */
public final class UnreadableSettings extends RuntimeException {

    private final String setting;
    private final String reason;

    public UnreadableSettings(String setting, String reason) {
        super("stored " + setting + " are unreadable: " + reason, null, false, false);
        this.setting = setting;
        this.reason = reason;
    }

    /** The column / document: calling_settings, booking_settings, follow_up_sequences. */
    public String setting() {
        return setting;
    }

    public String reason() {
        return reason;
    }

    /** The first line of a parse error, without the JSON parser's source excerpt. */
    public static String describe(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        m = nl < 0 ? m : m.substring(0, nl);
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }
}
