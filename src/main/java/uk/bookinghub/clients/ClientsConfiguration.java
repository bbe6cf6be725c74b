package uk.bookinghub.clients;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.phones.PhoneClassifier;
import uk.bookinghub.store.Database;

import java.time.Clock;

/** Tenants: {@code clientStore}, {@code tenantResolver}, {@code clientView}, {@code onboarding}, {@code clientAdmin}. */
public class ClientsConfiguration implements CamelConfiguration {

    @PropertyInject("hub.clients.cache-ttl-ms")
    int cacheTtlMs;
    @PropertyInject("hub.tenant-resolution.keep")
    int tenantResolutionKeep;
    @PropertyInject("hub.http.max-json-bytes")
    int maxJsonBytes;

    @Override
    public void configure(CamelContext camel) {
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        ClientStore clients = new ClientStore(Wiring.need(camel, "hubDatabase", Database.class), cacheTtlMs);
        camel.getRegistry().bind("clientStore", clients);
        camel.getRegistry().bind("tenantResolver", new TenantResolver(clients, clock, tenantResolutionKeep));
        camel.getRegistry().bind("clientView", new ClientView());
        Onboarding onboarding = new Onboarding(clients, clock, maxJsonBytes);
        onboarding.phones(Wiring.need(camel, "phoneClassifier", PhoneClassifier.class));
        camel.getRegistry().bind("onboarding", onboarding);
        camel.getRegistry().bind("clientAdmin", new ClientAdmin(clients, maxJsonBytes, clock));
    }
}
