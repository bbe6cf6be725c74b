package uk.bookinghub.dialler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.monitoring.UnreadableSettings;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A client's dialling settings: the compliance rules ({@link CallingRules.Settings}: calling
 * window, bank holidays, consent, attempts, redial wait, TPS) plus how many calls may be in flight
 * at once (default 10) and whether every new web-form lead is called at once (instant calling).
 * Stored as JSON on the client ({@code calling_settings}); the zone defaults to the client's own.
 */
public record DiallerSettings(CallingRules.Settings rules, int maxConcurrentCalls, boolean instantCalling) {

    public static final int DEFAULT_CONCURRENCY = 10;

    public static DiallerSettings defaults(ZoneId zone) {
        CallingRules.Settings d = CallingRules.Settings.defaults();
        return new DiallerSettings(withZone(d, zone), DEFAULT_CONCURRENCY, false);
    }

    private static CallingRules.Settings withZone(CallingRules.Settings s, ZoneId zone) {
        return new CallingRules.Settings(zone, s.windows(), s.skipBankHolidays(), s.bankHolidayRegion(), s.requireConsent(), s.maxAttempts(),
                s.abandonedRedialWait(), s.allowTps());
    }

    /**
     * Stored JSON (validated when saved); none stored = the defaults. Anything unreadable fails closed:
     * {@link UnreadableSettings}, never the defaults (a client that requires consent must not be dialled
     * without it because its row broke).
     */
    public static DiallerSettings fromStored(String json, ZoneId clientZone) {
        if (json == null || json.isBlank() || json.strip().equals("{}")) {
            return defaults(clientZone);
        }
        return UnreadableSettings.read(SETTING, json, tree -> parse(tree, clientZone));
    }

    /** The column the calling rules are stored in. */
    public static final String SETTING = "calling_settings";

    /** Validates a settings document; every problem is named in one 400. */
    public static DiallerSettings parse(JsonNode in, ZoneId clientZone) {
        if (in == null || in.isNull()) {
            return defaults(clientZone);
        }
        if (!in.isObject()) {
            throw HttpProblem.badRequest("calling settings must be a JSON object");
        }
        List<String> problems = new ArrayList<>();
        ObjectNode rules = ((ObjectNode) in).deepCopy();
        int concurrency = DEFAULT_CONCURRENCY;
        JsonNode c = rules.remove("maxConcurrentCalls");
        if (c != null && !c.isNull()) {
            if (!c.isIntegralNumber() || c.asInt() < 1 || c.asInt() > 500) {
                problems.add("maxConcurrentCalls: a whole number from 1 to 500");
            } else {
                concurrency = c.asInt();
            }
        }
        boolean instant = false;
        JsonNode i = rules.remove("instantCalling");
        if (i != null && !i.isNull()) {
            if (!i.isBoolean()) {
                problems.add("instantCalling: true or false");
            } else {
                instant = i.asBoolean();
            }
        }
        // windows may be written like the booking hours, [["08:00","21:00"]], or as {"from","to"} objects
        JsonNode windows = rules.get("windows");
        if (windows != null && windows.isObject()) {
            windows.fields().forEachRemaining(day -> {
                if (day.getValue().isArray()) {
                    var list = Json.MAPPER.createArrayNode();
                    for (JsonNode w : day.getValue()) {
                        if (w.isArray() && w.size() == 2) {
                            list.addObject().put("from", w.get(0).asText()).put("to", w.get(1).asText());
                        } else {
                            list.add(w);
                        }
                    }
                    ((ObjectNode) windows).set(day.getKey(), list);
                }
            });
        }
        boolean zoneGiven = rules.hasNonNull("zone");
        CallingRules.Settings parsed = null;
        try {
            parsed = CallingRules.Settings.fromJson(rules);
        } catch (CallingRules.InvalidSettingsException e) {
            problems.addAll(e.problems());
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw HttpProblem.badRequest("invalid calling settings", Map.of("fields", problems));
        }
        return new DiallerSettings(zoneGiven ? parsed : withZone(parsed, clientZone), concurrency, instant);
    }

    public ObjectNode toJson() {
        ObjectNode o = rules.toJson();
        o.put("maxConcurrentCalls", maxConcurrentCalls);
        o.put("instantCalling", instantCalling);
        return o;
    }
}
