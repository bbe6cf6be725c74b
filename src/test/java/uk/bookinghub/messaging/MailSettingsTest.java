package uk.bookinghub.messaging;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MailSettingsTest {

    @Test
    void gmailServiceIsSmtpGmailWithStartTls() {
        MailSettings m = MailSettings.of("gmail", "", "", "", "me@gmail.com", "app-password", "");
        assertThat(m.configured()).isTrue();
        assertThat(m.host()).isEqualTo("smtp.gmail.com");
        assertThat(m.port()).isEqualTo(587);
        assertThat(m.from()).isEqualTo("me@gmail.com");
        assertThat(m.uri()).startsWith("smtp://smtp.gmail.com:587?").contains("additionalJavaMailProperties=#mailStartTls", "username=RAW(me@gmail.com)");
    }

    @Test
    void port465IsSslAndPlainHostNeedsNoLogin() {
        assertThat(MailSettings.of("", "mail.example.com", "465", "auto", "u@example.com", "p", "").uri()).startsWith("smtps://mail.example.com:465?");
        MailSettings local = MailSettings.of("", "127.0.0.1", "2525", "", "", "", "hub@example.com");
        assertThat(local.configured()).isTrue();
        assertThat(local.security()).isEqualTo("none");
        assertThat(local.uri()).startsWith("smtp://127.0.0.1:2525?").doesNotContain("username");
    }

    @Test
    void notConfiguredWithoutHostOrWithUserButNoPassword() {
        assertThat(MailSettings.of("", "", "", "", "", "", "").configured()).isFalse();
        assertThat(MailSettings.of("", "mail.example.com", "587", "", "u@example.com", "", "").configured()).isFalse();
        assertThatThrownBy(() -> MailSettings.of("", "h", "x", "", "", "", "")).hasMessageContaining("SMTP_PORT");
        assertThatThrownBy(() -> MailSettings.of("", "h", "25", "tls13", "", "", "")).hasMessageContaining("SMTP_SECURITY");
    }

    @Test
    void rateCapSpacesSendsEvenly() {
        RateCap cap = new RateCap(50);
        long start = System.nanoTime();
        for (int i = 0; i < 26; i++) {
            cap.acquire("+447700900999");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        // 26 slots at 50/s: the first is immediate, the last 25 intervals later (0.5 s)
        assertThat(seconds).isBetween(0.45, 0.75);
        RateCap off = new RateCap(0);
        long t = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            off.acquire("x");
        }
        assertThat((System.nanoTime() - t) / 1e9).isLessThan(0.2);
    }
}
