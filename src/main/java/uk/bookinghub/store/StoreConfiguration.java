package uk.bookinghub.store;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.Wiring;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The database, first of the configuration classes: it is opened and migrated (Flyway) here, before
 * any other bean is made and before any route is loaded. Binds {@code hubDatabase},
 * {@code hubDataSource} and the hub's clock {@code hubClock}; sets up Quartz (in memory, or a
 * cluster in PostgreSQL); closes the database when the context stops, after everything else.
 */
public class StoreConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(StoreConfiguration.class);

    @PropertyInject("hub.database.url")
    String url;
    @PropertyInject("hub.database.sqlite-path")
    String sqlitePath;
    @PropertyInject("hub.database.pool-size")
    int poolSize;
    @PropertyInject("hub.database.connect-timeout-ms")
    int connectTimeoutMs;
    @PropertyInject("hub.quartz.clustered")
    boolean quartzClustered;
    @PropertyInject("hub.quartz.checkin-ms")
    String quartzCheckinMs;

    @Override
    public void configure(CamelContext camel) {
        DatabaseUrl where = DatabaseUrl.parse(url.trim(), sqlitePath.trim());
        Database db = Database.open(where, poolSize, connectTimeoutMs);
        Wiring.onStop(camel, "the database", db::close);
        int applied = db.migrate();
        LOG.info("Database {} ready ({} migration(s) applied)", where, applied);
        camel.getRegistry().bind("hubDatabase", db);
        camel.getRegistry().bind("hubDataSource", db.dataSource());
        if (camel.getRegistry().lookupByNameAndType("hubClock", Clock.class) == null) {
            camel.getRegistry().bind("hubClock", Clock.systemUTC()); // a test may bind its own clock first
        }
        configureQuartz(camel, where);
    }

    /**
     * On PostgreSQL, Quartz keeps its triggers in the database (tables from migration V7) as a
     * cluster: several hub instances fire each schedule once, and a surviving instance takes over
     * the triggers of one that died. SQLite (one instance) and the tests keep Quartz in memory.
     */
    private void configureQuartz(CamelContext camel, DatabaseUrl where) {
        boolean clustered = where.dialect().sharedByInstances() && quartzClustered;
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("org.quartz.scheduler.instanceName", "BookingHub");
        q.put("org.quartz.scheduler.instanceId", "AUTO");
        q.put("org.quartz.threadPool.threadCount", "4");
        q.put("org.quartz.jobStore.misfireThreshold", "60000");
        if (clustered) {
            q.put("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
            q.put("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
            q.put("org.quartz.jobStore.dataSource", "hub");
            q.put("org.quartz.jobStore.tablePrefix", "qrtz_");
            q.put("org.quartz.jobStore.isClustered", "true");
            q.put("org.quartz.jobStore.clusterCheckinInterval", quartzCheckinMs.trim());
            q.put("org.quartz.dataSource.hub.provider", "hikaricp");
            q.put("org.quartz.dataSource.hub.driver", "org.postgresql.Driver");
            q.put("org.quartz.dataSource.hub.URL", where.jdbcUrl());
            if (where.user() != null) {
                q.put("org.quartz.dataSource.hub.user", where.user());
            }
            if (where.password() != null) {
                q.put("org.quartz.dataSource.hub.password", where.password());
            }
            q.put("org.quartz.dataSource.hub.maxConnections", "4");
        } else {
            q.put("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        }
        camel.getComponent("quartz", org.apache.camel.component.quartz.QuartzComponent.class).setProperties(q);
        LOG.info("Schedules (Quartz): {}", clustered ? "clustered JDBC store in PostgreSQL (each trigger fires on one instance)" : "in memory (one instance)");
    }
}
