package uk.bookinghub.dialler;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Computed bank holidays against the lists gov.uk publishes. */
class UkBankHolidaysTest {

    private static final String EW = UkBankHolidays.ENGLAND_AND_WALES;
    private static final String SCOT = UkBankHolidays.SCOTLAND;
    private static final String NI = UkBankHolidays.NORTHERN_IRELAND;

    private static List<LocalDate> dates(String... isoDates) {
        return Arrays.stream(isoDates).map(LocalDate::parse).toList();
    }

    @Test
    void englandAndWales2025() {
        assertThat(UkBankHolidays.holidays(2025, EW)).containsExactlyElementsOf(dates(
                "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25",
                "2025-12-25", "2025-12-26"));
    }

    @Test
    void englandAndWales2026() {
        assertThat(UkBankHolidays.holidays(2026, EW)).containsExactlyElementsOf(dates(
                "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31",
                "2026-12-25", "2026-12-28"));
        assertThat(UkBankHolidays.name(LocalDate.parse("2026-12-28"), EW)).isEqualTo("Boxing Day (substitute day)");
        assertThat(UkBankHolidays.name(LocalDate.parse("2026-04-06"), EW)).isEqualTo("Easter Monday");
        assertThat(UkBankHolidays.name(LocalDate.parse("2026-04-03"), EW)).isEqualTo("Good Friday");
    }

    @Test
    void englandAndWales2027ChristmasOnSaturday() {
        assertThat(UkBankHolidays.holidays(2027, EW)).containsExactlyElementsOf(dates(
                "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30",
                "2027-12-27", "2027-12-28"));
        assertThat(UkBankHolidays.name(LocalDate.parse("2027-12-27"), EW)).isEqualTo("Christmas Day (substitute day)");
        assertThat(UkBankHolidays.name(LocalDate.parse("2027-12-28"), EW)).isEqualTo("Boxing Day (substitute day)");
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2027-12-25"), EW)).isFalse();
    }

    @Test
    void englandAndWales2022WithJubileeAndStateFuneral() {
        // Christmas on a Sunday: Boxing Day stays Monday 26, Christmas moves to Tuesday 27.
        assertThat(UkBankHolidays.holidays(2022, EW)).containsExactlyElementsOf(dates(
                "2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03",
                "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27"));
        assertThat(UkBankHolidays.name(LocalDate.parse("2022-06-02"), EW)).isEqualTo("Spring bank holiday");
        assertThat(UkBankHolidays.name(LocalDate.parse("2022-06-03"), EW)).contains("Platinum Jubilee");
        assertThat(UkBankHolidays.name(LocalDate.parse("2022-09-19"), EW)).contains("State Funeral");
        assertThat(UkBankHolidays.name(LocalDate.parse("2022-12-26"), EW)).isEqualTo("Boxing Day");
        assertThat(UkBankHolidays.name(LocalDate.parse("2022-12-27"), EW)).isEqualTo("Christmas Day (substitute day)");
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2022-05-30"), EW)).as("usual spring date moved").isFalse();
    }

    @Test
    void englandAndWales2023WithCoronation() {
        assertThat(UkBankHolidays.holidays(2023, EW)).containsExactlyElementsOf(dates(
                "2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29",
                "2023-08-28", "2023-12-25", "2023-12-26"));
        assertThat(UkBankHolidays.name(LocalDate.parse("2023-05-08"), EW)).contains("coronation");
    }

