package uk.bookinghub.alerts;

import uk.bookinghub.api.Params;
import uk.bookinghub.http.HttpProblem;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code POST /api/admin/alerts/test} (a test alert through every channel, answering what each
 * did) and {@code GET /api/admin/alerts?state=firing|resolved} (alerts with their group, counts,
 * first / last fired and what each channel did with each notification).
 */
public final class AlertsApi {

    private final Alerts alerts;
    private final Clock clock;

    public AlertsApi(Alerts alerts, Clock clock) {
        this.alerts = alerts;
        this.clock = clock;
    }

    public Map<String, Object> test() {
        var now = clock.instant();
        Notification n = new Notification("test:" + UUID.randomUUID(), null, "test", "test", "test", "warning",
                "Test alert from the booking hub", "Sent by POST /api/admin/alerts/test: if you can read this, alerts reach you here.",
                null, null, null, 0, now, now, null);
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> channels = alerts.delivery().sendNow(n);
        out.put("channels", channels);
        boolean anySent = channels.values().stream().anyMatch(v -> v instanceof Map<?, ?> m && "sent".equals(m.get("status")));
        out.put("delivered", anySent);
        if (!anySent) {
            out.put("note", "no channel delivered the test alert: see each channel's status");
        }
        return out;
    }

    public Map<String, Object> list(Params params) {
        String state = params.word("state");
        if (state != null && !List.of("firing", "resolved").contains(state)) {
            throw HttpProblem.badRequest("state must be firing or resolved");
        }
        Long limit = params.whole("limit");
        if (limit != null && (limit < 1 || limit > 1000)) {
            throw HttpProblem.badRequest("limit must be 1 to 1000");
        }
        List<Map<String, Object>> items = alerts.list(state, limit == null ? 100 : limit.intValue());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state", state == null ? "all" : state);
        out.put("count", items.size());
        out.put("alerts", items);
        return out;
    }
}
