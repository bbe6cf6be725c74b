package uk.bookinghub.booking;

import uk.bookinghub.messaging.Templates;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Free slots: the client's opening hours on each day (wall-clock time in its zone, so a day of a
 * clock change has the right instants), one slot every {@code slotMinutes}, long enough for the
 * service and its buffer, at least {@code minNoticeMinutes} from now, minus the 5-minute units
 * already claimed by appointments and minus busy blocks from the client's calendar.
 */
public final class Availability {

    /** Claims are made in units of this many seconds (5 minutes): every duration is a multiple of it. */
    public static final long UNIT_SECONDS = 300;

    public record Slot(Instant start, Instant end) {
    }

    /** A busy block from the calendar (end exclusive). */
    public record Busy(Instant start, Instant end) {
    }

    private Availability() {
    }

    /** The unit starts (epoch seconds) an appointment from {@code start} for {@code minutes} plus {@code buffer} claims. */
    public static List<Instant> units(Instant start, int minutes, int bufferMinutes) {
        long first = Math.floorDiv(start.getEpochSecond(), UNIT_SECONDS) * UNIT_SECONDS;
        long end = start.getEpochSecond() + (long) (minutes + bufferMinutes) * 60;
        List<Instant> out = new ArrayList<>();
        for (long u = first; u < end; u += UNIT_SECONDS) {
            out.add(Instant.ofEpochSecond(u));
        }
        return out;
    }

    /** Candidate starts on a day: opening hours stepped by the slot length, the service fitting before closing. */
    static List<Slot> candidates(BookingSettings s, ZoneId zone, LocalDate day, BookingSettings.Service service) {
        List<Slot> out = new ArrayList<>();
        DayOfWeek dow = day.getDayOfWeek();
        for (BookingSettings.Hours h : s.businessHours().getOrDefault(dow, List.of())) {
            ZonedDateTime close = ZonedDateTime.of(LocalDateTime.of(day, h.close()), zone);
            for (LocalDateTime t = LocalDateTime.of(day, h.open()); t.toLocalDate().equals(day) && t.toLocalTime().isBefore(h.close());
                 t = t.plusMinutes(s.slotMinutes())) {
                ZonedDateTime start = ZonedDateTime.of(t, zone);
                if (!start.toLocalDateTime().equals(t)) {
                    continue; // inside a spring-forward gap: that wall-clock time does not exist today
                }
                Instant end = start.toInstant().plus(Duration.ofMinutes(service.minutes()));
                if (end.isAfter(close.toInstant())) {
                    break;
                }
                out.add(new Slot(start.toInstant(), end));
            }
        }
        return out;
    }

    /** Free slots from {@code from} to {@code to} (inclusive days), at most {@code max}. */
    public static List<Slot> free(BookingSettings s, ZoneId zone, LocalDate from, LocalDate to, BookingSettings.Service service, Instant now,
                                  Set<Instant> claimedUnits, List<Busy> busy, int max) {
        Instant earliest = now.plus(Duration.ofMinutes(s.minNoticeMinutes()));
        List<Slot> out = new ArrayList<>();
        for (LocalDate day = from; !day.isAfter(to) && out.size() < max; day = day.plusDays(1)) {
            for (Slot slot : candidates(s, zone, day, service)) {
                if (slot.start().isBefore(earliest)) {
                    continue;
                }
                if (units(slot.start(), service.minutes(), service.bufferMinutes()).stream().anyMatch(claimedUnits::contains)) {
                    continue;
                }
                if (busy.stream().anyMatch(b -> b.start().isBefore(slot.end()) && b.end().isAfter(slot.start()))) {
                    continue;
                }
                out.add(slot);
                if (out.size() >= max) {
                    break;
                }
            }
        }
        return out;
    }

    /** Whether {@code start} is one of the day's candidate starts for the service. */
    public static boolean isCandidate(BookingSettings s, ZoneId zone, Instant start, BookingSettings.Service service) {
        LocalDate day = start.atZone(zone).toLocalDate();
        return candidates(s, zone, day, service).stream().anyMatch(c -> c.start().equals(start));
    }

    /** "Tuesday 1 December at 9am, 10am or 2pm; Wednesday 2 December at 9am" (one line, the client's zone). */
    public static String words(List<Slot> slots, ZoneId zone) {
        Map<String, List<String>> byDay = new LinkedHashMap<>();
        for (Slot s : slots) {
            byDay.computeIfAbsent(Templates.date(s.start(), zone), k -> new ArrayList<>()).add(Templates.time(s.start(), zone));
        }
        List<String> parts = new ArrayList<>();
        byDay.forEach((day, times) -> {
            String t = times.size() == 1 ? times.get(0)
                    : String.join(", ", times.subList(0, times.size() - 1)) + " or " + times.get(times.size() - 1);
            parts.add(day + " at " + t);
        });
        return String.join("; ", parts);
    }
}
