package uk.bookinghub.alerts;

/**
 * Where rules report what they see (bean {@code alerts}). The sink groups, rate-limits and
 * delivers: a caller reports every time and never worries about repeats.
 */
public interface AlertSink {

    /**
     * Something went wrong just now (a critical error, a dead letter, a failed batch): the group
     * starts firing at its first occurrence, later ones are counted; it resolves once nothing more
     * has occurred for {@code hub.alerts.resolve-after}.
     */
    void occurred(AlertSignal signal);

    /**
     * A measured condition (database down, outbox lag, a quality threshold): {@code active} starts
     * (or keeps) the group firing, not active resolves it.
     */
    void condition(AlertSignal signal, boolean active);
}
