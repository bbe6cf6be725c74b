package uk.bookinghub.analytics;

import org.junit.jupiter.api.Test;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When a client's weekly report is due: its day and time in the ISO week (Monday start) that holds
 * today, in its own zone; a time the clocks skip moves forward, never to another day or week; the
 * week reported is always the complete one before.
 */
class WeeklyReportMomentTest {

    private static final ZoneId LONDON = ZoneId.of("Europe/London");

    private static AnalyticsSettings.WeeklyReport at(DayOfWeek day, String time) {
        return new AnalyticsSettings.WeeklyReport(true, List.of("owner@example.co.uk"), day, LocalTime.parse(time));
    }

    @Test
    void theMomentIsThisIsoWeeksDayAtTheLocalTime() {
        // Wednesday 1 April 2026: the week began on Monday 30 March (BST)
        LocalDate wednesday = LocalDate.of(2026, 4, 1);
        assertThat(WeeklyReports.moment(wednesday, at(DayOfWeek.MONDAY, "08:00"), LONDON).toString()).isEqualTo("2026-03-30T08:00+01:00[Europe/London]");
        assertThat(WeeklyReports.moment(wednesday, at(DayOfWeek.SUNDAY, "18:30"), LONDON).toString()).isEqualTo("2026-04-05T18:30+01:00[Europe/London]");
        assertThat(WeeklyReports.moment(wednesday, at(DayOfWeek.MONDAY, "08:00"), ZoneId.of("America/New_York")).toString())
                .isEqualTo("2026-03-30T08:00-04:00[America/New_York]");
        // on a Sunday the week is still the one that began six days before
        assertThat(WeeklyReports.moment(LocalDate.of(2026, 4, 5), at(DayOfWeek.MONDAY, "08:00"), LONDON).toLocalDate()).isEqualTo(LocalDate.of(2026, 3, 30));
    }

    @Test
    void aTimeTheClocksSkipMovesForwardTheSameDay() {
        // Sunday 29 March 2026: 01:00 GMT becomes 02:00 BST, so 01:30 does not exist that day
        assertThat(WeeklyReports.moment(LocalDate.of(2026, 3, 29), at(DayOfWeek.SUNDAY, "01:30"), LONDON).toString())
                .isEqualTo("2026-03-29T02:30+01:00[Europe/London]");
    }

    @Test
    void theReportIsOfTheCompleteWeekBefore() {
        assertThat(AnalyticsReports.isoWeek(AnalyticsReports.lastCompleteWeek(LocalDate.of(2026, 3, 30)).from())).isEqualTo("2026-W13");
        assertThat(AnalyticsReports.isoWeek(AnalyticsReports.lastCompleteWeek(LocalDate.of(2026, 4, 5)).from())).isEqualTo("2026-W13");
        assertThat(AnalyticsReports.isoWeek(AnalyticsReports.lastCompleteWeek(LocalDate.of(2027, 1, 4)).from())).isEqualTo("2026-W53");
        assertThat(WeeklyReports.key(7, "2026-W13")).isEqualTo("weekly_report:7:2026-W13");
    }
}
