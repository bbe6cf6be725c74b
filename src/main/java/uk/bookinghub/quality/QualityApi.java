package uk.bookinghub.quality;

import uk.bookinghub.api.Params;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.dialler.Dialler;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.store.ListQuery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quality endpoints: {@code GET /api/admin/quality} (every client, or one), {@code GET /api/quality}
 * (the caller's own figures and its dialler), {@code POST /api/admin/quality/run?hour=} (the pass now).
 * Date-times without an offset are UTC here.
 */
public final class QualityApi {

    private final QualityMonitor monitor;
    private final QualityStore store;
    private final ClientStore clients;
    private final Dialler dialler;
    private final Clock clock;

    QualityApi(QualityMonitor monitor, QualityStore store, ClientStore clients, Dialler dialler, Clock clock) {
        this.monitor = monitor;
        this.store = store;
        this.clients = clients;
        this.dialler = dialler;
        this.clock = clock;
    }

    /** {@code POST /api/admin/quality/run?hour=}: the pass for a whole UTC hour that has begun (default: the last complete one), now. */
    public Map<String, Object> runNow(Params params) {
        Instant hour = params.instant("hour", ZoneOffset.UTC);
        if (hour == null) {
            return monitor.runLastHour();
        }
        if (!hour.truncatedTo(ChronoUnit.HOURS).equals(hour)) {
            throw HttpProblem.badRequest("hour must be the start of an hour, e.g. 2026-03-02T13:00Z, got " + params.text("hour"));
        }
        if (hour.isAfter(clock.instant())) {
            throw HttpProblem.badRequest("hour " + hour + " has not begun yet");
        }
        return monitor.run(hour);
    }

    /** {@code GET /api/admin/quality?clientKey=&since=&until=&period=&assistantId=&page=&pageSize=}: every client's figures, or one's. */
    public Map<String, Object> adminList(Params params) {
        String key = params.text("clientKey");
        Long clientId = null;
        if (key != null) {
            clientId = clients.byKey(key).orElseThrow(() -> HttpProblem.notFound("no client " + key)).id();
        }
        Map<String, Object> out = list(clientId, params);
        out.put("pausedDiallers", key == null ? dialler.pausedDiallers() : dialler.pausedDiallers().stream()
                .filter(p -> key.equals(p.get("clientKey"))).toList());
        return out;
    }

    /** {@code GET /api/quality?since=&until=&period=&assistantId=&page=&pageSize=}: the client's own figures, and its dialler. */
    public Map<String, Object> clientList(Client client, Params params) {
        Map<String, Object> out = list(client.id(), params);
        out.put("dialler", dialler.status(client));
        return out;
    }

    private Map<String, Object> list(Long clientId, Params params) {
        Instant now = clock.instant();
        Instant since = params.instant("since", ZoneOffset.UTC);
        Instant until = params.instant("until", ZoneOffset.UTC);
        if (since == null) {
            since = now.truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(24));
        }
        if (until != null && !until.isAfter(since)) {
            throw HttpProblem.badRequest("until must be after since");
        }
        String period = params.word("period");
        if (period != null && !List.of(QualityMonitor.HOUR, QualityMonitor.DAY).contains(period)) {
            throw HttpProblem.badRequest("period must be 1h or 24h");
        }
        ListQuery q = new ListQuery("q.hour_start >= ?", since).and("q.hour_start < ?", until).and("q.client_id = ?", clientId)
                .and("q.period = ?", period).and("q.assistant_id = ?", params.text("assistantId"));
        Params.Page page = params.page(100, 1000);
        Map<String, Object> rows = store.list(q, page.number(), page.size());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("since", since.toString());
        out.put("until", until == null ? null : until.toString());
        out.put("thresholds", monitor.settings().toMap());
        out.putAll(rows);
        return out;
    }
}
