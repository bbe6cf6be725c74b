package uk.bookinghub.privacy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hourly lead expiry (route {@code leads-expire}), as the original system's "cleanup expired leads":
 * a lead never reached within {@code hub.leads.expire-days} of its import (or of the re-import that
 * brought it back), or whose recorded consent is older than {@code hub.leads.consent-valid-days}, becomes
 * {@code expired}: it leaves the dialler's queue and its pending follow-up steps are cancelled, in one
 * transaction. A consent date the hub cannot read counts as expired (fail closed: consent that cannot be
 * shown to be valid is not used to call). Re-importing the lead brings it back with the new row's consent.
 */
public final class LeadExpiry {

    private static final Logger LOG = LoggerFactory.getLogger(LeadExpiry.class);
    private static final DateTimeFormatter UK_DATE = DateTimeFormatter.ofPattern("d/M/uuuu");
    private static final DateTimeFormatter UK_DATE_TIME = DateTimeFormatter.ofPattern("d/M/uuuu H:mm[:ss]");

    private final RetentionStore store;
    private final Clock clock;
    private final int expireDays;
    private final int consentValidDays;

    LeadExpiry(RetentionStore store, Clock clock, int expireDays, int consentValidDays) {
        if (expireDays < 1 || consentValidDays < 1) {
            throw new IllegalArgumentException("hub.leads.expire-days and hub.leads.consent-valid-days must be at least 1");
        }
        this.store = store;
        this.clock = clock;
        this.expireDays = expireDays;
        this.consentValidDays = consentValidDays;
    }

    /** One pass over every client's leads: how many expired, and why. */
    public Map<String, Object> run() {
        Instant now = clock.instant();
        Instant importedBefore = now.minus(Duration.ofDays(expireDays));
        Instant consentBefore = now.minus(Duration.ofDays(consentValidDays));
        String consentBeforeDay = LocalDate.ofInstant(consentBefore, ZoneOffset.UTC).toString();
        Map<String, Integer> byReason = new LinkedHashMap<>();
        int expired = 0;
        long after = 0;
        long started = System.nanoTime();
        while (true) {
            List<RetentionStore.Candidate> batch = store.expiryCandidates(importedBefore, consentBeforeDay, after);
            if (batch.isEmpty()) {
                break;
            }
            List<RetentionStore.Expiry> expire = new ArrayList<>();
            for (RetentionStore.Candidate c : batch) {
                after = c.id();
                String reason = reason(c, consentBefore);
                if (reason != null) {
                    expire.add(new RetentionStore.Expiry(c.id(), reason));
                }
            }
            int n = store.expire(expire, now);
            expired += n;
            expire.forEach(e -> byReason.merge(e.reason(), 1, Integer::sum));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("expired", expired);
        out.put("byReason", byReason);
        out.put("expireDays", expireDays);
        out.put("consentValidDays", consentValidDays);
        out.put("millis", (System.nanoTime() - started) / 1_000_000);
        if (expired > 0) {
            LOG.info("[PRIVACY] lead expiry: {} lead(s) expired {} (never reached within {} days of import, or consent older than {} days)",
                    expired, byReason, expireDays, consentValidDays);
        }
        return out;
    }

    /** Why the lead expires, or null when it does not (its consent date turned out to be recent). */
    static String reason(RetentionStore.Candidate c, Instant consentBefore) {
        if (c.consentAt() != null && !c.consentAt().isBlank()) {
            Instant consent = consentInstant(c.consentAt());
            if (consent == null) {
                return "consent_unreadable";
            }
            if (consent.isBefore(consentBefore)) {
                return "consent_expired";
            }
        }
        return c.stale() ? "not_reached" : null;
    }

    /** A recorded consent date as an instant: ISO-8601 (date, date-time with or without offset; UTC when none), or a UK d/M/yyyy [H:mm[:ss]]. */
    static Instant consentInstant(String text) {
        String s = text.strip();
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            // the next form
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            // the next form
        }
        try {
            return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            // the next form
        }
        try {
            return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
            // the next form
        }
        try {
            return LocalDateTime.parse(s, UK_DATE_TIME).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            // the next form
        }
        try {
            return LocalDate.parse(s, UK_DATE).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
