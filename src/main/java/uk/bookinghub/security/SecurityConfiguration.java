package uk.bookinghub.security;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.clients.ClientStore;

/** Who may call: {@code adminAuth} (the admin token) and {@code apiKeys} (each client's key). */
public class SecurityConfiguration implements CamelConfiguration {

    @PropertyInject("hub.admin.token")
    String adminToken;

    @Override
    public void configure(CamelContext camel) {
        camel.getRegistry().bind("adminAuth", new AdminAuth(adminToken.trim()));
        camel.getRegistry().bind("apiKeys", new ApiKeys(Wiring.need(camel, "clientStore", ClientStore.class)));
    }
}
