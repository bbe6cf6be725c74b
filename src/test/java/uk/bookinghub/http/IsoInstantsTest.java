package uk.bookinghub.http;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hand-read UTC shape gives exactly what the JDK's parser gives, and leaves every other string to it. */
class IsoInstantsTest {

    @Test
    void theUsualShapesAreReadByHandAndAgreeWithTheJdk() {
        for (String s : List.of("2024-05-14T13:03:44.912Z", "2024-05-14T13:03:44Z", "2024-02-29T23:59:59.999999999Z",
                "1999-12-31T00:00:00.1Z", "2026-12-07T23:08:19.123456Z", "0001-01-01T00:00:00Z")) {
            assertThat(IsoInstants.utc(s)).as(s).isNotNull().isEqualTo(OffsetDateTime.parse(s).toInstant());
            assertThat(IsoInstants.parse(s)).as(s).isEqualTo(OffsetDateTime.parse(s).toInstant());
        }
    }

    @Test
    void otherShapesGoToTheJdkWithItsAnswerOrItsError() {
        for (String s : List.of("2024-05-14T14:03:44.912+01:00", "2024-05-14T13:03Z", "2024-05-14T13:03:44.Z")) {
            assertThat(IsoInstants.utc(s)).as(s).isNull();
        }
        assertThat(IsoInstants.parse("2024-05-14T14:03:44.912+01:00")).isEqualTo(Instant.parse("2024-05-14T13:03:44.912Z"));
        assertThat(IsoInstants.parse("2024-05-14T13:03Z")).isEqualTo(Instant.parse("2024-05-14T13:03:00Z"));
        assertThat(IsoInstants.parse("2024-05-14T13:03:44.Z")).isEqualTo(Instant.parse("2024-05-14T13:03:44Z")); // the JDK's reading
        for (String s : List.of("2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-04-31T00:00:00Z", "2024-01-01T24:00:00Z",
                "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00.1234567890Z", "2024-01-0aT00:00:00Z",
                "2024-05-14 13:03:44Z", "１２３４-05-14T13:03:44Z")) {
            assertThat(IsoInstants.utc(s)).as(s).isNull();
            assertThatThrownBy(() -> OffsetDateTime.parse(s)).as(s).isInstanceOf(RuntimeException.class);
            assertThatThrownBy(() -> IsoInstants.parse(s)).as(s).isInstanceOf(RuntimeException.class);
        }
    }

    @Test
    void aHundredThousandRandomStringsOfTheShapeAgreeWithTheJdk() {
        Random r = new Random(19);
        List<String> tried = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            String fraction = switch (r.nextInt(4)) {
                case 0 -> "";
                case 1 -> "." + r.nextInt(10);
                case 2 -> String.format(".%03d", r.nextInt(1000));
                default -> String.format(".%09d", r.nextInt(1_000_000_000));
            };
            String s = String.format("%04d-%02d-%02dT%02d:%02d:%02d%sZ", r.nextInt(3000), r.nextInt(14), r.nextInt(33), r.nextInt(26),
                    r.nextInt(62), r.nextInt(62), fraction);
            Instant jdk;
            try {
                jdk = OffsetDateTime.parse(s).toInstant();
            } catch (RuntimeException e) {
                jdk = null;
            }
            Instant ours;
            try {
                ours = IsoInstants.parse(s);
            } catch (RuntimeException e) {
                ours = null;
            }
            assertThat(ours).as(s).isEqualTo(jdk);
            tried.add(s);
        }
        assertThat(tried).hasSize(100_000);
    }
}
