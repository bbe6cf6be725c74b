package uk.bookinghub.messaging;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Encoding, length and segment count as Twilio bills them. */
class SmsTextTest {

    private static final String EMOJI = "\uD83D\uDE00"; // 😀, a surrogate pair

    @Test
    void plainTextIsGsm7With160SeptetsInOneMessageAnd153PerSegmentAfter() {
        assertThat(SmsText.measure("a".repeat(160))).isEqualTo(new SmsText.Info("GSM-7", 160, 1));
        assertThat(SmsText.measure("a".repeat(161))).isEqualTo(new SmsText.Info("GSM-7", 161, 2));
        assertThat(SmsText.measure("a".repeat(306))).isEqualTo(new SmsText.Info("GSM-7", 306, 2));
        assertThat(SmsText.measure("a".repeat(307))).isEqualTo(new SmsText.Info("GSM-7", 307, 3));
        assertThat(SmsText.measure("a".repeat(459)).segments()).isEqualTo(3);
        assertThat(SmsText.measure("a".repeat(460)).segments()).isEqualTo(4);
    }

    @Test
    void emptyTextIsOneSegmentOfNothing() {
        assertThat(SmsText.measure("")).isEqualTo(new SmsText.Info("GSM-7", 0, 1));
    }

    @Test
    void extensionCharactersStayGsm7ButCountTwo() {
        for (String c : new String[] {"\f", "^", "{", "}", "\\", "[", "~", "]", "|", "\u20AC"}) {
            assertThat(SmsText.measure("x" + c)).as(c).isEqualTo(new SmsText.Info("GSM-7", 3, 1));
        }
        assertThat(SmsText.measure("Total \u20AC20").encoding()).isEqualTo("GSM-7");
        // 159 + 2 = 161 septets: one extension character pushes an otherwise single message into two.
        assertThat(SmsText.measure("a".repeat(158) + "^")).isEqualTo(new SmsText.Info("GSM-7", 160, 1));
        assertThat(SmsText.measure("a".repeat(159) + "^")).isEqualTo(new SmsText.Info("GSM-7", 161, 2));
    }

    @Test
    void everyBasicCharacterIsOneSeptet() {
        assertThat(SmsText.BASIC.chars().distinct().count()).isEqualTo(127);
        assertThat(SmsText.measure(SmsText.BASIC)).isEqualTo(new SmsText.Info("GSM-7", 127, 1));
        assertThat(SmsText.measure("\u00A3\u00E9\u00DC\u00C7\u0394\u00A7\u00BF").encoding()).isEqualTo("GSM-7"); // £éÜÇΔ§¿
    }

    @Test
    void oneCharacterOutsideGsmSwitchesTheWholeMessageToUcs2() {
        assertThat(SmsText.measure("Dzie\u0144 dobry, \u0142adna pogoda").encoding()).isEqualTo("UCS-2"); // ń, ł
        assertThat(SmsText.measure("\u0142")).isEqualTo(new SmsText.Info("UCS-2", 1, 1));
        assertThat(SmsText.measure("See you soon " + EMOJI)).isEqualTo(new SmsText.Info("UCS-2", 15, 1));
        assertThat(SmsText.measure("It\u2019s booked").encoding()).as("curly apostrophe").isEqualTo("UCS-2");
        assertThat(SmsText.measure("\u00E7a va").encoding()).as("small c cedilla is not GSM").isEqualTo("UCS-2");
        // In UCS-2 the GSM extension characters are ordinary single units.
        assertThat(SmsText.measure("\u0142^\u20AC")).isEqualTo(new SmsText.Info("UCS-2", 3, 1));
    }

    @Test
    void ucs2Has70UnitsInOneMessageAnd67PerSegmentAfter() {
        String l = "\u0142";
        assertThat(SmsText.measure(l.repeat(70))).isEqualTo(new SmsText.Info("UCS-2", 70, 1));
        assertThat(SmsText.measure(l.repeat(71))).isEqualTo(new SmsText.Info("UCS-2", 71, 2));
        assertThat(SmsText.measure(l.repeat(134))).isEqualTo(new SmsText.Info("UCS-2", 134, 2));
        assertThat(SmsText.measure(l.repeat(135))).isEqualTo(new SmsText.Info("UCS-2", 135, 3));
        assertThat(SmsText.measure(EMOJI.repeat(35))).isEqualTo(new SmsText.Info("UCS-2", 70, 1));
        assertThat(SmsText.measure(EMOJI.repeat(36))).isEqualTo(new SmsText.Info("UCS-2", 72, 2));
    }

    @Test
    void anEscapePairIsNeverSplitAcrossSegments() {
        // 152 septets then "^": the pair would take septets 153 and 154, so it moves to segment 2 whole.
        String text = "a".repeat(152) + "^" + "a".repeat(151);
        assertThat(SmsText.measure(text)).isEqualTo(new SmsText.Info("GSM-7", 305, 2));
        // Same length with the pair fitting inside segment 1 needs only two segments as well...
        assertThat(SmsText.measure("a".repeat(151) + "^" + "a".repeat(152)).segments()).isEqualTo(2);
        // ...but one more septet after the moved pair overflows: 1 wasted septet in segment 1.
        assertThat(SmsText.measure("a".repeat(152) + "^" + "a".repeat(152)))
                .isEqualTo(new SmsText.Info("GSM-7", 306, 3));
        // Counting septets alone would have said 306 <= 2 * 153, two segments.
    }

    @Test
    void aSurrogatePairIsNeverSplitAcrossSegments() {
        // 66 units then an emoji: units 67 and 68 would straddle the boundary, so the pair moves on.
        String text = "\u0142".repeat(66) + EMOJI + "\u0142".repeat(65);
        assertThat(SmsText.measure(text)).isEqualTo(new SmsText.Info("UCS-2", 133, 2));
        assertThat(SmsText.measure("\u0142".repeat(66) + EMOJI + "\u0142".repeat(66)))
                .isEqualTo(new SmsText.Info("UCS-2", 134, 3));
        assertThat(SmsText.measure("\u0142".repeat(65) + EMOJI + "\u0142".repeat(67)))
                .isEqualTo(new SmsText.Info("UCS-2", 134, 2));
    }

    @Test
    void nullIsRefused() {
        assertThatThrownBy(() -> SmsText.measure(null)).isInstanceOf(NullPointerException.class);
    }
}
