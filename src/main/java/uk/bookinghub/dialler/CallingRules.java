package uk.bookinghub.dialler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.TextStyle;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The compliance gate run before every dial (see shared/reference/uk-rules.md).
 *
 * <p>{@link #check} applies the rules in a fixed order and reports the first that blocks:
 * <ol>
 *   <li>{@value #OPT_OUT}: the lead objected; never call (ICO: the right to object is absolute).</li>
 *   <li>{@value #PREMIUM_RATE_OR_PERSONAL}: premium-rate or personal number, or not dialable; never.</li>
 *   <li>{@value #TPS}: TPS or CTPS registered and the client has not enabled {@code allowTps}; never
 *       (PECR reg 21).</li>
 *   <li>{@value #CONSENT}: the client requires recorded consent and the lead has none; never
 *       (PECR reg 19, automated calls).</li>
 *   <li>{@value #MAX_ATTEMPTS}: attempts used up; never.</li>
 *   <li>{@value #ABANDONED_REDIAL}: an abandoned call less than {@code abandonedRedialWait} (72 h) ago;
 *       {@code notBefore} is the first window opening at or after the wait ends (Ofcom persistent
 *       misuse).</li>
 *   <li>{@value #CALLING_WINDOW}: outside the client's calling window in its own zone, a day without a
 *       window (Sunday by default) or a bank holiday; {@code notBefore} is the next opening (DMA Code).</li>
 * </ol>
 * "Never" decisions have {@code notBefore == null}. An allowed decision has rule {@value #OK}.
 *
 * <p>Windows are wall-clock times in the client's zone, start inclusive and end exclusive, so the
 * default weekday window 08:00–21:00 allows 20:59:59 and blocks 21:00.
 */
public final class CallingRules {

    public static final String OK = "ok";
    public static final String OPT_OUT = "opt_out";
    public static final String PREMIUM_RATE_OR_PERSONAL = "premium_rate_or_personal";
    public static final String TPS = "tps";
    public static final String CONSENT = "consent";
    public static final String MAX_ATTEMPTS = "max_attempts";
    public static final String ABANDONED_REDIAL = "abandoned_redial";
    public static final String CALLING_WINDOW = "calling_window";
    /**
     * Not one of {@link #check}'s rules: a dial the gate allowed is still blocked with this rule while
     * the client's dialler is paused, after its abandoned-call rate went over the limit (Ofcom persistent
     * misuse; uk.bookinghub.quality), until an admin resumes it.
     */
    public static final String ABANDONED_RATE = "abandoned_rate";
    /**
     * Not one of {@link #check}'s rules either: the number belongs to a person the client erased on request
     * (a suppression entry, uk.bookinghub.privacy); never dialled again.
     */
    public static final String SUPPRESSED = "suppressed";

    /** How far ahead {@link #nextOpening} looks, in days after the day of {@code from}. */
    public static final int SEARCH_DAYS = 30;

    private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm", Locale.UK);
    private static final DateTimeFormatter HH_MM_SS = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.UK);

    private CallingRules() {
    }

    // ------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------

    /** A wall-clock calling window: {@code from} inclusive, {@code to} exclusive, within one day. */
    public record Window(LocalTime from, LocalTime to) {
        public Window {
            if (from == null || to == null) {
                throw new IllegalArgumentException("window from and to are required");
            }
            if (!from.isBefore(to)) {
                throw new IllegalArgumentException("window from " + from + " must be before to " + to);
            }
        }

        public static Window of(String from, String to) {
            return new Window(LocalTime.parse(from), LocalTime.parse(to));
        }

        boolean contains(LocalTime t) {
            return !t.isBefore(from) && t.isBefore(to);
        }

        @Override
        public String toString() {
            return HH_MM.format(from) + "–" + HH_MM.format(to);
        }
    }

    /**
     * Per-client settings. Immutable: {@code windows} is copied into an unmodifiable map holding all
     * seven days (a day without windows maps to an empty list), each day's windows sorted and
     * non-overlapping. The canonical constructor throws IllegalArgumentException on bad values;
     * {@link #fromJson} instead collects every problem first.
     */
    public record Settings(ZoneId zone,
                           Map<DayOfWeek, List<Window>> windows,
                           boolean skipBankHolidays,
                           String bankHolidayRegion,
                           boolean requireConsent,
                           int maxAttempts,
                           Duration abandonedRedialWait,
                           boolean allowTps) {

        public static final ZoneId DEFAULT_ZONE = ZoneId.of("Europe/London");
        public static final int DEFAULT_MAX_ATTEMPTS = 3;
        public static final Duration DEFAULT_ABANDONED_REDIAL_WAIT = Duration.ofHours(72);
        /** Upper bounds, only to catch typos (and keep Instant arithmetic far from overflow). */
        public static final int MAX_MAX_ATTEMPTS = 100;
        public static final Duration MAX_ABANDONED_REDIAL_WAIT = Duration.ofDays(365);

        private static final Set<String> FIELDS = Set.of("zone", "windows", "skipBankHolidays",
                "bankHolidayRegion", "requireConsent", "maxAttempts", "abandonedRedialWait", "allowTps");

        public Settings {
            if (zone == null) {
                throw new IllegalArgumentException("zone is required");
            }
            windows = normaliseWindows(windows);
            bankHolidayRegion = UkBankHolidays.normaliseRegion(bankHolidayRegion);
            if (maxAttempts < 1 || maxAttempts > MAX_MAX_ATTEMPTS) {
                throw new IllegalArgumentException("maxAttempts must be 1.." + MAX_MAX_ATTEMPTS + ", not " + maxAttempts);
            }
            if (abandonedRedialWait == null || abandonedRedialWait.isNegative()
                    || abandonedRedialWait.compareTo(MAX_ABANDONED_REDIAL_WAIT) > 0) {
                throw new IllegalArgumentException("abandonedRedialWait must be between PT0S and "
                        + MAX_ABANDONED_REDIAL_WAIT + ", not " + abandonedRedialWait);
            }
        }

        /**
         * Europe/London; Mon–Fri 08:00–21:00, Sat 09:00–21:00, no Sunday calls (DMA Code s.21.41);
         * England & Wales bank holidays skipped; consent not required; 3 attempts; 72 h after an
         * abandoned call; TPS/CTPS numbers not called.
         */
        public static Settings defaults() {
            Map<DayOfWeek, List<Window>> w = new EnumMap<>(DayOfWeek.class);
            for (DayOfWeek d : List.of(DayOfWeek.MONDAY, DayOfWeek.TUESDAY, DayOfWeek.WEDNESDAY,
                    DayOfWeek.THURSDAY, DayOfWeek.FRIDAY)) {
                w.put(d, List.of(Window.of("08:00", "21:00")));
            }
            w.put(DayOfWeek.SATURDAY, List.of(Window.of("09:00", "21:00")));
            return new Settings(DEFAULT_ZONE, w, true, UkBankHolidays.ENGLAND_AND_WALES, false,
                    DEFAULT_MAX_ATTEMPTS, DEFAULT_ABANDONED_REDIAL_WAIT, false);
        }

        /** The windows of {@code day}, possibly empty, never null. */
        public List<Window> windowsOn(DayOfWeek day) {
            return windows.get(day);
        }

        /**
         * Reads settings from JSON; every field is optional and a missing one keeps its default:
         * <pre>{@code
         * {"zone": "Europe/London",
         *  "windows": {"MONDAY": [{"from": "08:00", "to": "21:00"}], ..., "SUNDAY": []},
         *  "skipBankHolidays": true, "bankHolidayRegion": "england-and-wales",
         *  "requireConsent": false, "maxAttempts": 3, "abandonedRedialWait": "PT72H", "allowTps": false}
         * }</pre>
         * A present {@code windows} object replaces the whole week: a day it does not name has no
         * window, so a typo closes a day rather than opening one. Day names are case-insensitive and
         * may be abbreviated ("mon"); times are HH:mm or HH:mm:ss; the wait is an ISO-8601 duration.
         * Unknown fields are problems too, so a misspelt setting is not silently ignored.
         *
         * @throws InvalidSettingsException listing every problem as "field: problem"
         */
        public static Settings fromJson(JsonNode json) {
            List<String> problems = new ArrayList<>();
            if (json == null || json.isNull() || json.isMissingNode()) {
                return defaults();
            }
            if (!json.isObject()) {
                throw new InvalidSettingsException(List.of("(root): must be a JSON object"));
            }
            Settings d = defaults();
            for (var e : json.properties()) {
                if (!FIELDS.contains(e.getKey())) {
                    problems.add(e.getKey() + ": unknown field");
                }
            }

            ZoneId zone = d.zone();
            JsonNode n = json.get("zone");
            if (present(n)) {
                if (!n.isTextual()) {
                    problems.add("zone: must be a time-zone id such as \"Europe/London\"");
                } else {
                    try {
                        zone = ZoneId.of(n.asText().trim());
                    } catch (DateTimeException e) {
                        problems.add("zone: unknown time zone '" + n.asText() + "'");
                    }
                }
            }

            Map<DayOfWeek, List<Window>> windows = d.windows();
            n = json.get("windows");
            if (present(n)) {
                windows = readWindows(n, problems);
            }

            String region = d.bankHolidayRegion();
            n = json.get("bankHolidayRegion");
            if (present(n)) {
                if (!n.isTextual()) {
                    problems.add("bankHolidayRegion: must be a string");
                } else {
                    try {
                        region = UkBankHolidays.normaliseRegion(n.asText());
                    } catch (IllegalArgumentException e) {
                        problems.add("bankHolidayRegion: must be " + UkBankHolidays.ENGLAND_AND_WALES + ", "
                                + UkBankHolidays.SCOTLAND + " or " + UkBankHolidays.NORTHERN_IRELAND
                                + ", not '" + n.asText() + "'");
                    }
                }
            }

            int maxAttempts = d.maxAttempts();
            n = json.get("maxAttempts");
            if (present(n)) {
                if (!n.isIntegralNumber() || !n.canConvertToInt()
                        || n.intValue() < 1 || n.intValue() > MAX_MAX_ATTEMPTS) {
                    problems.add("maxAttempts: must be a whole number from 1 to " + MAX_MAX_ATTEMPTS);
                } else {
                    maxAttempts = n.intValue();
                }
            }

            Duration wait = d.abandonedRedialWait();
            n = json.get("abandonedRedialWait");
            if (present(n)) {
                Duration parsed = null;
                if (n.isTextual()) {
                    try {
                        parsed = Duration.parse(n.asText().trim());
                    } catch (DateTimeParseException e) {
                        // reported below
                    }
                }
                if (parsed == null) {
                    problems.add("abandonedRedialWait: must be an ISO-8601 duration such as \"PT72H\"");
                } else if (parsed.isNegative() || parsed.compareTo(MAX_ABANDONED_REDIAL_WAIT) > 0) {
                    problems.add("abandonedRedialWait: must be between PT0S and " + MAX_ABANDONED_REDIAL_WAIT);
                } else {
                    wait = parsed;
                }
            }

            boolean skipBankHolidays = bool(json, "skipBankHolidays", d.skipBankHolidays(), problems);
            boolean requireConsent = bool(json, "requireConsent", d.requireConsent(), problems);
            boolean allowTps = bool(json, "allowTps", d.allowTps(), problems);

            if (!problems.isEmpty()) {
                throw new InvalidSettingsException(problems);
            }
            return new Settings(zone, windows, skipBankHolidays, region, requireConsent, maxAttempts, wait, allowTps);
        }

        /** The JSON form read by {@link #fromJson}, with all fields and all seven days. */
        public ObjectNode toJson() {
            JsonNodeFactory f = JsonNodeFactory.instance;
            ObjectNode o = f.objectNode();
            o.put("zone", zone.getId());
            ObjectNode w = o.putObject("windows");
            for (DayOfWeek day : DayOfWeek.values()) {
                ArrayNode a = w.putArray(day.name());
                for (Window win : windows.get(day)) {
                    a.addObject().put("from", win.from().toString()).put("to", win.to().toString());
                }
            }
            o.put("skipBankHolidays", skipBankHolidays);
            o.put("bankHolidayRegion", bankHolidayRegion);
            o.put("requireConsent", requireConsent);
            o.put("maxAttempts", maxAttempts);
            o.put("abandonedRedialWait", abandonedRedialWait.toString());
            o.put("allowTps", allowTps);
            return o;
        }

        private static boolean present(JsonNode n) {
            return n != null && !n.isNull() && !n.isMissingNode();
        }

        private static boolean bool(JsonNode json, String field, boolean dflt, List<String> problems) {
            JsonNode n = json.get(field);
            if (!present(n)) {
                return dflt;
            }
            if (!n.isBoolean()) {
                problems.add(field + ": must be true or false");
                return dflt;
            }
            return n.booleanValue();
        }

        private static Map<DayOfWeek, List<Window>> readWindows(JsonNode n, List<String> problems) {
            if (!n.isObject()) {
                problems.add("windows: must be an object keyed by day, e.g. {\"MONDAY\": [{\"from\": \"08:00\", \"to\": \"21:00\"}]}");
                return Map.of();
            }
            Map<DayOfWeek, List<Window>> out = new EnumMap<>(DayOfWeek.class);
            int before = problems.size();
            for (var e : n.properties()) {
                String key = e.getKey();
                String field = "windows." + key;
                DayOfWeek day = parseDay(key);
                if (day == null) {
                    problems.add(field + ": unknown day (use MONDAY..SUNDAY)");
                    continue;
                }
                if (out.containsKey(day)) {
                    problems.add(field + ": " + day + " given twice");
                    continue;
                }
                JsonNode list = e.getValue();
                if (!list.isArray()) {
                    problems.add(field + ": must be a list of {\"from\", \"to\"} windows ([] for no calls)");
                    continue;
                }
                List<Window> dayWindows = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    Window w = readWindow(list.get(i), field + "[" + i + "]", problems);
                    if (w != null) {
                        dayWindows.add(w);
                    }
                }
                dayWindows.sort(Comparator.comparing(Window::from));
                for (int i = 1; i < dayWindows.size(); i++) {
                    if (dayWindows.get(i).from().isBefore(dayWindows.get(i - 1).to())) {
                        problems.add(field + ": windows " + dayWindows.get(i - 1) + " and " + dayWindows.get(i) + " overlap");
                    }
                }
                out.put(day, dayWindows);
            }
            if (problems.size() == before && out.values().stream().allMatch(List::isEmpty)) {
                problems.add("windows: no day has a calling window, so no lead could ever be called");
            }
            return out;
        }

        private static Window readWindow(JsonNode w, String field, List<String> problems) {
            if (w == null || !w.isObject()) {
                problems.add(field + ": must be {\"from\": \"HH:mm\", \"to\": \"HH:mm\"}");
                return null;
            }
            LocalTime from = readTime(w.get("from"), field + ".from", problems);
            LocalTime to = readTime(w.get("to"), field + ".to", problems);
            if (from == null || to == null) {
                return null;
            }
            if (!from.isBefore(to)) {
                problems.add(field + ": from " + from + " must be before to " + to
                        + " (windows end the same day; the end is exclusive)");
                return null;
            }
            return new Window(from, to);
        }

        private static LocalTime readTime(JsonNode n, String field, List<String> problems) {
            if (!present(n) || !n.isTextual()) {
                problems.add(field + ": required, as \"HH:mm\"");
                return null;
            }
            try {
                return LocalTime.parse(n.asText().trim());
            } catch (DateTimeParseException e) {
                problems.add(field + ": '" + n.asText() + "' is not a time (use \"HH:mm\")");
                return null;
            }
        }

        private static DayOfWeek parseDay(String key) {
            String k = key.trim().toUpperCase(Locale.ROOT);
            for (DayOfWeek d : DayOfWeek.values()) {
                if (d.name().equals(k) || (k.length() == 3 && d.name().startsWith(k))) {
                    return d;
                }
            }
            return null;
        }

        private static Map<DayOfWeek, List<Window>> normaliseWindows(Map<DayOfWeek, List<Window>> in) {
            if (in == null) {
                throw new IllegalArgumentException("windows are required (map a day to an empty list for no calls)");
            }
            Map<DayOfWeek, List<Window>> out = new EnumMap<>(DayOfWeek.class);
            for (DayOfWeek day : DayOfWeek.values()) {
                List<Window> list = in.get(day) == null ? new ArrayList<>() : new ArrayList<>(in.get(day));
                if (list.contains(null)) {
                    throw new IllegalArgumentException("windows on " + day + " contain null");
                }
                list.sort(Comparator.comparing(Window::from));
                for (int i = 1; i < list.size(); i++) {
                    if (list.get(i).from().isBefore(list.get(i - 1).to())) {
                        throw new IllegalArgumentException("windows on " + day + " overlap: "
                                + list.get(i - 1) + " and " + list.get(i));
                    }
                }
                out.put(day, List.copyOf(list));
            }
            return Collections.unmodifiableMap(out);
        }
    }

    /** Thrown by {@link Settings#fromJson}; {@link #problems()} holds one "field: problem" per entry. */
    public static final class InvalidSettingsException extends IllegalArgumentException {
        private final List<String> problems;

        public InvalidSettingsException(List<String> problems) {
            super("invalid calling rules: " + String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /** What the gate knows about a lead when it is about to be dialled. */
    public record Lead(String phoneE164,
                       String phoneType /* mobile, fixed_line, premium_rate, personal, ... */,
                       boolean dialable,
                       boolean optedOut,
                       String optOutReason,
                       boolean tps,
                       boolean ctps,
                       boolean consentRecorded,
                       int attempts,
                       Instant lastAbandonedAt /* null if never */) {
    }

    /**
     * The gate's answer. {@code rule} is {@value #OK} when allowed, else the name of the blocking
     * rule; {@code notBefore} is when the lead may be tried again, or null when it must never be
     * (or, for {@value #CALLING_WINDOW}, when no window opens within {@value #SEARCH_DAYS} days).
     */
    public record Decision(boolean allowed, String rule, String detail, Instant notBefore) {
        static Decision ok() {
            return new Decision(true, OK, "allowed", null);
        }

        static Decision never(String rule, String detail) {
            return new Decision(false, rule, detail, null);
        }

        static Decision notBefore(String rule, String detail, Instant notBefore) {
            return new Decision(false, rule, detail, notBefore);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // The gate
    // ------------------------------------------------------------------------------------------------

    /** Applies the rules in order; the first that blocks decides. */
    public static Decision check(Settings s, Lead lead, Instant now) {
        if (s == null || lead == null || now == null) {
            throw new IllegalArgumentException("settings, lead and now are required");
        }
        if (lead.optedOut()) {
            String why = lead.optOutReason() == null || lead.optOutReason().isBlank() ? "" : " (" + lead.optOutReason() + ")";
            return Decision.never(OPT_OUT, "the lead opted out" + why + "; never call");
        }
        String type = lead.phoneType() == null ? "" : lead.phoneType().trim().toLowerCase(Locale.ROOT);
        if (type.equals("premium_rate") || type.equals("personal")) {
            return Decision.never(PREMIUM_RATE_OR_PERSONAL, "a " + type.replace('_', '-') + " number is never called");
        }
        if (!lead.dialable()) {
            return Decision.never(PREMIUM_RATE_OR_PERSONAL, "the number is not dialable");
        }
        if ((lead.tps() || lead.ctps()) && !s.allowTps()) {
            String reg = lead.tps() && lead.ctps() ? "TPS and CTPS registers" : lead.tps() ? "TPS register" : "CTPS register";
            return Decision.never(TPS, "the number is on the " + reg + " and this client does not allow TPS numbers");
        }
        if (s.requireConsent() && !lead.consentRecorded()) {
            return Decision.never(CONSENT, "this client requires recorded consent for automated calls and the lead has none");
        }
        if (lead.attempts() >= s.maxAttempts()) {
            return Decision.never(MAX_ATTEMPTS, lead.attempts() + " attempts made; the limit is " + s.maxAttempts());
        }
        if (lead.lastAbandonedAt() != null) {
            Instant waitEnds = lead.lastAbandonedAt().plus(s.abandonedRedialWait());
            if (waitEnds.isAfter(now)) {
                Instant opening = nextOpening(s, waitEnds);
                // With no window in sight, the end of the wait is still a valid lower bound.
                Instant notBefore = opening == null ? waitEnds : opening;
                return Decision.notBefore(ABANDONED_REDIAL, "the last call was abandoned at " + describe(s, lead.lastAbandonedAt())
                        + "; no automated redial for " + hours(s.abandonedRedialWait()) + ", so not before "
                        + describe(s, notBefore), notBefore);
            }
        }
        if (!inWindow(s, now)) {
            Instant opening = nextOpening(s, now);
            String next = opening == null
                    ? "no calling window in the next " + SEARCH_DAYS + " days"
                    : "next opening " + describe(s, opening);
            return Decision.notBefore(CALLING_WINDOW, "outside the calling window: " + whyClosed(s, now) + "; " + next, opening);
        }
        return Decision.ok();
    }

    /** Whether {@code at} falls inside one of the client's windows, in its zone, and not on a skipped bank holiday. */
    public static boolean inWindow(Settings s, Instant at) {
        ZonedDateTime z = at.atZone(s.zone());
        if (isClosedDay(s, z.toLocalDate())) {
            return false;
        }
        LocalTime t = z.toLocalTime();
        for (Window w : s.windowsOn(z.getDayOfWeek())) {
            if (w.contains(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The earliest instant at or after {@code from} inside a window, searching the day of {@code from}
     * (in the client's zone) and the {@value #SEARCH_DAYS} days after it; null if there is none.
     *
     * <p>Windows are wall-clock times. A start that falls in a spring-forward gap opens at the
     * transition (the first valid instant after it), provided that is still inside the window; a start
     * that occurs twice in an autumn overlap opens at its first occurrence not before {@code from}.
     */
    public static Instant nextOpening(Settings s, Instant from) {
        if (inWindow(s, from)) {
            return from;
        }
        ZoneId zone = s.zone();
        LocalDate first = from.atZone(zone).toLocalDate();
        Instant best = null;
        // Every candidate is examined rather than stopping at the first day that has one: in zones whose
        // clocks go back across midnight, local dates are not quite monotonic in instants.
        for (int i = 0; i <= SEARCH_DAYS; i++) {
            LocalDate day = first.plusDays(i);
            if (isClosedDay(s, day)) {
                continue;
            }
            for (Window w : s.windowsOn(day.getDayOfWeek())) {
                for (Instant start : startInstants(day, w.from(), zone)) {
                    Instant candidate = start.isBefore(from) ? from : start;
                    ZonedDateTime z = candidate.atZone(zone);
                    if (z.toLocalDate().equals(day) && w.contains(z.toLocalTime())
                            && (best == null || candidate.isBefore(best))) {
                        best = candidate;
                    }
                }
            }
        }
        return best;
    }

    // ------------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------------

    private static boolean isClosedDay(Settings s, LocalDate day) {
        return s.windowsOn(day.getDayOfWeek()).isEmpty()
                || (s.skipBankHolidays() && UkBankHolidays.isHoliday(day, s.bankHolidayRegion()));
    }

    /** The instants at which wall-clock {@code t} on {@code day} happens: one, two (overlap) or the gap's end. */
    private static List<Instant> startInstants(LocalDate day, LocalTime t, ZoneId zone) {
        LocalDateTime ldt = day.atTime(t);
        ZoneRules rules = zone.getRules();
        List<ZoneOffset> offsets = rules.getValidOffsets(ldt);
        if (offsets.isEmpty()) {
            return List.of(rules.getTransition(ldt).getInstant());
        }
        List<Instant> out = new ArrayList<>(offsets.size());
        for (ZoneOffset o : offsets) {
            out.add(ldt.toInstant(o));
        }
        return out;
    }

    /** Why {@code at} is not in a window, for the decision detail. */
    private static String whyClosed(Settings s, Instant at) {
        ZonedDateTime z = at.atZone(s.zone());
        String day = dayName(z.getDayOfWeek());
        if (s.skipBankHolidays()) {
            String holiday = UkBankHolidays.name(z.toLocalDate(), s.bankHolidayRegion());
            if (holiday != null) {
                return "bank holiday (" + holiday + ")";
            }
        }
        List<Window> windows = s.windowsOn(z.getDayOfWeek());
        if (windows.isEmpty()) {
            return day;
        }
        List<String> ws = windows.stream().map(Window::toString).toList();
        return day + " " + HH_MM.format(z) + " is outside " + String.join(", ", ws);
    }

    /** e.g. "Monday 08:00 Europe/London (2026-03-30)"; seconds are shown only when not zero. */
    private static String describe(Settings s, Instant at) {
        ZonedDateTime z = at.atZone(s.zone());
        String time = z.getSecond() == 0 ? HH_MM.format(z) : HH_MM_SS.format(z);
        return dayName(z.getDayOfWeek()) + " " + time + " " + s.zone().getId() + " (" + z.toLocalDate() + ")";
    }

    private static String dayName(DayOfWeek d) {
        return d.getDisplayName(TextStyle.FULL, Locale.UK);
    }

    private static String hours(Duration d) {
        return d.toSeconds() % 3600 == 0 ? d.toHours() + " h" : d.toString();
    }
}
