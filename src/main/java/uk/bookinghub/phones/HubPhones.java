package uk.bookinghub.phones;

import org.apache.camel.CamelContext;

/**
 * The one phone check for every path that takes a number (leads, opt-outs, onboarding, messages, the
 * booking tools): {@link PhoneClassifier#check}, with Ofcom's drama ranges allowed only when
 * {@code hub.leads.allow-test-numbers} is on, exactly as the lead intake does. Beans bound in the
 * registry get the hub's setting through {@link #of(CamelContext)} (Camel hands them the context when
 * they are bound); a bean made outside the hub uses {@link #STRICT}.
 */
public final class HubPhones {

    /** Production rules: drama ranges are invalid. */
    public static final PhoneClassifier STRICT = new PhoneClassifier(false);
    private static final PhoneClassifier WITH_TEST_NUMBERS = new PhoneClassifier(true);

    private HubPhones() {
    }

    public static PhoneClassifier of(CamelContext camel) {
        if (camel == null) {
            return STRICT;
        }
        boolean test = camel.getPropertiesComponent().resolveProperty("hub.leads.allow-test-numbers")
                .map(String::trim).map(Boolean::parseBoolean).orElse(false);
        return test ? WITH_TEST_NUMBERS : STRICT;
    }

    /** Why a number is refused, for a 400 naming the field: "'12345' is not a valid phone number: too short". */
    public static String refusal(String raw, PhoneCheck check) {
        return "'" + raw + "' is not a valid phone number: " + check.reason();
    }
}
