package uk.bookinghub.leads;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The fast UTF-8 check accepts exactly what the JDK's strict decoder accepts. */
class Utf8Test {

    @Test
    void agreesWithTheJdkDecoderOnValidTextAndOnNoise() {
        SplittableRandom random = new SplittableRandom(42);
        String[] pieces = {"name,phone\n", "Zoë", "Łódź", "日本", "😀", "\"a, \"\"b\"\"\"", "=1+2", "\r\n", "0113 496 0001"};
        int invalid = 0;
        for (int round = 0; round < 20_000; round++) {
            StringBuilder sb = new StringBuilder();
            for (int k = random.nextInt(12); k >= 0; k--) {
                sb.append(pieces[random.nextInt(pieces.length)]);
            }
            byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
            if (round % 2 == 1) { // damage it: random bytes at random places
                for (int k = 1 + random.nextInt(3); k > 0; k--) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
            }
            boolean jdk = jdkAccepts(bytes);
            assertThat(Utf8.firstInvalid(bytes, 0, bytes.length) < 0).as("round %d", round).isEqualTo(jdk);
            invalid += jdk ? 0 : 1;
        }
        assertThat(invalid).as("the noise made some inputs invalid").isGreaterThan(1000);
    }

    @Test
    void edgeSequences() {
        int[][] bad = {{0xC0, 0x80}, {0xC1, 0xBF}, {0xE0, 0x80, 0x80}, {0xED, 0xA0, 0x80}, {0xF0, 0x80, 0x80, 0x80},
                {0xF4, 0x90, 0x80, 0x80}, {0xF5, 0x80, 0x80, 0x80}, {0xFF}, {0x80}, {0xE2, 0x82}, {0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0xC3}};
        for (int[] b : bad) {
            byte[] bytes = bytes(b);
            assertThat(Utf8.firstInvalid(bytes, 0, bytes.length)).as(java.util.Arrays.toString(b)).isGreaterThanOrEqualTo(0);
            assertThat(jdkAccepts(bytes)).isFalse();
        }
        int[][] good = {{0xC2, 0x80}, {0xDF, 0xBF}, {0xE0, 0xA0, 0x80}, {0xED, 0x9F, 0xBF}, {0xEE, 0x80, 0x80}, {0xF0, 0x90, 0x80, 0x80}, {0xF4, 0x8F, 0xBF, 0xBF}};
        for (int[] g : good) {
            byte[] bytes = bytes(g);
            assertThat(Utf8.firstInvalid(bytes, 0, bytes.length)).as(java.util.Arrays.toString(g)).isEqualTo(-1);
            assertThat(jdkAccepts(bytes)).isTrue();
        }
        byte[] tail = "abcdefghij\u00e9".getBytes(StandardCharsets.UTF_8);
        assertThat(Utf8.firstInvalid(tail, 0, tail.length - 1)).as("a sequence cut by the end").isEqualTo(10);
    }

    private static byte[] bytes(int[] ints) {
        byte[] b = new byte[ints.length];
        for (int i = 0; i < ints.length; i++) {
            b[i] = (byte) ints[i];
        }
        return b;
    }

    private static boolean jdkAccepts(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
