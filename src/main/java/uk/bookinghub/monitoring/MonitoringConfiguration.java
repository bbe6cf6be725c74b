package uk.bookinghub.monitoring;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import uk.bookinghub.Wiring;
import uk.bookinghub.store.Database;

import java.time.Clock;

/**
 * The error log, dead letters and the database health check ({@code errorLog},
 * {@code deadLetters}, {@code databaseHealth}): early, because every capability after it records
 * its failures there. {@code /health} itself is {@link HealthConfiguration}, last.
 */
public class MonitoringConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        uk.bookinghub.alerts.Alerts alerts = new uk.bookinghub.alerts.Alerts();
        camel.getRegistry().bind("alerts", alerts);
        ErrorLog errors = new ErrorLog(db, clock, alerts);
        camel.getRegistry().bind("errorLog", errors);
        camel.getRegistry().bind("deadLetters", new DeadLetters(db, errors, clock));
        camel.getRegistry().bind("databaseHealth", new DatabaseHealth(db));
    }
}
