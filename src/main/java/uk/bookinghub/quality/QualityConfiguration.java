package uk.bookinghub.quality;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.alerts.AlertSink;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.dialler.Dialler;
import uk.bookinghub.store.Database;

import java.math.BigDecimal;
import java.time.Clock;

/**
 * Call quality ({@code routes/quality.camel.yaml}): {@code qualityMonitor} (the hourly pass) and
 * {@code qualityApi}. After the dialler in {@code camel.main.configuration-classes}: the pass pauses
 * diallers through it.
 */
public class QualityConfiguration implements CamelConfiguration {

    @PropertyInject("hub.quality.min-calls")
    int minCalls;
    @PropertyInject("hub.quality.min-connect-percent")
    String minConnectPercent;
    @PropertyInject("hub.quality.max-abandoned-percent")
    String maxAbandonedPercent;
    @PropertyInject("hub.quality.max-tool-error-percent")
    String maxToolErrorPercent;
    @PropertyInject("hub.quality.max-tool-p95-ms")
    int maxToolP95Ms;
    @PropertyInject("hub.quality.max-vapi-failure-percent")
    String maxVapiFailurePercent;

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        ClientStore clients = Wiring.need(camel, "clientStore", ClientStore.class);
        Dialler dialler = Wiring.need(camel, "dialler", Dialler.class);
        QualitySettings settings = new QualitySettings(minCalls, new BigDecimal(minConnectPercent.trim()), new BigDecimal(maxAbandonedPercent.trim()),
                new BigDecimal(maxToolErrorPercent.trim()), maxToolP95Ms, new BigDecimal(maxVapiFailurePercent.trim()));
        QualityStore store = new QualityStore(db);
        QualityMonitor monitor = new QualityMonitor(store, clients, dialler, Wiring.need(camel, "alerts", AlertSink.class), settings, clock);
        camel.getRegistry().bind("qualityMonitor", monitor);
        camel.getRegistry().bind("qualityApi", new QualityApi(monitor, store, clients, dialler, clock));
    }
}
