package uk.bookinghub.analytics;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one builder of each analytics event type (shapes: README "Analytics events"). The live
 * path (booking tools and API, the outbox sender, Twilio's callbacks, lead imports, opt-outs) and
 * the reconciliation ({@link AnalyticsStore#reconcile}) both build their events here from the same
 * facts, so an event re-added after a crash is the one the wire tap would have written. The V10
 * back-fill writes the same props in SQL (AnalyticsBackfillTest compares them with these).
 *
 * <p>A null {@code clientKey} is filled in by the writer from {@code clientId}; a null source with a
 * lead is the lead's {@code source}.
 */
public final class AnalyticsFacts {

    /** Outbox statuses that are a message.failed: Twilio's failed / undelivered, the sender's failed and dead. */
    public static final Set<String> FAILED = Set.of("failed", "undelivered", "dead");

    private AnalyticsFacts() {
    }

    // ---- appointments -----------------------------------------------------------------------

    /** An appointment was booked (by the assistant's tool call, or {@code bookedBy} "api"): counted on the day it was booked. */
    public static AnalyticsEvent appointmentBooked(long appointmentId, long clientId, String clientKey, Long leadId, String service,
                                                   Instant startAt, Instant createdAt, String bookedBy) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("appointmentId", appointmentId);
        p.put("service", service);
        p.put("startAt", iso(startAt));
        p.put("bookedBy", bookedBy);
        return new AnalyticsEvent("appointment.booked:" + appointmentId, "appointment.booked", clientId, clientKey, null, null, p, createdAt, leadId, null);
    }

    /** Who booked it, from the row: a tool call id means the assistant. */
    public static String bookedBy(String toolCallId) {
        return toolCallId != null ? "assistant" : "api";
    }

    /** A booked appointment was cancelled: takes the booking back from the day it was booked ({@code bookedAt}). */
    public static AnalyticsEvent appointmentCancelled(long appointmentId, long clientId, String clientKey, Long leadId, String service,
                                                      Instant bookedAt, Instant startAt, Instant cancelledAt) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("appointmentId", appointmentId);
        p.put("service", service);
        p.put("bookedAt", iso(bookedAt));
        p.put("startAt", iso(startAt));
        return new AnalyticsEvent("appointment.cancelled:" + appointmentId, "appointment.cancelled", clientId, clientKey, null, null, p,
                cancelledAt, leadId, null);
    }

    /** An appointment moved from {@code fromStart} to {@code toStart}; {@code scheduledAt} (when it moved) names the move. */
    public static AnalyticsEvent appointmentMoved(long appointmentId, long clientId, String clientKey, Long leadId, Instant fromStart, Instant toStart,
                                                  Instant scheduledAt) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("appointmentId", appointmentId);
        p.put("fromStart", iso(fromStart));
        p.put("toStart", iso(toStart));
        return new AnalyticsEvent("appointment.moved:" + appointmentId + ":" + iso(scheduledAt), "appointment.moved", clientId, clientKey, null, null, p,
                scheduledAt, leadId, null);
    }

    /**
     * An appointment whose start has passed was marked {@code completed} or {@code no_show} ({@code by}
     * sweep or client); {@code previous} "completed" when a no-show corrects a completed one (the
     * roll-up takes the completed back).
     */
    public static AnalyticsEvent appointmentAttended(String status, long appointmentId, long clientId, String clientKey, Long leadId, String service,
                                                     Instant startAt, Instant markedAt, String by, String previous) {
        if (!"completed".equals(status) && !"no_show".equals(status)) {
            throw new IllegalArgumentException("attendance is completed or no_show, not " + status);
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("appointmentId", appointmentId);
        p.put("service", service);
        p.put("startAt", iso(startAt));
        if (previous != null) {
            p.put("previous", previous);
        }
        p.put("by", by);
        String type = "appointment." + status;
        return new AnalyticsEvent(type + ":" + appointmentId, type, clientId, clientKey, null, null, p, markedAt, leadId, null);
    }

    // ---- messages ---------------------------------------------------------------------------

    /**
     * What the analytics need of an outbox row ({@code messages}): {@code price} as Twilio wrote it
     * (a negative string such as "-0.0400"), with its {@code priceUnit}, or null.
     */
    public record MessageFacts(long id, long clientId, Long leadId, String channel, String kind, Integer segments, String price, String priceUnit,
                               String status, String errorCode, int attempts, String providerId, Instant sentAt, Instant deliveredAt,
                               Instant updatedAt) {
    }

    /**
     * The events an outbox row stands for as it is now: message.sent once a provider took it,
     * message.delivered once Twilio said delivered, message.failed when it failed for good after a
     * try (a message refused before any send, such as one too long to queue, is not one).
     */
    public static List<AnalyticsEvent> messageEvents(MessageFacts m) {
        List<AnalyticsEvent> out = new ArrayList<>(2);
        if (m.sentAt() != null) {
            Map<String, Object> p = messageProps(m);
            p.put("segments", m.segments());
            if (m.price() != null && !m.price().isBlank()) {
                p.put("price", m.price());
                p.put("priceUnit", m.priceUnit());
            }
            out.add(messageEvent("message.sent", m, p, m.sentAt()));
        }
        if (m.deliveredAt() != null) {
            out.add(messageEvent("message.delivered", m, messageProps(m), m.deliveredAt()));
        }
        if (FAILED.contains(m.status()) && (m.attempts() > 0 || m.providerId() != null)) {
            Map<String, Object> p = messageProps(m);
            p.put("status", m.status());
            p.put("errorCode", m.errorCode());
            out.add(messageEvent("message.failed", m, p, m.updatedAt()));
        }
        return out;
    }

    private static Map<String, Object> messageProps(MessageFacts m) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("messageId", m.id());
        p.put("channel", m.channel());
        p.put("kind", m.kind());
        return p;
    }

    private static AnalyticsEvent messageEvent(String type, MessageFacts m, Map<String, Object> props, Instant at) {
        return new AnalyticsEvent(type + ":" + m.id(), type, m.clientId(), null, null, null, props, at, m.leadId(), null);
    }

    // ---- leads ------------------------------------------------------------------------------

    /**
     * {@code count} leads of one {@code source} (null: none given) came in with an import
     * ({@code importId}: the import job, or {@code lead_<id>} for one lead from the web form).
     */
    public static AnalyticsEvent leadsImported(String importId, long clientId, String clientKey, String source, long count, Instant at) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("count", count);
        p.put("importId", importId);
        String src = source == null || source.isEmpty() ? null : source;
        return new AnalyticsEvent("lead.imported:" + importId + ":" + (src == null ? "" : src), "lead.imported", clientId, clientKey, null, null, p,
                at, null, src);
    }

    /** The import id of a single lead from the web form. */
    public static String singleLeadImport(long leadId) {
        return "lead_" + leadId;
    }

    /**
     * A number was opted out ({@code scope} client or global) {@code via} sms (a STOP), api or twilio
     * (Twilio refused a send with 21610); {@code leadId} the client's newest lead with that number.
     */
    public static AnalyticsEvent leadOptedOut(long optOutId, Long clientId, String clientKey, Long leadId, String scope, String via, Instant at) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("scope", scope);
        p.put("via", via);
        return new AnalyticsEvent("lead.opted_out:" + optOutId, "lead.opted_out", clientId, clientKey, null, null, p, at, leadId, null);
    }

    /** How an opt-out came in, from who made it ({@code opt_outs.created_by}: "sms:+44...", "twilio:21610", or an API caller). */
    public static String optOutVia(String createdBy) {
        if (createdBy == null) {
            return "api";
        }
        return createdBy.startsWith("sms:") ? "sms" : createdBy.startsWith("twilio:") ? "twilio" : "api";
    }

    static String iso(Instant t) {
        return t == null ? null : t.toString();
    }
}
