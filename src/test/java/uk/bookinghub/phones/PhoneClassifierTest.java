package uk.bookinghub.phones;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every UK format becomes one E.164 number; each class is named, with SMS and dialling rules.
 * Only Ofcom drama ranges and libphonenumber's own example numbers are used.
 */
class PhoneClassifierTest {

    private final PhoneClassifier test = new PhoneClassifier(true);
    private final PhoneClassifier prod = new PhoneClassifier(false);
    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

    @Test
    void everyUkFormatBecomesTheSameE164() {
        for (String raw : new String[] {"07700 900123", "+44 7700 900123", "0044 7700 900123", "447700900123", "(07700) 900-123", "+44 (0)7700 900123"}) {
            PhoneCheck c = test.check(raw, "GB");
            assertThat(c.e164()).as(raw).isEqualTo("+447700900123");
            assertThat(c.type()).as(raw).isEqualTo("mobile");
            assertThat(c.smsCapable()).isTrue();
            assertThat(c.dialable()).isTrue();
        }
    }

    @Test
    void dramaRangesHaveTheirClassInTestModeAndAreReservedOtherwise() {
        assertThat(test.check("01632 960001", "GB").type()).isEqualTo("fixed_line");
        assertThat(test.check("01632 960001", "GB").smsCapable()).isFalse();
        assertThat(test.check("0113 496 0001", "GB").type()).isEqualTo("fixed_line");
        assertThat(test.check("020 7946 0001", "GB").e164()).isEqualTo("+442079460001");
        assertThat(test.check("08081 570001", "GB").type()).isEqualTo("freephone");
        PhoneCheck premium = test.check("0909 879 0001", "GB");
        assertThat(premium.type()).isEqualTo("premium_rate");
        assertThat(premium.dialable()).isFalse();
        assertThat(test.check("03069 990001", "GB").type()).isEqualTo("uan");
        for (String raw : new String[] {"07700 900123", "01632 960001", "0909 879 0001"}) {
            PhoneCheck off = prod.check(raw, "GB");
            assertThat(off.valid()).isFalse();
            assertThat(off.reason()).isEqualTo("reserved for drama");
        }
    }

    @Test
    void classesWithoutDramaRangesUseLibphonenumbersExampleNumbers() {
        assertType(PhoneNumberType.PERSONAL_NUMBER, "personal", false);
        // GB has no shared-cost example number in libphonenumber's metadata any more: the mapping itself
        assertThat(PhoneClassifier.typeName(PhoneNumberType.SHARED_COST)).isEqualTo("shared_cost");
        assertType(PhoneNumberType.VOIP, "voip", true);
        assertType(PhoneNumberType.UAN, "uan", true);
        assertType(PhoneNumberType.PREMIUM_RATE, "premium_rate", false);
        assertType(PhoneNumberType.TOLL_FREE, "freephone", true);
    }

    private void assertType(PhoneNumberType t, String name, boolean dialable) {
        String raw = "0" + UTIL.getExampleNumberForType("GB", t).getNationalNumber();
        PhoneCheck c = prod.check(raw, "GB");
        assertThat(c.type()).as(raw).isEqualTo(name);
        assertThat(c.dialable()).as(raw).isEqualTo(dialable);
        assertThat(c.smsCapable()).as(raw).isFalse();
    }

    @Test
    void internationalNumbersAreAcceptedAndNormalised() {
        var us = UTIL.getExampleNumberForType("US", PhoneNumberType.FIXED_LINE_OR_MOBILE);
        PhoneCheck c = prod.check("+1 " + us.getNationalNumber(), "GB");
        assertThat(c.e164()).isEqualTo("+1" + us.getNationalNumber());
        assertThat(c.region()).isEqualTo("US");
        var fr = UTIL.getExampleNumberForType("FR", PhoneNumberType.MOBILE);
        PhoneCheck m = prod.check("0" + fr.getNationalNumber(), "FR"); // a client whose country is France
        assertThat(m.e164()).isEqualTo("+33" + fr.getNationalNumber());
        assertThat(m.type()).isEqualTo("mobile");
        assertThat(m.smsCapable()).isTrue();
    }

    @Test
    void theUkFastPathReadsTheSameNumberAsLibphonenumbersParser() throws Exception {
        String[] samples = {"07700 900123", "+44 7700 900123", "0044 7700 900123", "447700900123", "(07700) 900-123",
                "+44 (0)7700 900123", "0113 496 0001", "+44 113 496 0001", "020 7946 0001", "0909 879 0001", "08081 570001",
                "01632.960.001", "+44(0)1632-960001"};
        for (String raw : samples) {
            var fast = PhoneClassifier.ukDigits(raw);
            var full = UTIL.parse(raw, "GB");
            assertThat(fast).as(raw).isNotNull();
            assertThat(fast.getCountryCode()).as(raw).isEqualTo(full.getCountryCode());
            assertThat(fast.getNationalNumber()).as(raw).isEqualTo(full.getNationalNumber());
        }
        for (String other : new String[] {"+1 202 555 0100", "00 33 1 23 45 67 89", "7700 900123", "0800 FLOWERS", "12", "", "0044", "+44"}) {
            assertThat(PhoneClassifier.ukDigits(other)).as(other).isNull(); // left to the full parser
        }
        assertThat(test.onePassGb()).as("libphonenumber still has getNumberTypeHelper").isTrue();
        assertThat(test.withOwnLibphonenumber().onePassGb()).isTrue();
        // and the classifier's answer is the same either way ("tel:" is not a fast-path spelling)
        assertThat(PhoneClassifier.ukDigits("tel:+44-7700-900123")).isNull();
        assertThat(test.check("+44 (0)7700 900123", "GB")).isEqualTo(test.check("tel:+44-7700-900123", "GB"));
        assertThat(prod.check("0909 879 0001", "GB")).isEqualTo(prod.check("tel:+44-909-879-0001", "GB"));
        for (PhoneNumberType t : new PhoneNumberType[] {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE,
                PhoneNumberType.PREMIUM_RATE, PhoneNumberType.VOIP, PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.UAN, PhoneNumberType.PAGER}) {
            long nn = UTIL.getExampleNumberForType("GB", t).getNationalNumber();
            assertThat(prod.check("0" + nn, "GB")).as(t.name()).isEqualTo(prod.check("tel:+44" + nn, "GB"));
        }
        for (String crown : new String[] {"JE", "GG", "IM"}) { // +44 numbers of the Crown dependencies: the same answer as libphonenumber's
            long nn = UTIL.getExampleNumberForType(crown, PhoneNumberType.MOBILE).getNationalNumber();
            PhoneCheck c = prod.check("0" + nn, "GB");
            assertThat(c).as(crown).isEqualTo(prod.check("tel:+44" + nn, "GB"));
            assertThat(c.region()).isEqualTo(UTIL.getRegionCodeForNumber(UTIL.parse("+44" + nn, "GB")));
        }
    }

