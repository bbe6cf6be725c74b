package uk.bookinghub.leads;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.phones.PhoneClassifier;
import uk.bookinghub.store.Database;

import java.time.Clock;
import java.util.concurrent.ExecutorService;

/**
 * Lead intake and the opt-out list: {@code leadStore}, {@code optOutStore} (the cached opt-out
 * look-up every sender and the dialler share), {@code leadsApi}, {@code optOutsApi}, and the
 * validator and import-job threads (stopped with the context).
 */
public class LeadsConfiguration implements CamelConfiguration {

    @PropertyInject("hub.opt-outs.cache-ttl-ms")
    int optOutsCacheTtlMs;
    @PropertyInject("hub.leads.validator-threads")
    int validatorThreads;
    @PropertyInject("hub.leads.max-upload-bytes")
    long maxUploadBytes;
    @PropertyInject("hub.leads.async-threshold-rows")
    int asyncThresholdRows;
    @PropertyInject("hub.leads.chunk-size")
    int chunkSize;
    @PropertyInject("hub.leads.max-problems")
    int maxProblems;
    @PropertyInject("hub.leads.copy-streams")
    int copyStreams;

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        PhoneClassifier phones = Wiring.need(camel, "phoneClassifier", PhoneClassifier.class);
        OptOutStore optOuts = new OptOutStore(db, clock, optOutsCacheTtlMs);
        LeadStore leads = new LeadStore(db, Wiring.need(camel, "errorLog", uk.bookinghub.monitoring.ErrorLog.class));
        int validators = validatorThreads > 0 ? validatorThreads : Runtime.getRuntime().availableProcessors();
        ExecutorService validatorPool = Wiring.pool(camel, "hub-lead-validate", validators);
        ExecutorService importJobs = Wiring.pool(camel, "hub-lead-import", 1);
        camel.getRegistry().bind("optOutStore", optOuts);
        camel.getRegistry().bind("leadStore", leads);
        LeadsApi api = new LeadsApi(leads, optOuts, phones, validatorPool, validators, importJobs, clock,
                maxUploadBytes, asyncThresholdRows, chunkSize, maxProblems, copyStreams);
        // a background import's lead.imported events go where a wire tap would send them
        org.apache.camel.ProducerTemplate analytics = camel.createProducerTemplate();
        api.analytics(events -> analytics.sendBody("direct:analytics-record", events));
        // erased persons (issue 15): refused by every import and web form, and by the dialler and the senders
        SuppressionStore suppressions = new SuppressionStore(db);
        camel.getRegistry().bind("suppressionStore", suppressions);
        api.suppressions(suppressions);
        camel.getRegistry().bind("leadsApi", api);
        camel.getRegistry().bind("optOutsApi", new OptOutsApi(optOuts, Wiring.need(camel, "clientStore", ClientStore.class), phones));
    }
}
