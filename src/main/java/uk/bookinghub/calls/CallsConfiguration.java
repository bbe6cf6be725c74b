package uk.bookinghub.calls;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.booking.BookingTools;
import uk.bookinghub.clients.TenantResolver;
import uk.bookinghub.leads.LeadStore;
import uk.bookinghub.store.Database;

import java.time.Clock;

/**
 * Vapi's server messages: {@code callStore} (the group-committed call writer, closed when the
 * context stops) and {@code vapiWebhook}, which answers tool calls through {@code bookingTools} and
 * names inbound callers from {@code leadStore}; {@code vapiFailures} logs the failures a webhook shows
 * (an end-of-call report of an error kind, a webhook no client matched).
 */
public class CallsConfiguration implements CamelConfiguration {

    @PropertyInject("hub.database.writers")
    int writers;
    @PropertyInject("hub.database.max-batch")
    int maxBatch;
    @PropertyInject("hub.database.write-timeout-ms")
    long writeTimeoutMs;
    @PropertyInject("vapi.webhook.secret")
    String secret;
    @PropertyInject("vapi.webhook.max-body-bytes")
    long maxBodyBytes;
    @PropertyInject("vapi.assistant-id")
    String assistantId;
    @PropertyInject("vapi.webhook.hmac-secret")
    String hmacSecret;
    @PropertyInject("vapi.webhook.hmac-algorithm")
    String hmacAlgorithm;
    @PropertyInject("vapi.webhook.hmac-signature-header")
    String hmacSignatureHeader;
    @PropertyInject("vapi.webhook.hmac-timestamp-header")
    String hmacTimestampHeader;
    @PropertyInject("vapi.webhook.hmac-replay-window-seconds")
    int hmacWindowSeconds;

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        CallStore calls = new CallStore(db, writers, maxBatch, writeTimeoutMs);
        Wiring.onStop(camel, "the call writer", calls::close);
        camel.getRegistry().bind("callStore", calls);
        BookingTools tools = Wiring.need(camel, "bookingTools", BookingTools.class);
        LeadStore leads = Wiring.need(camel, "leadStore", LeadStore.class);
        VapiWebhook webhook = new VapiWebhook(secret.trim(), maxBodyBytes, Wiring.need(camel, "tenantResolver", TenantResolver.class), calls,
                Wiring.need(camel, "hubClock", Clock.class), tools::answer);
        webhook.inboundCalls(assistantId.trim(), (clientId, number) -> leads.newestByNumber(clientId, number)
                .map(e -> new VapiWebhook.KnownCaller(e.getKey(), e.getValue())));
        webhook.signature(new VapiSignature(hmacSecret.trim(), hmacAlgorithm, hmacSignatureHeader.trim(), hmacTimestampHeader.trim(),
                java.time.Duration.ofSeconds(hmacWindowSeconds), Wiring.need(camel, "hubClock", Clock.class)));
        camel.getRegistry().bind("vapiWebhook", webhook);
        VapiFailures failures = new VapiFailures(Wiring.need(camel, "errorLog", uk.bookinghub.monitoring.ErrorLog.class));
        Wiring.need(camel, "tenantResolver", TenantResolver.class).onUnmatched(failures::unmatched);
        camel.getRegistry().bind("vapiFailures", failures);
    }
}
