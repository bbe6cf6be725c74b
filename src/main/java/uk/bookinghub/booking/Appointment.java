package uk.bookinghub.booking;

import java.time.Instant;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An appointment row. {@code status}: booked, cancelled, completed, no_show (the last two once its
 * start has passed: {@code completedAt} / {@code noShowAt} say when, {@code completedBy} /
 * {@code noShowBy} who: sweep or client). {@code scheduledAt}: when the current start was set.
 */
public record Appointment(long id, long clientId, Long leadId, String vapiCallId, String customerName, String phone, String email,
                         String service, String notes, Instant start, Instant end, String status, String calendarStatus,
                         String googleEventId, String calendarError, Instant createdAt, Instant updatedAt, Instant scheduledAt,
                         Instant cancelledAt, Instant completedAt, String completedBy, Instant noShowAt, String noShowBy) {

    public Map<String, Object> view(ZoneId zone) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("leadId", leadId);
        m.put("vapiCallId", vapiCallId);
        m.put("customerName", customerName);
        m.put("phone", phone);
        m.put("email", email);
        m.put("service", service);
        m.put("notes", notes);
        m.put("start", start.toString());
        m.put("end", end.toString());
        m.put("localStart", start.atZone(zone).toLocalDateTime().toString());
        m.put("timezone", zone.getId());
        m.put("status", status);
        m.put("calendarStatus", calendarStatus);
        m.put("googleEventId", googleEventId);
        m.put("calendarError", calendarError);
        m.put("createdAt", createdAt.toString());
        m.put("updatedAt", updatedAt.toString());
        if (cancelledAt != null) {
            m.put("cancelledAt", cancelledAt.toString());
        }
        if (completedAt != null) {
            m.put("completedAt", completedAt.toString());
            m.put("completedBy", completedBy);
        }
        if (noShowAt != null) {
            m.put("noShowAt", noShowAt.toString());
            m.put("noShowBy", noShowBy);
        }
        return m;
    }

    /** Google event ids: base32hex characters (a-v, 0-9), 5 to 1024 long; derived from our id so a retried insert is a 409, not a second event. */
    public static String googleEventId(long appointmentId) {
        return "bkhub" + Long.toString(appointmentId, 32);
    }
}
