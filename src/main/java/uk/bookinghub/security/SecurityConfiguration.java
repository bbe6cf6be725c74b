package uk.bookinghub.security;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.monitoring.MonitoringConfiguration;
import uk.bookinghub.store.Database;

import java.time.Clock;
import java.time.Duration;

/**
 * Who may call: {@code adminAuth} (the admin token), {@code apiKeys} (each client's keys, and their
 * management API) and {@code clientTokens} (short-lived JWTs issued for a key).
 */
public class SecurityConfiguration implements CamelConfiguration {

    @PropertyInject("hub.admin.token")
    String adminToken;
    @PropertyInject("hub.auth.jwt-secret")
    String jwtSecret;
    @PropertyInject("hub.auth.issuer")
    String issuer;
    @PropertyInject("hub.auth.audience")
    String audience;
    @PropertyInject("hub.auth.token-ttl")
    String tokenTtl;
    @PropertyInject("hub.auth.max-keys-per-client")
    int maxKeysPerClient;

    @Override
    public void configure(CamelContext camel) {
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        camel.getRegistry().bind("adminAuth", new AdminAuth(adminToken.trim()));
        if (maxKeysPerClient < 1) {
            throw new IllegalArgumentException("hub.auth.max-keys-per-client must be at least 1, got " + maxKeysPerClient);
        }
        ApiKeys keys = new ApiKeys(new ApiKeyStore(Wiring.need(camel, "hubDatabase", Database.class)),
                Wiring.need(camel, "clientStore", ClientStore.class), clock, maxKeysPerClient);
        camel.getRegistry().bind("apiKeys", keys);
        Duration ttl = MonitoringConfiguration.duration("hub.auth.token-ttl", tokenTtl);
        if (ttl.compareTo(Duration.ofMinutes(1)) < 0 || ttl.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("hub.auth.token-ttl must be between 1m and 24h (a token stays valid until then), got '" + tokenTtl + "'");
        }
        if (issuer.isBlank() || audience.isBlank()) {
            throw new IllegalArgumentException("hub.auth.issuer and hub.auth.audience must not be empty");
        }
        camel.getRegistry().bind("clientTokens", new ClientTokens(jwtSecret.trim(), issuer.trim(), audience.trim(), ttl, clock, keys));
    }
}