    /**
     * The one-pass GB type check (GbTypes: libphonenumber's patterns with reusable matchers) gives
     * libphonenumber's public answer (region GB and getNumberType, else UNKNOWN) for every 4-digit
     * prefix at every national length and for 200,000 more pseudo-random national numbers. The
     * numbers exist only in memory for this comparison: nothing is stored, dialled or sent.
     */
    @Test
    void theOnePassTypeCheckAgreesWithLibphonenumber() {
        GbTypes gb = new GbTypes(PhoneClassifier.gbMetadata(UTIL), false);
        java.util.Map<PhoneNumberType, Integer> seen = new java.util.EnumMap<>(PhoneNumberType.class);
        java.util.SplittableRandom random = new java.util.SplittableRandom(20261125);
        int checked = 0;
        for (int length = 7; length <= 10; length++) {
            for (int prefix = 1000; prefix <= 9999; prefix++) {
                checked += agree(gb, withTail(prefix, length, random), seen);
            }
        }
        for (int i = 0; i < 200_000; i++) {
            int length = 7 + random.nextInt(4);
            checked += agree(gb, withTail(1 + random.nextInt(9), length, random), seen);
        }
        assertThat(checked).isEqualTo(4 * 9000 + 200_000);
        assertThat(seen.keySet()).contains(PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE,
                PhoneNumberType.PREMIUM_RATE, PhoneNumberType.VOIP, PhoneNumberType.PERSONAL_NUMBER, // GB has no shared-cost range
                PhoneNumberType.PAGER, PhoneNumberType.UAN, PhoneNumberType.UNKNOWN);
    }

    private static long withTail(long head, int length, java.util.SplittableRandom random) {
        long n = head;
        while (Long.toString(n).length() < length) {
            n = n * 10 + random.nextInt(10);
        }
        return n;
    }

    private static int agree(GbTypes gb, long national, java.util.Map<PhoneNumberType, Integer> seen) {
        var number = new com.google.i18n.phonenumbers.Phonenumber.PhoneNumber().setCountryCode(44).setNationalNumber(national);
        PhoneNumberType expected = "GB".equals(UTIL.getRegionCodeForNumber(number)) ? UTIL.getNumberType(number) : PhoneNumberType.UNKNOWN;
        PhoneNumberType got = gb.type(national);
        assertThat(got).as("+44 %d", national).isEqualTo(expected);
        seen.merge(got, 1, Integer::sum);
        return 1;
    }

    /** Phones.toE164 (call reports, inbound SMS): its UK fast path answers what libphonenumber's parser does. */
    @Test
    void toE164AgreesWithLibphonenumbersParser() throws Exception {
        String[] samples = {"+447700900123", "07700 900123", "+44 (0)7700 900123", "0044 7700 900123", "447700900123", "(07700) 900-123",
                "0113 496 0001", "+441134960001", "020 7946 0001", "0909 879 0001", "08081 570001", "0770090", "07700 9001234567",
                "+4477009", "01632.960.001", "+1 202 555 0100", "tel:+44-7700-900123", "anonymous", "+44 7700 900123 ext 2"};
        for (String raw : samples) {
            java.util.Optional<String> expected;
            try {
                var n = UTIL.parse(raw.trim(), "GB");
                expected = UTIL.isPossibleNumber(n) ? java.util.Optional.of(UTIL.format(n, PhoneNumberUtil.PhoneNumberFormat.E164)) : java.util.Optional.empty();
            } catch (com.google.i18n.phonenumbers.NumberParseException e) {
                expected = java.util.Optional.empty();
            }
            assertThat(Phones.toE164(raw, "GB")).as(raw).isEqualTo(expected);
        }
    }

    @Test
    void invalidNumbersSayWhy() {
        assertThat(test.check("123", "GB").reason()).isEqualTo("too short");
        assertThat(test.check("07700 900123 4567 89", "GB").reason()).isEqualTo("too long");
        assertThat(test.check("hello", "GB").reason()).isEqualTo("not a phone number");
        assertThat(test.check("", "GB").reason()).isEqualTo("missing");
        assertThat(test.check("01632 96000", "GB").reason()).startsWith("invalid");
    }
}
