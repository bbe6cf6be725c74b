package uk.bookinghub.calls;

import org.junit.jupiter.api.Test;

import uk.bookinghub.http.HttpProblem;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Vapi's HMAC credential as its plan describes it: hex HMAC of "{timestamp}.{body}" with the
 * credential's secret, checked against an independent computation (javax.crypto) for each algorithm,
 * with or without a "sha256=" prefix; a changed body, a wrong secret or a timestamp outside the replay
 * window is refused with a reason, never the expected value.
 */
class VapiSignatureTest {

    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final byte[] BODY = "{\"message\":{\"type\":\"hang\"}}".getBytes(StandardCharsets.UTF_8);

    private static String hmac(String javaAlgorithm, String secret, String timestamp, byte[] body) throws Exception {
        Mac mac = Mac.getInstance(javaAlgorithm);
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), javaAlgorithm));
        mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(mac.doFinal(body));
    }

    private static VapiSignature plan(String algorithm) {
        return new VapiSignature("s3cret", algorithm, "x-signature", "x-timestamp", Duration.ofMinutes(5), CLOCK);
    }

    @Test
    void aSignatureOverTheTimestampAndTheRawBodyIsAcceptedForEachAlgorithm() throws Exception {
        String ts = String.valueOf(NOW.getEpochSecond());
        for (String[] a : new String[][] {{"sha256", "HmacSHA256"}, {"sha512", "HmacSHA512"}, {"sha1", "HmacSHA1"}}) {
            String sig = hmac(a[1], "s3cret", ts, BODY);
            assertThatCode(() -> plan(a[0]).verify(sig, ts, BODY, 0, BODY.length)).as(a[0]).doesNotThrowAnyException();
            assertThatCode(() -> plan(a[0]).verify(a[0] + "=" + sig.toUpperCase(), ts, BODY, 0, BODY.length)).as(a[0] + " prefixed").doesNotThrowAnyException();
        }
        String ms = String.valueOf(NOW.toEpochMilli());
        assertThatCode(() -> plan("sha256").verify(hmac("HmacSHA256", "s3cret", ms, BODY), ms, BODY, 0, BODY.length)).doesNotThrowAnyException();
        String iso = NOW.minusSeconds(30).toString();
        assertThatCode(() -> plan("sha256").verify(hmac("HmacSHA256", "s3cret", iso, BODY), iso, BODY, 0, BODY.length)).doesNotThrowAnyException();
    }

    @Test
    void aWrongSecretAChangedBodyOrAStaleTimestampIsRefused() throws Exception {
        String ts = String.valueOf(NOW.getEpochSecond());
        VapiSignature p = plan("sha256");
        assertThatThrownBy(() -> p.verify(hmac("HmacSHA256", "other", ts, BODY), ts, BODY, 0, BODY.length))
                .isInstanceOf(HttpProblem.class).hasMessage("invalid Vapi signature");
        byte[] changed = "{\"message\":{\"type\":\"hang \"}}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> p.verify(hmac("HmacSHA256", "s3cret", ts, BODY), ts, changed, 0, changed.length)).hasMessage("invalid Vapi signature");
        String old = String.valueOf(NOW.minusSeconds(301).getEpochSecond());
        assertThatThrownBy(() -> p.verify(hmac("HmacSHA256", "s3cret", old, BODY), old, BODY, 0, BODY.length)).hasMessageContaining("stale");
        String ahead = String.valueOf(NOW.plusSeconds(301).getEpochSecond());
        assertThatThrownBy(() -> p.verify(hmac("HmacSHA256", "s3cret", ahead, BODY), ahead, BODY, 0, BODY.length)).hasMessageContaining("stale");
        assertThatThrownBy(() -> p.verify(null, ts, BODY, 0, BODY.length)).hasMessageContaining("x-signature");
        assertThatThrownBy(() -> p.verify("abc", null, BODY, 0, BODY.length)).hasMessageContaining("x-timestamp");
        assertThatThrownBy(() -> p.verify("zz-not-hex", ts, BODY, 0, BODY.length)).hasMessage("invalid Vapi signature");
        assertThatThrownBy(() -> p.verify("00", "yesterday", BODY, 0, BODY.length)).hasMessageContaining("unreadable");
        assertThat(new VapiSignature(" ", "sha256", "x-signature", "x-timestamp", Duration.ofMinutes(5), CLOCK).configured()).isFalse();
        assertThatThrownBy(() -> plan("md5")).isInstanceOf(IllegalArgumentException.class);
    }
}
