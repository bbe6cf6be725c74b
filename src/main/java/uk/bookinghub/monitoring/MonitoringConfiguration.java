package uk.bookinghub.monitoring;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.store.Database;

import java.time.Clock;

/**
 * The error log, dead letters and the database health check ({@code errorLog},
 * {@code deadLetters}, {@code databaseHealth}): early, because every capability after it records
 * its failures there. Also the admin views of them: {@code errorStats} ({@code /api/error-stats})
 * and {@code dbStats} ({@code /api/admin/db-stats}). {@code /health} itself is
 * {@link HealthConfiguration}, last.
 */
public class MonitoringConfiguration implements CamelConfiguration {

    @PropertyInject("hub.public-base-url")
    String publicBaseUrl;
    @PropertyInject("hub.error-stats.default-hours")
    int defaultHours;
    @PropertyInject("hub.error-stats.max-days")
    int maxDays;
    @PropertyInject("hub.error-stats.group-rows")
    int groupRows;
    @PropertyInject("hub.database.health-history")
    int healthHistory;
    @PropertyInject("hub.database.health-critical-after")
    int criticalAfter;

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        uk.bookinghub.alerts.Alerts alerts = new uk.bookinghub.alerts.Alerts();
        camel.getRegistry().bind("alerts", alerts);
        ErrorLog errors = new ErrorLog(db, clock, alerts);
        camel.getRegistry().bind("errorLog", errors);
        camel.getRegistry().bind("deadLetters", new DeadLetters(db, errors, clock));
        DatabaseHealth health = new DatabaseHealth(db, clock, healthHistory);
        camel.getRegistry().bind("databaseHealth", health);
        camel.getRegistry().bind("errorStats", new ErrorStats(errors, clock, publicBaseUrl, defaultHours, maxDays, groupRows));
        camel.getRegistry().bind("dbStats", new DbStats(db, health, clock, criticalAfter));
    }
}
