package uk.bookinghub.quality;

import uk.bookinghub.calls.OutcomeMapper;
import uk.bookinghub.dialler.Dialler;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The counts of one client, assistant and period as the quality pass adds them up, and the rules
 * that classify what it counts (README "Call quality"):
 * <ul>
 *   <li>a dial is a dial attempt the dialler sent to Vapi;</li>
 *   <li>it was answered by a person when it was abandoned ({@link Dialler#isAbandoned}, the hub's one
 *       definition), when its end-of-call reason is a conversation ({@link OutcomeMapper#fromReason}
 *       gives {@code completed}), or when its outcome needed a person (booked, not interested,
 *       callback requested); no answer, voicemail, busy, a failure, or no report yet are not;</li>
 *   <li>a tool call is an error when its stored answer is {@code {"error": ...}};</li>
 *   <li>p95 latency is the nearest-rank 95th percentile of the stored tool calls' {@code duration_ms}.</li>
 * </ul>
 */
final class Figures {

    private static final Set<String> PERSON_OUTCOMES = Set.of("booked", "not_interested", "callback_requested");

    int dials;
    int answered;
    int abandoned;
    int toolCalls;
    int toolErrors;
    int vapiFailures;
    private final List<Integer> durations = new ArrayList<>();

    void dial(QualityStore.Dial d) {
        dials++;
        boolean abandonedCall = Dialler.isAbandoned(d.endedReason(), d.startedAt(), d.endedAt());
        if (abandonedCall) {
            abandoned++;
        }
        if (abandonedCall || answeredByAPerson(d.endedReason(), d.outcome())) {
            answered++;
        }
    }

    static boolean answeredByAPerson(String endedReason, String outcome) {
        if (outcome != null && PERSON_OUTCOMES.contains(outcome)) {
            return true;
        }
        return endedReason != null && "completed".equals(OutcomeMapper.fromReason(endedReason.trim().toLowerCase(Locale.ROOT)));
    }

    void tool(boolean error, Integer durationMs) {
        toolCalls++;
        if (error) {
            toolErrors++;
        }
        if (durationMs != null) {
            durations.add(durationMs);
        }
    }

    void vapiFailure() {
        vapiFailures++;
    }

    /** Nearest-rank p95 of the durations: the smallest value with at least 95 % of them at or below it; null without any. */
    Integer p95() {
        if (durations.isEmpty()) {
            return null;
        }
        List<Integer> sorted = new ArrayList<>(durations);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(0.95 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    /** {@code part / whole × 100}, 2 decimals (half-even, as the analytics percentages); null when {@code whole} is 0. */
    static BigDecimal percent(long part, long whole) {
        return whole == 0 ? null : BigDecimal.valueOf(part * 100L).divide(BigDecimal.valueOf(whole), 2, RoundingMode.HALF_EVEN);
    }
}
