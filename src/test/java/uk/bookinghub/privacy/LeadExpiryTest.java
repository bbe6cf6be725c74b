package uk.bookinghub.privacy;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a recorded consent date is read for the expiry: every ISO-8601 form the web form accepts and the UK
 * day/month/year a spreadsheet writes; anything else is unreadable, which expires the lead (consent that
 * cannot be shown valid is not used to call); a lead with recent consent expires only when never reached.
 */
class LeadExpiryTest {

    @Test
    void consentDatesAreReadInTheirUsualForms() {
        assertThat(LeadExpiry.consentInstant("2025-03-04")).isEqualTo(Instant.parse("2025-03-04T00:00:00Z"));
        assertThat(LeadExpiry.consentInstant("2025-03-04T10:15:30")).isEqualTo(Instant.parse("2025-03-04T10:15:30Z"));
        assertThat(LeadExpiry.consentInstant("2025-03-04T10:15:30Z")).isEqualTo(Instant.parse("2025-03-04T10:15:30Z"));
        assertThat(LeadExpiry.consentInstant("2025-03-04T10:15:30+01:00")).isEqualTo(Instant.parse("2025-03-04T09:15:30Z"));
        assertThat(LeadExpiry.consentInstant("4/3/2025")).isEqualTo(Instant.parse("2025-03-04T00:00:00Z"));
        assertThat(LeadExpiry.consentInstant("04/03/2025 10:15")).isEqualTo(Instant.parse("2025-03-04T10:15:00Z"));
        assertThat(LeadExpiry.consentInstant("last spring")).isNull();
        assertThat(LeadExpiry.consentInstant("03-04-2025")).isNull();
    }

    @Test
    void theReasonIsConsentFirstThenNeverReached() {
        Instant cutoff = Instant.parse("2025-12-01T00:00:00Z");
        assertThat(LeadExpiry.reason(new RetentionStore.Candidate(1, false, "2024-01-01"), cutoff)).isEqualTo("consent_expired");
        assertThat(LeadExpiry.reason(new RetentionStore.Candidate(1, true, "2024-01-01"), cutoff)).isEqualTo("consent_expired");
        assertThat(LeadExpiry.reason(new RetentionStore.Candidate(1, false, "someday"), cutoff)).isEqualTo("consent_unreadable");
        assertThat(LeadExpiry.reason(new RetentionStore.Candidate(1, false, "2025-12-05"), cutoff)).isNull();
        assertThat(LeadExpiry.reason(new RetentionStore.Candidate(1, true, "2025-12-05"), cutoff)).isEqualTo("not_reached");
        assertThat(LeadExpiry.reason(new RetentionStore.Candidate(1, true, null), cutoff)).isEqualTo("not_reached");
    }
}
