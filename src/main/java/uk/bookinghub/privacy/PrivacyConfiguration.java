package uk.bookinghub.privacy;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.analytics.AnalyticsReports;
import uk.bookinghub.api.Params;
import uk.bookinghub.booking.BookingApi;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.leads.SuppressionStore;
import uk.bookinghub.messaging.MessagesApi;
import uk.bookinghub.phones.PhoneClassifier;
import uk.bookinghub.security.Caller;
import uk.bookinghub.store.Database;

import java.time.Clock;
import java.time.LocalDate;
import java.util.Map;

/**
 * Privacy (UK GDPR, issue 15): {@code privacyApi} (client export, a person's access and erasure),
 * {@code leadExpiry} (hourly) and {@code retention} (daily). The export's settings, templates and
 * analytics summary come from the capabilities that own them (booking, messaging, analytics), so it
 * comes after them; the suppression list is the leads capability's ({@code suppressionStore}).
 */
public class PrivacyConfiguration implements CamelConfiguration {

    @PropertyInject("hub.leads.expire-days")
    int expireDays;
    @PropertyInject("hub.leads.consent-valid-days")
    int consentValidDays;
    @PropertyInject("hub.retention.transcripts-days")
    int transcriptsDays;
    @PropertyInject("hub.retention.recordings-days")
    int recordingsDays;
    @PropertyInject("hub.retention.errors-days")
    int errorsDays;
    @PropertyInject("hub.privacy.max-concurrent-exports")
    int maxConcurrentExports;

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        BookingApi booking = Wiring.need(camel, "bookingApi", BookingApi.class);
        MessagesApi messages = Wiring.need(camel, "messagesApi", MessagesApi.class);
        AnalyticsReports reports = Wiring.need(camel, "analyticsReports", AnalyticsReports.class);
        PrivacyApi.ExportParts parts = new PrivacyApi.ExportParts() {
            @Override
            public Map<String, Object> settings(Client client) {
                // the settings as GET /api/clients/{clientKey}/settings shows them (an unreadable part listed as such)
                return booking.settings(Caller.ADMIN, new Params(Map.of("clientKey", client.clientKey()), Map.of("clientKey", client.clientKey())));
            }

            @Override
            public Object templates(Client client) {
                return messages.templates(client);
            }

            @Override
            public Map<String, Object> analyticsSummary(Client client, LocalDate from, LocalDate to) {
                return reports.metrics(client, new AnalyticsReports.Period(from, to));
            }
        };
        camel.getRegistry().bind("privacyApi", new PrivacyApi(new PrivacyStore(db), new ExportStore(db),
                Wiring.need(camel, "suppressionStore", SuppressionStore.class), Wiring.need(camel, "clientStore", ClientStore.class),
                Wiring.need(camel, "phoneClassifier", PhoneClassifier.class), parts, clock, maxConcurrentExports));
        RetentionStore retention = new RetentionStore(db);
        camel.getRegistry().bind("leadExpiry", new LeadExpiry(retention, clock, expireDays, consentValidDays));
        camel.getRegistry().bind("retention", new Retention(retention, clock, transcriptsDays, recordingsDays, errorsDays));
    }
}
