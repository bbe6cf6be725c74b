package uk.bookinghub.phones;

/**
 * The one phone check for every path that takes a number (leads, opt-outs, onboarding, messages, the
 * booking tools): {@link PhoneClassifier#check}, with Ofcom's drama ranges allowed only when
 * {@code hub.leads.allow-test-numbers} is on, exactly as the lead intake does: PhonesConfiguration binds the one
 * classifier ({@code phoneClassifier}) that every bean checking a number is given; a bean made outside the hub uses {@link #STRICT}.
 */
public final class HubPhones {

    /** Production rules: drama ranges are invalid. */
    public static final PhoneClassifier STRICT = new PhoneClassifier(false);

    private HubPhones() {
    }

    /** Why a number is refused, for a 400 naming the field: "'12345' is not a valid phone number: too short". */
    public static String refusal(String raw, PhoneCheck check) {
        return "'" + raw + "' is not a valid phone number: " + check.reason();
    }
}
