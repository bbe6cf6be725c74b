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

    /**
     * Reads stored settings with {@code parse}; anything that stops them being read (not JSON, not an
     * object, a value the parser refuses) is an {@code UnreadableSettings} naming the setting, never a default.
     */
    public static <T> T read(String setting, String json, java.util.function.Function<com.fasterxml.jackson.databind.JsonNode, T> parse) {
        com.fasterxml.jackson.databind.JsonNode tree;
        try {
            tree = uk.bookinghub.http.Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new UnreadableSettings(setting, "not JSON: " + describe(e));
        }
        if (tree == null || !tree.isObject()) {
            throw new UnreadableSettings(setting, "not a JSON object");
        }
        try {
            return parse.apply(tree);
        } catch (uk.bookinghub.http.HttpProblem p) {
            Object fields = p.details().get("fields");
            throw new UnreadableSettings(setting, p.getMessage() + (fields == null ? "" : ": " + fields));
        } catch (UnreadableSettings u) {
            throw u;
        } catch (RuntimeException e) {
            throw new UnreadableSettings(setting, describe(e));
        }
    }
}
