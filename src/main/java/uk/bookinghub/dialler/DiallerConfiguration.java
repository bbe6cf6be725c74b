package uk.bookinghub.dialler;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.metrics.BusinessMetrics;
import uk.bookinghub.booking.BookingApi;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.leads.OptOutStore;
import uk.bookinghub.store.Database;

import java.time.Clock;
import java.time.Duration;

/**
 * The dialler: {@code dialler} (queued leads become Vapi calls inside each client's calling rules)
 * and {@code diallerRetry}; the booking settings API reads calling settings through it.
 */
public class DiallerConfiguration implements CamelConfiguration {

    @PropertyInject("vapi.private-key")
    String privateKey;
    @PropertyInject("vapi.assistant-id")
    String assistantId;
    @PropertyInject("vapi.phone-number-id")
    String phoneNumberId;
    @PropertyInject("vapi.base-url")
    String baseUrl;
    @PropertyInject("hub.dialler.batch-size")
    int batchSize;
    @PropertyInject("hub.dialler.call-timeout-seconds")
    int callTimeoutSeconds;
    @PropertyInject("hub.dialler.paused-recheck-minutes")
    int pausedRecheckMinutes;

    @Override
    public void configure(CamelContext camel) {
        Dialler dialler = new Dialler(Wiring.need(camel, "hubDatabase", Database.class), Wiring.need(camel, "clientStore", ClientStore.class),
                Wiring.need(camel, "optOutStore", OptOutStore.class), new Dialler.VapiSettings(Wiring.blankToNull(privateKey),
                Wiring.blankToNull(assistantId), Wiring.blankToNull(phoneNumberId), Wiring.blankToNull(baseUrl)),
                Wiring.need(camel, "hubClock", Clock.class), batchSize, Duration.ofSeconds(callTimeoutSeconds),
                Wiring.need(camel, "errorLog", uk.bookinghub.monitoring.ErrorLog.class));
        dialler.camel(camel);
        dialler.suppressions(Wiring.need(camel, "suppressionStore", uk.bookinghub.leads.SuppressionStore.class));
        dialler.metrics(Wiring.need(camel, "businessMetrics", BusinessMetrics.class));
        dialler.pausedRecheck(Duration.ofMinutes(pausedRecheckMinutes));
        camel.getRegistry().bind("dialler", dialler);
        camel.getRegistry().bind("diallerRetry", dialler.beforeRetry());
        Wiring.need(camel, "bookingApi", BookingApi.class).callingSettings(dialler);
    }
}
