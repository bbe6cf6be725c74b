package uk.bookinghub.phones;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one phone check: binds {@code phoneClassifier}, the only reader of
 * {@code hub.leads.allow-test-numbers}. Leads, opt-outs, onboarding, messages and the booking tools
 * all get this instance from the registry.
 */
public class PhonesConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(PhonesConfiguration.class);

    @PropertyInject("hub.leads.allow-test-numbers")
    boolean allowTestNumbers;

    @Override
    public void configure(CamelContext camel) {
        if (allowTestNumbers) {
            LOG.warn("HUB_ALLOW_TEST_NUMBERS is on: Ofcom drama ranges (07700 900xxx, 01632 960xxx, ...) count as valid numbers");
        }
        camel.getRegistry().bind("phoneClassifier", new PhoneClassifier(allowTestNumbers));
    }
}
