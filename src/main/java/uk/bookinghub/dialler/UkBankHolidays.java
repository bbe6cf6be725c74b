package uk.bookinghub.dialler;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.Month;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * UK bank holidays, computed rather than fetched, so the dialler works offline and needs no data file
 * that goes stale. Supports the three gov.uk divisions for the years 1995–2100:
 * {@value #ENGLAND_AND_WALES} (the default), {@value #SCOTLAND} and {@value #NORTHERN_IRELAND}.
 *
 * <p>Names follow gov.uk's bank-holidays.json ("Easter Monday", "Christmas Day (substitute day)", …)
 * with plain apostrophes. A fixed-date holiday that falls on a weekend moves to the next weekday that is
 * not already a holiday, which gives gov.uk's results: Christmas on Saturday → Monday 27, Boxing Day on
 * Sunday → Tuesday 28; Christmas on Sunday → Boxing Day stays Monday 26 and Christmas moves to Tuesday 27.
 *
 * <p>Royal and state one-offs are a fixed table ({@link #ONE_OFFS}); a future one must be added there.
 * Years after the last published gov.uk list are a projection of the standing rules.
 */
public final class UkBankHolidays {

    public static final String ENGLAND_AND_WALES = "england-and-wales";
    public static final String SCOTLAND = "scotland";
    public static final String NORTHERN_IRELAND = "northern-ireland";

    public static final int FIRST_YEAR = 1995;
    public static final int LAST_YEAR = 2100;

    private static final String SUBSTITUTE = " (substitute day)";

    /** Royal and state one-offs; all were UK-wide. */
    private static final Map<LocalDate, String> ONE_OFFS = Map.of(
            LocalDate.of(1999, 12, 31), "Millennium Celebrations",
            LocalDate.of(2002, 6, 3), "Golden Jubilee bank holiday",
            LocalDate.of(2011, 4, 29), "Wedding of Prince William and Catherine Middleton",
            LocalDate.of(2012, 6, 5), "Queen's Diamond Jubilee",
            LocalDate.of(2022, 6, 3), "Platinum Jubilee bank holiday",
            LocalDate.of(2022, 9, 19), "Bank Holiday for the State Funeral of Queen Elizabeth II",
            LocalDate.of(2023, 5, 8), "Bank holiday for the coronation of King Charles III");

    /** Keyed by region + ":" + year; values are immutable and sorted by date. */
    private static final Map<String, NavigableMap<LocalDate, String>> CACHE = new ConcurrentHashMap<>();

    private UkBankHolidays() {
    }

    /** Whether {@code d} is a bank holiday in {@code region} (null/blank = England & Wales). */
    public static boolean isHoliday(LocalDate d, String region) {
        return name(d, region) != null;
    }

    /** The gov.uk-style name of the holiday on {@code d}, e.g. "Easter Monday", or null if none. */
    public static String name(LocalDate d, String region) {
        if (d == null) {
            throw new IllegalArgumentException("date is required");
        }
        return table(d.getYear(), region).get(d);
    }

    /** All bank holidays of {@code year} in {@code region}, sorted by date. */
    public static List<LocalDate> holidays(int year, String region) {
        return List.copyOf(table(year, region).keySet());
    }

    /** All bank holidays of {@code year} in {@code region} with their names, sorted by date. */
    public static NavigableMap<LocalDate, String> namedHolidays(int year, String region) {
        return table(year, region);
    }

    /**
     * The canonical region name: trims, lower-cases and accepts '_' or ' ' for '-'; null or blank is
     * {@value #ENGLAND_AND_WALES}.
     *
     * @throws IllegalArgumentException for an unknown region
     */
    public static String normaliseRegion(String region) {
        if (region == null || region.isBlank()) {
            return ENGLAND_AND_WALES;
        }
        String r = region.trim().toLowerCase(Locale.ROOT).replace('_', '-').replace(' ', '-');
        return switch (r) {
            case ENGLAND_AND_WALES, SCOTLAND, NORTHERN_IRELAND -> r;
            default -> throw new IllegalArgumentException("unknown bank holiday region '" + region
                    + "' (use " + ENGLAND_AND_WALES + ", " + SCOTLAND + " or " + NORTHERN_IRELAND + ")");
        };
    }

    /** Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
    static LocalDate easterSunday(int year) {
        int a = year % 19;
        int b = year / 100;
        int c = year % 100;
        int d = b / 4;
        int e = b % 4;
        int f = (b + 8) / 25;
        int g = (b - f + 1) / 3;
        int h = (19 * a + b - d - g + 15) % 30;
        int i = c / 4;
        int k = c % 4;
        int l = (32 + 2 * e + 2 * i - h - k) % 7;
        int m = (a + 11 * h + 22 * l) / 451;
        int month = (h + l - 7 * m + 114) / 31;
        int day = (h + l - 7 * m + 114) % 31 + 1;
        return LocalDate.of(year, month, day);
    }

    private static NavigableMap<LocalDate, String> table(int year, String region) {
        if (year < FIRST_YEAR || year > LAST_YEAR) {
            throw new IllegalArgumentException("bank holidays are computed for " + FIRST_YEAR + "–" + LAST_YEAR
                    + " only, not " + year);
        }
        String r = normaliseRegion(region);
        return CACHE.computeIfAbsent(r + ":" + year, k -> compute(year, r));
    }

    private static NavigableMap<LocalDate, String> compute(int year, String region) {
        boolean scotland = SCOTLAND.equals(region);
        boolean ni = NORTHERN_IRELAND.equals(region);
        TreeMap<LocalDate, String> days = new TreeMap<>();

        // Holidays tied to a weekday (or Easter) first, so fixed-date substitutes can step around them.
        LocalDate easter = easterSunday(year);
        days.put(easter.minusDays(2), "Good Friday");
        if (!scotland) {
            days.put(easter.plusDays(1), "Easter Monday");
        }
        days.put(earlyMay(year), year == 2020 ? "Early May bank holiday (VE day)" : "Early May bank holiday");
        days.put(springBankHoliday(year), "Spring bank holiday");
        days.put(scotland ? firstMonday(year, Month.AUGUST) : lastMonday(year, Month.AUGUST), "Summer bank holiday");
        ONE_OFFS.forEach((date, name) -> {
            if (date.getYear() == year) {
                days.put(date, name);
            }
        });

        // Fixed dates, weekday ones before weekend ones (see the class comment on Christmas).
        List<Fixed> fixed = new ArrayList<>();
        if (scotland) {
            // In Scotland 1 and 2 January move as a pair, in order: gov.uk names 2 Jan 2023 (a Monday)
            // "New Year's Day (substitute day)" and 3 Jan "2nd January (substitute day)".
            LocalDate newYear = nextWeekday(LocalDate.of(year, 1, 1), days);
            put(days, newYear, "New Year's Day", newYear.getDayOfMonth() != 1);
            LocalDate second = nextWeekday(newYear.plusDays(1), days);
            put(days, second, "2nd January", second.getDayOfMonth() != 2);
        } else {
            fixed.add(new Fixed(LocalDate.of(year, 1, 1), "New Year's Day"));
        }
        if (ni) {
            fixed.add(new Fixed(LocalDate.of(year, 3, 17), "St Patrick's Day"));
            fixed.add(new Fixed(LocalDate.of(year, 7, 12), "Battle of the Boyne (Orangemen's Day)"));
        }
        if (scotland && year >= 2007) { // St Andrew's Day Bank Holiday (Scotland) Act 2007
            fixed.add(new Fixed(LocalDate.of(year, 11, 30), "St Andrew's Day"));
        }
        fixed.add(new Fixed(LocalDate.of(year, 12, 25), "Christmas Day"));
        fixed.add(new Fixed(LocalDate.of(year, 12, 26), "Boxing Day"));

        for (Fixed f : fixed) {
            if (!isWeekend(f.date)) {
                days.put(f.date, f.name);
            }
        }
        for (Fixed f : fixed) { // in date order, so Christmas takes the 27th before Boxing Day looks
            if (isWeekend(f.date)) {
                days.put(nextWeekday(f.date, days), f.name + SUBSTITUTE);
            }
        }
        return Collections.unmodifiableNavigableMap(days);
    }

    private static void put(Map<LocalDate, String> days, LocalDate date, String name, boolean substitute) {
        days.put(date, substitute ? name + SUBSTITUTE : name);
    }

    private static LocalDate earlyMay(int year) {
        return switch (year) {
            case 1995 -> LocalDate.of(1995, 5, 8);  // moved for the 50th anniversary of VE day
            case 2020 -> LocalDate.of(2020, 5, 8);  // Friday, 75th anniversary of VE day
            default -> firstMonday(year, Month.MAY);
        };
    }

    private static LocalDate springBankHoliday(int year) {
        return switch (year) {
            case 2002 -> LocalDate.of(2002, 6, 4);  // Golden Jubilee weekend
            case 2012 -> LocalDate.of(2012, 6, 4);  // Diamond Jubilee weekend
            case 2022 -> LocalDate.of(2022, 6, 2);  // Platinum Jubilee weekend
            default -> lastMonday(year, Month.MAY);
        };
    }

    private static LocalDate firstMonday(int year, Month month) {
        return LocalDate.of(year, month, 1).with(TemporalAdjusters.firstInMonth(DayOfWeek.MONDAY));
    }

    private static LocalDate lastMonday(int year, Month month) {
        return LocalDate.of(year, month, 1).with(TemporalAdjusters.lastInMonth(DayOfWeek.MONDAY));
    }

    /** {@code from} itself or the first later weekday that is not already taken. */
    private static LocalDate nextWeekday(LocalDate from, Map<LocalDate, String> taken) {
        LocalDate d = from;
        while (isWeekend(d) || taken.containsKey(d)) {
            d = d.plusDays(1);
        }
        return d;
    }

    private static boolean isWeekend(LocalDate d) {
        return d.getDayOfWeek() == DayOfWeek.SATURDAY || d.getDayOfWeek() == DayOfWeek.SUNDAY;
    }

    private record Fixed(LocalDate date, String name) {
    }
}
