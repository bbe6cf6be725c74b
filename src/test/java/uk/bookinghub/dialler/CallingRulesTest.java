package uk.bookinghub.dialler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import uk.bookinghub.dialler.CallingRules.Decision;
import uk.bookinghub.dialler.CallingRules.InvalidSettingsException;
import uk.bookinghub.dialler.CallingRules.Lead;
import uk.bookinghub.dialler.CallingRules.Settings;
import uk.bookinghub.dialler.CallingRules.Window;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The pre-dial compliance gate: rule order, calling windows, bank holidays, clock changes, settings JSON. */
class CallingRulesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ZoneId LONDON = ZoneId.of("Europe/London");
    private static final Settings DEFAULTS = Settings.defaults();

    /** Wednesday 14 January 2026, 10:00 GMT: inside the default window. */
    private static final Instant WEDNESDAY_10 = london("2026-01-14T10:00");

    private static Instant london(String localDateTime) {
        return LocalDateTime.parse(localDateTime).atZone(LONDON).toInstant();
    }

    private static Lead lead() {
        return new Lead("+447700900123", "mobile", true, false, null, false, false, false, 0, null);
    }

    private static Lead lead(boolean optedOut, String type, boolean dialable, boolean tps, boolean ctps,
                             boolean consent, int attempts, Instant lastAbandonedAt) {
        return new Lead("+447700900123", type, dialable, optedOut, optedOut ? "asked on a call" : null,
                tps, ctps, consent, attempts, lastAbandonedAt);
    }

    private static Settings settings(String json) throws Exception {
        return Settings.fromJson(JSON.readTree(json));
    }

    private static List<String> problems(String json) {
        InvalidSettingsException e = catchThrowableOfType(InvalidSettingsException.class,
                () -> Settings.fromJson(JSON.readTree(json)));
        assertThat(e).as("expected problems for " + json).isNotNull();
        return e.problems();
    }

    private static Decision at(Settings s, String localDateTime) {
        return CallingRules.check(s, lead(), london(localDateTime));
    }

    // ---- rules ----------------------------------------------------------------------------------

    @Test
    void aPlainLeadInTheWindowIsAllowed() {
        Decision d = CallingRules.check(DEFAULTS, lead(), WEDNESDAY_10);
        assertThat(d.allowed()).isTrue();
        assertThat(d.rule()).isEqualTo("ok");
        assertThat(d.notBefore()).isNull();
    }

    @Test
    void eachRuleBlocksWithItsName() throws Exception {
        Settings consentRequired = settings("{\"requireConsent\": true}");
        assertBlocked(DEFAULTS, lead(true, "mobile", true, false, false, false, 0, null), "opt_out");
        assertBlocked(DEFAULTS, lead(false, "premium_rate", true, false, false, false, 0, null), "premium_rate_or_personal");
        assertBlocked(DEFAULTS, lead(false, "personal", true, false, false, false, 0, null), "premium_rate_or_personal");
        assertBlocked(DEFAULTS, lead(false, "fixed_line", false, false, false, false, 0, null), "premium_rate_or_personal");
        assertBlocked(DEFAULTS, lead(false, "mobile", true, true, false, false, 0, null), "tps");
        assertBlocked(DEFAULTS, lead(false, "fixed_line", true, false, true, false, 0, null), "tps");
        assertBlocked(consentRequired, lead(false, "mobile", true, false, false, false, 0, null), "consent");
        assertBlocked(DEFAULTS, lead(false, "mobile", true, false, false, false, 3, null), "max_attempts");
        assertBlocked(DEFAULTS, lead(false, "mobile", true, false, false, false, 0, WEDNESDAY_10.minus(Duration.ofHours(1))), "abandoned_redial");
        assertThat(at(DEFAULTS, "2026-01-18T12:00").rule()).isEqualTo("calling_window");
    }

    private static void assertBlocked(Settings s, Lead lead, String rule) {
        Decision d = CallingRules.check(s, lead, WEDNESDAY_10);
        assertThat(d.allowed()).as(rule).isFalse();
        assertThat(d.rule()).isEqualTo(rule);
        assertThat(d.detail()).isNotBlank();
        if (!rule.equals("abandoned_redial")) {
            assertThat(d.notBefore()).as("never: " + rule).isNull();
        }
    }

    @Test
    void theFirstBlockingRuleWins() throws Exception {
        Settings consentRequired = settings("{\"requireConsent\": true}");
        Instant sunday = london("2026-01-18T12:00");
        Instant abandoned = sunday.minus(Duration.ofHours(1));
        // Everything wrong at once: opt-out is reported.
        Lead all = lead(true, "premium_rate", false, true, true, false, 9, abandoned);
        assertThat(CallingRules.check(consentRequired, all, sunday).rule()).isEqualTo("opt_out");
        // An opted-out TPS number reports opt_out.
        assertThat(CallingRules.check(DEFAULTS, lead(true, "mobile", true, true, false, false, 0, null), WEDNESDAY_10).rule())
                .isEqualTo("opt_out");
        assertThat(CallingRules.check(consentRequired, lead(false, "personal", true, true, false, false, 9, abandoned), sunday).rule())
                .isEqualTo("premium_rate_or_personal");
        assertThat(CallingRules.check(consentRequired, lead(false, "mobile", true, true, false, false, 9, abandoned), sunday).rule())
                .isEqualTo("tps");
        assertThat(CallingRules.check(consentRequired, lead(false, "mobile", true, false, false, false, 9, abandoned), sunday).rule())
                .isEqualTo("consent");
        assertThat(CallingRules.check(consentRequired, lead(false, "mobile", true, false, false, true, 9, abandoned), sunday).rule())
                .isEqualTo("max_attempts");
        assertThat(CallingRules.check(consentRequired, lead(false, "mobile", true, false, false, true, 1, abandoned), sunday).rule())
                .isEqualTo("abandoned_redial");
        assertThat(CallingRules.check(consentRequired, lead(false, "mobile", true, false, false, true, 1, null), sunday).rule())
                .isEqualTo("calling_window");
    }

    @Test
    void optOutReasonIsInTheDetail() {
        Decision d = CallingRules.check(DEFAULTS, lead(true, "mobile", true, false, false, false, 0, null), WEDNESDAY_10);
        assertThat(d.detail()).contains("asked on a call");
    }

    @Test
    void tpsNumbersAreCalledOnlyWhenTheClientAllowsThem() throws Exception {
        Settings allow = settings("{\"allowTps\": true}");
        assertThat(CallingRules.check(allow, lead(false, "mobile", true, true, false, false, 0, null), WEDNESDAY_10).allowed()).isTrue();
        assertThat(CallingRules.check(allow, lead(false, "mobile", true, false, true, false, 0, null), WEDNESDAY_10).allowed()).isTrue();
    }

    @Test
    void consentRequiredVersusRecorded() throws Exception {
        Settings required = settings("{\"requireConsent\": true}");
        Lead without = lead(false, "mobile", true, false, false, false, 0, null);
        Lead with = lead(false, "mobile", true, false, false, true, 0, null);
        assertThat(CallingRules.check(required, without, WEDNESDAY_10).rule()).isEqualTo("consent");
        assertThat(CallingRules.check(required, with, WEDNESDAY_10).allowed()).isTrue();
        assertThat(CallingRules.check(DEFAULTS, without, WEDNESDAY_10).allowed()).isTrue();
    }

    @Test
    void maxAttempts() throws Exception {
        assertThat(CallingRules.check(DEFAULTS, lead(false, "mobile", true, false, false, false, 2, null), WEDNESDAY_10).allowed()).isTrue();
        Decision third = CallingRules.check(DEFAULTS, lead(false, "mobile", true, false, false, false, 3, null), WEDNESDAY_10);
        assertThat(third.rule()).isEqualTo("max_attempts");
        assertThat(third.notBefore()).isNull();
        Settings five = settings("{\"maxAttempts\": 5}");
        assertThat(CallingRules.check(five, lead(false, "mobile", true, false, false, false, 3, null), WEDNESDAY_10).allowed()).isTrue();
        assertThat(CallingRules.check(five, lead(false, "mobile", true, false, false, false, 5, null), WEDNESDAY_10).rule()).isEqualTo("max_attempts");
    }

    // ---- abandoned calls -------------------------------------------------------------------------

    @Test
    void noRedialWithin72HoursOfAnAbandonedCall() {
        Instant justUnder = WEDNESDAY_10.minus(Duration.ofHours(71).plusMinutes(59));
        Decision blocked = CallingRules.check(DEFAULTS, lead(false, "mobile", true, false, false, false, 1, justUnder), WEDNESDAY_10);
        assertThat(blocked.allowed()).isFalse();
        assertThat(blocked.rule()).isEqualTo("abandoned_redial");
        assertThat(blocked.notBefore()).isEqualTo(justUnder.plus(Duration.ofHours(72))).isEqualTo(WEDNESDAY_10.plusSeconds(60));
        assertThat(blocked.detail()).contains("72 h");

        Instant exactly = WEDNESDAY_10.minus(Duration.ofHours(72));
        assertThat(CallingRules.check(DEFAULTS, lead(false, "mobile", true, false, false, false, 1, exactly), WEDNESDAY_10).allowed()).isTrue();
    }

    @Test
    void anAbandonedWaitEndingOutsideTheWindowWaitsForTheNextOpening() {
        // Abandoned Thursday 13:00, so the wait ends Sunday 13:00: no calls on Sunday, so Monday 08:00.
        Instant abandoned = london("2026-01-15T13:00");
        Decision d = CallingRules.check(DEFAULTS, lead(false, "mobile", true, false, false, false, 1, abandoned), london("2026-01-16T12:00"));
        assertThat(d.rule()).isEqualTo("abandoned_redial");
        assertThat(d.notBefore()).isEqualTo(Instant.parse("2026-01-19T08:00:00Z"));
        assertThat(d.detail()).contains("Monday 08:00 Europe/London");
    }

    // ---- calling windows -------------------------------------------------------------------------

    @Test
    void weekdayWindowEdgesStartInclusiveEndExclusive() {
        assertThat(at(DEFAULTS, "2026-01-14T07:59:59").allowed()).isFalse();
        assertThat(at(DEFAULTS, "2026-01-14T08:00").allowed()).isTrue();
        assertThat(at(DEFAULTS, "2026-01-14T20:59").allowed()).isTrue();
        assertThat(at(DEFAULTS, "2026-01-14T20:59:59").allowed()).isTrue();
        Decision late = at(DEFAULTS, "2026-01-14T21:00");
        assertThat(late.allowed()).isFalse();
        assertThat(late.rule()).isEqualTo("calling_window");
        assertThat(late.notBefore()).isEqualTo(london("2026-01-15T08:00"));

        Decision early = at(DEFAULTS, "2026-01-14T07:59:59");
        assertThat(early.notBefore()).isEqualTo(london("2026-01-14T08:00"));
        assertThat(early.detail()).contains("07:59").contains("08:00–21:00");
    }

    @Test
    void saturdayOpensAtNine() {
        Decision early = at(DEFAULTS, "2026-01-17T08:59");
        assertThat(early.allowed()).isFalse();
        assertThat(early.notBefore()).isEqualTo(london("2026-01-17T09:00"));
        assertThat(at(DEFAULTS, "2026-01-17T09:00").allowed()).isTrue();
        // Friday 21:00 → Saturday 09:00.
        assertThat(at(DEFAULTS, "2026-01-16T21:00").notBefore()).isEqualTo(london("2026-01-17T09:00"));
    }

    @Test
    void sundayIsClosedAndTheNextOpeningIsMonday() {
        Decision d = at(DEFAULTS, "2026-01-18T12:00");
        assertThat(d.allowed()).isFalse();
        assertThat(d.rule()).isEqualTo("calling_window");
        assertThat(d.notBefore()).isEqualTo(london("2026-01-19T08:00"));
        assertThat(d.detail()).startsWith("outside the calling window: Sunday; next opening Monday 08:00 Europe/London");
        // Saturday after 21:00 skips Sunday too.
        assertThat(at(DEFAULTS, "2026-01-17T21:00").notBefore()).isEqualTo(london("2026-01-19T08:00"));
    }

    @Test
    void bankHolidaysAreSkippedWhenConfigured() throws Exception {
        Decision d = at(DEFAULTS, "2026-04-06T10:00");
        assertThat(d.allowed()).isFalse();
        assertThat(d.rule()).isEqualTo("calling_window");
        assertThat(d.detail()).contains("Easter Monday");
        assertThat(d.notBefore()).isEqualTo(london("2026-04-07T08:00")).isEqualTo(Instant.parse("2026-04-07T07:00:00Z"));
        // Thursday evening before Easter: Good Friday is skipped, Saturday opens at 09:00.
        assertThat(CallingRules.nextOpening(DEFAULTS, london("2026-04-02T21:00"))).isEqualTo(london("2026-04-04T09:00"));
        // Saturday evening: Sunday and Easter Monday are skipped.
        assertThat(CallingRules.nextOpening(DEFAULTS, london("2026-04-04T21:00"))).isEqualTo(london("2026-04-07T08:00"));

        Settings noSkip = settings("{\"skipBankHolidays\": false}");
        assertThat(at(noSkip, "2026-04-06T10:00").allowed()).isTrue();
        assertThat(CallingRules.inWindow(noSkip, london("2026-04-03T08:00"))).isTrue();
    }

    @Test
    void theBankHolidayRegionIsTheClients() throws Exception {
        Settings scotland = settings("{\"bankHolidayRegion\": \"scotland\"}");
        assertThat(at(scotland, "2026-04-06T10:00").allowed()).as("no Easter Monday in Scotland").isTrue();
        assertThat(at(scotland, "2026-11-30T10:00").detail()).contains("St Andrew's Day");
        assertThat(at(DEFAULTS, "2026-11-30T10:00").allowed()).isTrue();
    }

    // ---- clock changes ---------------------------------------------------------------------------

    @Test
    void springForwardSundayOpensMondayAt0800Bst() {
        // Sunday 29 March 2026: clocks go forward at 01:00 GMT.
        Decision d = at(DEFAULTS, "2026-03-29T12:00");
        assertThat(d.rule()).isEqualTo("calling_window");
        assertThat(d.notBefore()).isEqualTo(Instant.parse("2026-03-30T07:00:00Z"));
        // Saturday 28 March 20:30 is still GMT: allowed; 21:00 GMT closes until Monday 08:00 BST.
        assertThat(CallingRules.check(DEFAULTS, lead(), Instant.parse("2026-03-28T20:30:00Z")).allowed()).isTrue();
        Decision close = CallingRules.check(DEFAULTS, lead(), Instant.parse("2026-03-28T21:00:00Z"));
        assertThat(close.allowed()).isFalse();
        assertThat(close.notBefore()).isEqualTo(Instant.parse("2026-03-30T07:00:00Z"));
        assertThat(CallingRules.inWindow(DEFAULTS, Instant.parse("2026-03-30T06:59:59Z"))).isFalse();
        assertThat(CallingRules.inWindow(DEFAULTS, Instant.parse("2026-03-30T07:00:00Z"))).isTrue();
    }

    @Test
    void fallBackSundayOpensMondayAt0800Gmt() {
        // Sunday 25 October 2026: clocks go back at 02:00 BST.
        Decision d = at(DEFAULTS, "2026-10-25T12:00");
        assertThat(d.rule()).isEqualTo("calling_window");
        assertThat(d.notBefore()).isEqualTo(Instant.parse("2026-10-26T08:00:00Z"));
        // Saturday 24 October 20:30 BST = 19:30Z is allowed; 21:00 BST = 20:00Z is closed.
        assertThat(CallingRules.inWindow(DEFAULTS, Instant.parse("2026-10-24T19:59:59Z"))).isTrue();
        assertThat(CallingRules.inWindow(DEFAULTS, Instant.parse("2026-10-24T20:00:00Z"))).isFalse();
    }

    @Test
    void aWindowStartInTheSpringForwardGapOpensAtTheTransition() {
        // A (contrived) Sunday window from 01:30: on 29 March 2026 local 01:00–02:00 does not exist.
        Map<DayOfWeek, List<Window>> w = new EnumMap<>(DefaultWindows.MAP);
        w.put(DayOfWeek.SUNDAY, List.of(Window.of("01:30", "03:00")));
        Settings s = with(w);
        assertThat(CallingRules.nextOpening(s, Instant.parse("2026-03-28T21:00:00Z")))
                .isEqualTo(Instant.parse("2026-03-29T01:00:00Z")); // 02:00 BST, the first valid instant
        // A window wholly inside the gap never opens that day.
        w.put(DayOfWeek.SUNDAY, List.of(Window.of("01:10", "01:50")));
        assertThat(CallingRules.nextOpening(with(w), Instant.parse("2026-03-28T21:00:00Z")))
                .isEqualTo(Instant.parse("2026-03-30T07:00:00Z"));
    }

    @Test
    void aWindowStartInTheAutumnOverlapOpensAtItsFirstOccurrenceNotBeforeFrom() {
        Map<DayOfWeek, List<Window>> w = new EnumMap<>(DefaultWindows.MAP);
        w.put(DayOfWeek.SUNDAY, List.of(Window.of("01:30", "03:00")));
        Settings s = with(w);
        // 01:30 happens twice on 25 October 2026: 00:30Z (BST) and 01:30Z (GMT).
        assertThat(CallingRules.nextOpening(s, Instant.parse("2026-10-24T22:00:00Z"))).isEqualTo(Instant.parse("2026-10-25T00:30:00Z"));
        // 01:10 GMT, after the clocks went back: the wall clock reads before 01:30 again.
        assertThat(CallingRules.inWindow(s, Instant.parse("2026-10-25T01:10:00Z"))).isFalse();
        assertThat(CallingRules.nextOpening(s, Instant.parse("2026-10-25T01:10:00Z"))).isEqualTo(Instant.parse("2026-10-25T01:30:00Z"));
    }

    // ---- nextOpening / inWindow ------------------------------------------------------------------

    @Test
    void nextOpeningReturnsFromWhenAlreadyOpen() {
        assertThat(CallingRules.nextOpening(DEFAULTS, WEDNESDAY_10)).isEqualTo(WEDNESDAY_10);
        assertThat(CallingRules.inWindow(DEFAULTS, WEDNESDAY_10)).isTrue();
    }

    @Test
    void noWindowWithinThirtyDaysGivesNull() {
        Settings closed = with(Map.of());
        assertThat(CallingRules.nextOpening(closed, WEDNESDAY_10)).isNull();
        Decision d = CallingRules.check(closed, lead(), WEDNESDAY_10);
        assertThat(d.rule()).isEqualTo("calling_window");
        assertThat(d.notBefore()).isNull();
        assertThat(d.detail()).contains("no calling window in the next 30 days");
    }

    @Test
    void windowsAreWallClockInTheClientsZone() throws Exception {
        Settings ny = settings("{\"zone\": \"America/New_York\"}");
        // 13:00Z on Wednesday 14 January is 08:00 in New York.
        assertThat(CallingRules.inWindow(ny, Instant.parse("2026-01-14T12:59:59Z"))).isFalse();
        assertThat(CallingRules.inWindow(ny, Instant.parse("2026-01-14T13:00:00Z"))).isTrue();
    }

    @Test
    void severalWindowsInADay() throws Exception {
        Settings split = settings("{\"windows\": {\"MONDAY\": [{\"from\": \"14:00\", \"to\": \"18:00\"}, {\"from\": \"09:00\", \"to\": \"12:00\"}]}}");
        assertThat(split.windowsOn(DayOfWeek.MONDAY)).extracting(Window::from).map(Object::toString).containsExactly("09:00", "14:00");
        assertThat(CallingRules.nextOpening(split, london("2026-01-19T12:00"))).isEqualTo(london("2026-01-19T14:00"));
        // Tuesday to Sunday are closed, so Monday 18:00 waits a week.
        assertThat(CallingRules.nextOpening(split, london("2026-01-19T18:00"))).isEqualTo(london("2026-01-26T09:00"));
    }

    // ---- settings --------------------------------------------------------------------------------

    @Test
    void defaults() {
        assertThat(DEFAULTS.zone()).isEqualTo(LONDON);
        assertThat(DEFAULTS.windowsOn(DayOfWeek.MONDAY)).containsExactly(Window.of("08:00", "21:00"));
        assertThat(DEFAULTS.windowsOn(DayOfWeek.FRIDAY)).containsExactly(Window.of("08:00", "21:00"));
        assertThat(DEFAULTS.windowsOn(DayOfWeek.SATURDAY)).containsExactly(Window.of("09:00", "21:00"));
        assertThat(DEFAULTS.windowsOn(DayOfWeek.SUNDAY)).isEmpty();
        assertThat(DEFAULTS.skipBankHolidays()).isTrue();
        assertThat(DEFAULTS.bankHolidayRegion()).isEqualTo("england-and-wales");
        assertThat(DEFAULTS.requireConsent()).isFalse();
        assertThat(DEFAULTS.maxAttempts()).isEqualTo(3);
        assertThat(DEFAULTS.abandonedRedialWait()).isEqualTo(Duration.ofHours(72));
        assertThat(DEFAULTS.allowTps()).isFalse();
        assertThatThrownBy(() -> DEFAULTS.windows().put(DayOfWeek.SUNDAY, List.of())).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void jsonRoundTripAndPartialOverrides() throws Exception {
        JsonNode json = DEFAULTS.toJson();
        assertThat(json.get("abandonedRedialWait").asText()).isEqualTo("PT72H");
        assertThat(json.get("windows").get("SUNDAY").isArray()).isTrue();
        assertThat(json.get("windows").get("MONDAY").get(0).get("from").asText()).isEqualTo("08:00");
        assertThat(Settings.fromJson(json)).isEqualTo(DEFAULTS);
        assertThat(Settings.fromJson(JSON.readTree("{}"))).isEqualTo(DEFAULTS);
        assertThat(Settings.fromJson(null)).isEqualTo(DEFAULTS);

        Settings custom = settings("{\"zone\": \"Europe/Belfast\", \"bankHolidayRegion\": \"northern-ireland\", \"maxAttempts\": 2,"
                + " \"abandonedRedialWait\": \"P4D\", \"requireConsent\": true, \"allowTps\": true, \"skipBankHolidays\": false,"
                + " \"windows\": {\"mon\": [{\"from\": \"10:00\", \"to\": \"16:00\"}], \"Sunday\": [{\"from\": \"10:00\", \"to\": \"16:00\"}]}}");
        assertThat(custom.bankHolidayRegion()).isEqualTo("northern-ireland");
        assertThat(custom.abandonedRedialWait()).isEqualTo(Duration.ofDays(4));
        assertThat(custom.windowsOn(DayOfWeek.SUNDAY)).containsExactly(Window.of("10:00", "16:00"));
        assertThat(custom.windowsOn(DayOfWeek.TUESDAY)).as("a windows object replaces the whole week").isEmpty();
        assertThat(Settings.fromJson(custom.toJson())).isEqualTo(custom);
    }

    @Test
    void fromJsonListsEveryProblemByField() {
        List<String> p = problems("{\"zone\": \"Mars/Olympus\", \"maxAttempts\": 0, \"abandonedRedialWait\": \"three days\","
                + " \"bankHolidayRegion\": \"wales-only\", \"requireConsent\": \"yes\", \"skipBankHoliday\": true,"
                + " \"windows\": {\"MONDAY\": [{\"from\": \"21:00\", \"to\": \"08:00\"}], \"Funday\": [],"
                + " \"TUESDAY\": [{\"from\": \"8am\", \"to\": \"12:00\"}], \"WEDNESDAY\": [{\"from\": \"09:00\", \"to\": \"12:00\"},"
                + " {\"from\": \"11:00\", \"to\": \"13:00\"}], \"THURSDAY\": \"all day\"}}");
        assertThat(p).anyMatch(s -> s.startsWith("zone: "))
                .anyMatch(s -> s.startsWith("maxAttempts: "))
                .anyMatch(s -> s.startsWith("abandonedRedialWait: "))
                .anyMatch(s -> s.startsWith("bankHolidayRegion: "))
                .anyMatch(s -> s.startsWith("requireConsent: "))
                .contains("skipBankHoliday: unknown field")
                .anyMatch(s -> s.startsWith("windows.MONDAY[0]: from 21:00 must be before to 08:00"))
                .anyMatch(s -> s.startsWith("windows.Funday: unknown day"))
                .anyMatch(s -> s.startsWith("windows.TUESDAY[0].from: "))
                .anyMatch(s -> s.startsWith("windows.WEDNESDAY: ") && s.contains("overlap"))
                .anyMatch(s -> s.startsWith("windows.THURSDAY: "))
                .hasSize(11);

        assertThatThrownBy(() -> Settings.fromJson(JSON.readTree("{\"maxAttempts\": \"3\", \"abandonedRedialWait\": \"-PT1H\"}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid calling rules: ")
                .hasMessageContaining("maxAttempts: must be a whole number")
                .hasMessageContaining("abandonedRedialWait: must be between");
        assertThat(problems("[]")).containsExactly("(root): must be a JSON object");
        assertThat(problems("{\"windows\": {\"MONDAY\": []}}")).containsExactly("windows: no day has a calling window, so no lead could ever be called");
        assertThat(problems("{\"maxAttempts\": 2.5}")).hasSize(1);
    }

    @Test
    void theConstructorRejectsBadValuesToo() {
        assertThatThrownBy(() -> new Window(java.time.LocalTime.of(9, 0), java.time.LocalTime.of(9, 0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(LONDON, DefaultWindows.MAP, true, "atlantis", false, 3, Duration.ofHours(72), false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(LONDON, DefaultWindows.MAP, true, null, false, 0, Duration.ofHours(72), false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(LONDON, Map.of(DayOfWeek.MONDAY, List.of(Window.of("08:00", "12:00"), Window.of("11:00", "13:00"))),
                true, null, false, 3, Duration.ofHours(72), false)).isInstanceOf(IllegalArgumentException.class);
    }

    private static Settings with(Map<DayOfWeek, List<Window>> windows) {
        return new Settings(DEFAULTS.zone(), windows, DEFAULTS.skipBankHolidays(), DEFAULTS.bankHolidayRegion(),
                DEFAULTS.requireConsent(), DEFAULTS.maxAttempts(), DEFAULTS.abandonedRedialWait(), DEFAULTS.allowTps());
    }

    private static final class DefaultWindows {
        static final Map<DayOfWeek, List<Window>> MAP = DEFAULTS.windows();
    }
}
