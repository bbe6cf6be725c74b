package uk.bookinghub.privacy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The daily retention pass (route {@code retention}): call transcripts older than
 * {@code hub.retention.transcripts-days} and recording URLs older than {@code hub.retention.recordings-days}
 * (by the call's end) are dropped; {@code error_log} rows older than {@code hub.retention.errors-days} lose
 * their context and dead letters their message body and headers (the row, its error, route and counts
 * stay, so the statistics and the alert history are unchanged). Each is a conditional update in batches:
 * a second run (or a second instance) finds nothing left to drop.
 */
public final class Retention {

    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    private final RetentionStore store;
    private final Clock clock;
    private final int transcriptsDays;
    private final int recordingsDays;
    private final int errorsDays;

    Retention(RetentionStore store, Clock clock, int transcriptsDays, int recordingsDays, int errorsDays) {
        if (transcriptsDays < 1 || recordingsDays < 1 || errorsDays < 1) {
            throw new IllegalArgumentException("hub.retention.*-days must each be at least 1");
        }
        this.store = store;
        this.clock = clock;
        this.transcriptsDays = transcriptsDays;
        this.recordingsDays = recordingsDays;
        this.errorsDays = errorsDays;
    }

    public Map<String, Object> run() {
        Instant now = clock.instant();
        long started = System.nanoTime();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("transcripts", store.clear("calls", "transcript = null", "transcript is not null", "coalesce(ended_at, created_at)", days(now, transcriptsDays)));
        out.put("recordings", store.clear("calls", "recording_url = null", "recording_url is not null", "coalesce(ended_at, created_at)", days(now, recordingsDays)));
        out.put("errorLogContexts", store.clear("error_log", "context = null", "context is not null", "created_at", days(now, errorsDays)));
        out.put("deadLetterBodies", store.clear("dead_letters", "body = null, headers = null", "body is not null or headers is not null", "created_at",
                days(now, errorsDays)));
        Map<String, Object> keep = new LinkedHashMap<>();
        keep.put("transcriptsDays", transcriptsDays);
        keep.put("recordingsDays", recordingsDays);
        keep.put("errorsDays", errorsDays);
        out.put("retention", keep);
        out.put("millis", (System.nanoTime() - started) / 1_000_000);
        LOG.info("[PRIVACY] retention: dropped {} transcript(s), {} recording URL(s), {} error context(s), {} dead-letter bod(ies)",
                out.get("transcripts"), out.get("recordings"), out.get("errorLogContexts"), out.get("deadLetterBodies"));
        return out;
    }

    private static Instant days(Instant now, int days) {
        return now.minus(Duration.ofDays(days));
    }
}
