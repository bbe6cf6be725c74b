package uk.bookinghub.quality;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The thresholds of the quality figures ({@code hub.quality.*}). A rate is judged only when its
 * denominator (dials, live-answered calls, tool calls) has at least {@code minCalls}: one bad call of
 * two does not alarm. Percentages are 0–100.
 *
 * @param minCalls               the least dials / answered calls / tool calls a rate is judged on
 * @param minConnectPercent      answered / dials below this alerts (last hour, per assistant)
 * @param maxAbandonedPercent    abandoned / answered above this alerts and pauses the client's dialler (24 h, per client: Ofcom's 3 %)
 * @param maxToolErrorPercent    tool errors / tool calls above this alerts (last hour, per assistant)
 * @param maxToolP95Ms           p95 tool-call latency above this alerts (last hour, per assistant)
 * @param maxVapiFailurePercent  Vapi failures / dials above this alerts (last hour, per assistant)
 */
record QualitySettings(int minCalls, BigDecimal minConnectPercent, BigDecimal maxAbandonedPercent, BigDecimal maxToolErrorPercent, int maxToolP95Ms,
                       BigDecimal maxVapiFailurePercent) {

    QualitySettings {
        if (minCalls < 1) {
            throw new IllegalArgumentException("hub.quality.min-calls must be at least 1, not " + minCalls);
        }
        for (BigDecimal p : new BigDecimal[] {minConnectPercent, maxAbandonedPercent, maxToolErrorPercent, maxVapiFailurePercent}) {
            if (p == null || p.signum() < 0 || p.compareTo(BigDecimal.valueOf(100)) > 0) {
                throw new IllegalArgumentException("hub.quality percentages must be between 0 and 100, not " + p);
            }
        }
        if (maxToolP95Ms < 1) {
            throw new IllegalArgumentException("hub.quality.max-tool-p95-ms must be at least 1, not " + maxToolP95Ms);
        }
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("minCalls", minCalls);
        m.put("minConnectPercent", minConnectPercent);
        m.put("maxAbandonedPercent", maxAbandonedPercent);
        m.put("maxToolErrorPercent", maxToolErrorPercent);
        m.put("maxToolP95Ms", maxToolP95Ms);
        m.put("maxVapiFailurePercent", maxVapiFailurePercent);
        return m;
    }
}
