package uk.bookinghub.clients;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A client's plan: it sets the client's request budget and daily import budget
 * ({@code hub.rate-limits.*}). {@code free} unless set at onboarding or by an admin.
 */
public enum Tier {
    FREE, PRO, ENTERPRISE;

    /** How the tier is written in JSON, in the database and in configuration keys: {@code free}, {@code pro}, {@code enterprise}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The tier spelled {@code key} (exactly as {@link #key()} writes it), or empty. */
    public static Optional<Tier> parse(String key) {
        return Arrays.stream(values()).filter(t -> t.key().equals(key)).findFirst();
    }

    /** The tier of a stored row; a value the migration's check would refuse is a broken row, said loudly. */
    public static Tier stored(String key) {
        return parse(key).orElseThrow(() -> new IllegalStateException("stored client tier '" + key + "' is not one of " + names()));
    }

    /** {@code free, pro or enterprise}, for error messages. */
    public static String names() {
        String all = Arrays.stream(values()).map(Tier::key).collect(Collectors.joining(", "));
        int last = all.lastIndexOf(", ");
        return all.substring(0, last) + " or " + all.substring(last + 2);
    }
}
