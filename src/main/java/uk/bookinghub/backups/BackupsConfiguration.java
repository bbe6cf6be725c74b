package uk.bookinghub.backups;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import uk.bookinghub.Wiring;
import uk.bookinghub.alerts.AlertSink;
import uk.bookinghub.monitoring.HealthReport;
import uk.bookinghub.store.BackupEngine;
import uk.bookinghub.store.Database;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;

/**
 * Backups (issue 18, README "Backups and restore"): binds {@code backups} (the schedule's pass, the
 * age check and the admin endpoints of routes/backups.camel.yaml) and adds {@code backups} to
 * {@code /health}. Reads {@code hub.backups.*}; a setting that makes no sense stops the start.
 */
public class BackupsConfiguration implements CamelConfiguration {

    @PropertyInject("hub.backups.dir")
    String dir;
    @PropertyInject("hub.backups.copy-to")
    String copyTo;
    @PropertyInject("hub.backups.keep-daily")
    int keepDaily;
    @PropertyInject("hub.backups.keep-weekly")
    int keepWeekly;
    @PropertyInject("hub.backups.max-age-hours")
    int maxAgeHours;
    @PropertyInject("hub.backups.verify-after")
    boolean verifyAfter;
    @PropertyInject("hub.backups.verify-url")
    String verifyUrl;
    @PropertyInject("hub.backups.pg-bin-dir")
    String pgBinDir;
    @PropertyInject("hub.backups.time-zone")
    String zone;

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        if (dir == null || dir.isBlank() || keepDaily < 1 || keepWeekly < 0 || maxAgeHours < 1) {
            throw new IllegalStateException("hub.backups.*: dir must be set, keep-daily at least 1, keep-weekly at least 0, max-age-hours at least 1");
        }
        ZoneId tz;
        try {
            tz = ZoneId.of(zone);
        } catch (RuntimeException e) {
            throw new IllegalStateException("hub.backups.time-zone '" + zone + "' is not a time zone (e.g. Europe/London)");
        }
        BackupEngine engine = new BackupEngine(db, blank(pgBinDir) ? null : Path.of(pgBinDir.trim()), blank(verifyUrl) ? null : verifyUrl);
        Backups backups = new Backups(engine, new Backups.Settings(Path.of(dir.trim()), blank(copyTo) ? null : Path.of(copyTo.trim()), keepDaily,
                keepWeekly, Duration.ofHours(maxAgeHours), verifyAfter, tz), clock, Wiring.need(camel, "alerts", AlertSink.class));
        camel.getRegistry().bind("backups", backups);
        Wiring.need(camel, "healthReport", HealthReport.class).section("backups", backups::health);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
