package uk.bookinghub.backups;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Which backups the retention keeps: the newest good one per day of the last 7 days and per ISO week of the last 4. */
class BackupRetentionTest {

    private static Map<String, Object> backup(String id, String at, String verification) {
        return Map.of("id", id, "createdAt", at, "verification", Map.of("status", verification));
    }

    @Test
    void keepsTheNewestGoodBackupOfEachOfTheLastDaysAndWeeks() {
        List<Map<String, Object>> newestFirst = new ArrayList<>();
        // two a day for 40 days, from Monday 2026-12-07 back; times in UTC, days in London (winter: the same)
        Instant start = Instant.parse("2026-12-07T02:30:00Z");
        for (int d = 0; d < 40; d++) {
            newestFirst.add(backup("d" + d + "-late", start.minusSeconds(86_400L * d).plusSeconds(3600 * 12).toString(), "ok"));
            newestFirst.add(backup("d" + d + "-early", start.minusSeconds(86_400L * d).toString(), "ok"));
        }
        Set<String> keep = Backups.keep(newestFirst, 7, 4, ZoneId.of("Europe/London"));
        // 7 days: the late one of each; weeks: 2026-W50 (d0), W49 (d1..d7 → d1 newest), W48 (d8), W47 (d15)
        assertThat(keep).containsExactlyInAnyOrder("d0-late", "d1-late", "d2-late", "d3-late", "d4-late", "d5-late", "d6-late",
                "d8-late", "d15-late");
    }

    @Test
    void aFailedBackupDoesNotCountAndIsKeptOnlyWhileNothingNewerIsGood() {
        List<Map<String, Object>> newestFirst = List.of(
                backup("newest-failed", "2026-12-07T02:30:00Z", "failed"),
                backup("good", "2026-12-06T02:30:00Z", "ok"),
                backup("older-failed", "2026-12-05T02:30:00Z", "failed"),
                backup("older-good", "2026-12-05T01:30:00Z", "ok"));
        Set<String> keep = Backups.keep(newestFirst, 7, 4, ZoneId.of("Europe/London"));
        assertThat(keep).containsExactlyInAnyOrder("newest-failed", "good", "older-good");
    }
}
