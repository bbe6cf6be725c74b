package uk.bookinghub.audit;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.Wiring;
import uk.bookinghub.api.ApiCatalog;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.CallerAddress;
import uk.bookinghub.store.Database;

import java.time.Clock;

/**
 * The audit log: {@code auditDoor} (every REST request passes it before the front door),
 * {@code auditApi} (the list and the chain check) and the catalog rule that every state-changing
 * endpoint names its audit action. After the API (its catalog).
 */
public class AuditConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(AuditConfiguration.class);

    @PropertyInject("hub.audit.trusted-proxies")
    String trustedProxies;

    @Override
    public void configure(CamelContext camel) {
        AuditStore store = new AuditStore(Wiring.need(camel, "hubDatabase", Database.class));
        CallerAddress addresses = new CallerAddress(trustedProxies);
        ApiCatalog catalog = Wiring.need(camel, "apiCatalog", ApiCatalog.class);
        catalog.require(AuditActions::missing);
        camel.getRegistry().bind("callerAddress", addresses);
        camel.getRegistry().bind("auditDoor", new AuditDoor(catalog, store, addresses, Wiring.need(camel, "hubClock", Clock.class)));
        camel.getRegistry().bind("auditApi", new AuditApi(store, Wiring.need(camel, "clientStore", ClientStore.class)));
        LOG.info("[AUDIT] audit log on: {} audited endpoint(s) and every authentication failure; caller IPs from {}", AuditActions.all().size(),
                addresses.trustedCount() == 0 ? "the socket (no trusted proxies)" : "X-Forwarded-For behind " + addresses.trustedCount() + " trusted proxy entr(ies)");
    }
}