    @Test
    void historicExceptionsAndOneOffs() {
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2020-05-08"), EW)).isTrue();  // VE day, a Friday
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2020-05-04"), EW)).isFalse();
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("1995-05-08"), EW)).isTrue();
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("1995-05-01"), EW)).isFalse();
        assertThat(UkBankHolidays.holidays(2002, EW)).contains(LocalDate.parse("2002-06-03"), LocalDate.parse("2002-06-04"))
                .doesNotContain(LocalDate.parse("2002-05-27"));
        assertThat(UkBankHolidays.holidays(2012, EW)).contains(LocalDate.parse("2012-06-04"), LocalDate.parse("2012-06-05"))
                .doesNotContain(LocalDate.parse("2012-05-28"));
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2011-04-29"), EW)).isTrue();
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("1999-12-31"), EW)).isTrue();
        for (String region : List.of(SCOT, NI)) {
            assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2023-05-08"), region)).as(region).isTrue();
            assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2022-09-19"), region)).as(region).isTrue();
        }
    }

    @Test
    void christmasOnSaturdayAndOnFriday() {
        // 2021: 25 Sat, 26 Sun → Mon 27, Tue 28. 2020: 25 Fri, 26 Sat → Mon 28.
        assertThat(UkBankHolidays.holidays(2021, EW)).endsWith(LocalDate.parse("2021-12-27"), LocalDate.parse("2021-12-28"));
        assertThat(UkBankHolidays.holidays(2020, EW)).endsWith(LocalDate.parse("2020-12-25"), LocalDate.parse("2020-12-28"));
    }

    @Test
    void scotland2026() {
        assertThat(UkBankHolidays.holidays(2026, SCOT)).containsExactlyElementsOf(dates(
                "2026-01-01", "2026-01-02", "2026-04-03", "2026-05-04", "2026-05-25", "2026-08-03",
                "2026-11-30", "2026-12-25", "2026-12-28"));
        assertThat(UkBankHolidays.name(LocalDate.parse("2026-01-02"), SCOT)).isEqualTo("2nd January");
        assertThat(UkBankHolidays.name(LocalDate.parse("2026-11-30"), SCOT)).isEqualTo("St Andrew's Day");
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2026-04-06"), SCOT)).as("no Easter Monday").isFalse();
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2026-08-31"), SCOT)).isFalse();
    }

    @Test
    void scotlandSubstitutes() {
        // 2023: 1 Jan is a Sunday, so the pair moves to Mon 2 and Tue 3, named as gov.uk does.
        assertThat(UkBankHolidays.name(LocalDate.parse("2023-01-02"), SCOT)).isEqualTo("New Year's Day (substitute day)");
        assertThat(UkBankHolidays.name(LocalDate.parse("2023-01-03"), SCOT)).isEqualTo("2nd January (substitute day)");
        // 2021: 1 Jan Friday, 2 Jan Saturday → Monday 4.
        assertThat(UkBankHolidays.holidays(2021, SCOT)).startsWith(LocalDate.parse("2021-01-01"), LocalDate.parse("2021-01-04"));
        // St Andrew's Day on a Sunday (2025) → Monday 1 December.
        assertThat(UkBankHolidays.name(LocalDate.parse("2025-12-01"), SCOT)).isEqualTo("St Andrew's Day (substitute day)");
        // Not a bank holiday before the 2007 Act.
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2006-11-30"), SCOT)).isFalse();
    }

    @Test
    void northernIreland2026() {
        assertThat(UkBankHolidays.holidays(2026, NI)).containsExactlyElementsOf(dates(
                "2026-01-01", "2026-03-17", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25",
                "2026-07-13", "2026-08-31", "2026-12-25", "2026-12-28"));
        assertThat(UkBankHolidays.name(LocalDate.parse("2026-03-17"), NI)).isEqualTo("St Patrick's Day");
        assertThat(UkBankHolidays.name(LocalDate.parse("2026-07-13"), NI)).startsWith("Battle of the Boyne").endsWith("(substitute day)");
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2026-07-12"), NI)).isFalse();
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2025-07-14"), NI)).as("12 Jul 2025 Saturday → Monday 14").isTrue();
        assertThat(UkBankHolidays.isHoliday(LocalDate.parse("2026-03-17"), EW)).isFalse();
    }

    @Test
    void easterByTheAnonymousGregorianAlgorithm() {
        assertThat(UkBankHolidays.easterSunday(1995)).isEqualTo("1995-04-16");
        assertThat(UkBankHolidays.easterSunday(2008)).isEqualTo("2008-03-23");
        assertThat(UkBankHolidays.easterSunday(2038)).isEqualTo("2038-04-25");
        assertThat(UkBankHolidays.easterSunday(2100)).isEqualTo("2100-03-28");
    }

    @Test
    void regionDefaultsAndValidation() {
        LocalDate easterMonday = LocalDate.parse("2026-04-06");
        assertThat(UkBankHolidays.isHoliday(easterMonday, null)).isTrue();
        assertThat(UkBankHolidays.isHoliday(easterMonday, " ")).isTrue();
        assertThat(UkBankHolidays.isHoliday(easterMonday, "Northern_Ireland")).isTrue();
        assertThat(UkBankHolidays.name(LocalDate.parse("2026-04-07"), EW)).isNull();
        assertThatThrownBy(() -> UkBankHolidays.isHoliday(easterMonday, "wales-only"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wales-only");
        assertThatThrownBy(() -> UkBankHolidays.holidays(1994, EW)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UkBankHolidays.holidays(2101, EW)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everySupportedYearHasSortedWeekdayHolidays() {
        for (int y = UkBankHolidays.FIRST_YEAR; y <= UkBankHolidays.LAST_YEAR; y++) {
            int year = y;
            for (String region : List.of(EW, SCOT, NI)) {
                List<LocalDate> days = UkBankHolidays.holidays(year, region);
                assertThat(days).as(region + " " + year).isSorted().doesNotHaveDuplicates().hasSizeBetween(8, 12);
                assertThat(days).allMatch(d -> d.getYear() == year && d.getDayOfWeek().getValue() <= 5);
            }
        }
    }
}
