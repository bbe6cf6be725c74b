package uk.bookinghub.phones;

import com.google.i18n.phonenumbers.Phonemetadata.PhoneMetadata;
import com.google.i18n.phonenumbers.Phonemetadata.PhoneNumberDesc;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberType;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * libphonenumber's type check for one region's metadata ({@code getNumberTypeHelper}, private
 * there), done the same way with the same patterns, but with each pattern's {@link Matcher} kept
 * per thread and reset for the next number: libphonenumber creates a new Matcher for every
 * pattern it tries (ten for a mobile number), which was 1.8 GB of garbage per million leads.
 * The order of the checks, the possible-length test and the whole-number match are libphonenumber's
 * own; PhoneClassifierTest compares the answers on a few hundred thousand numbers.
 */
final class GbTypes {

    private record Desc(int[] lengths, Pattern pattern, PhoneNumberType type) {
    }

    /** In libphonenumber's order: general first (a number it does not match is UNKNOWN), then these. */
    private final Desc general;
    private final Desc[] special;
    private final Desc fixedLine;
    private final Desc mobile;
    private final boolean sameMobileAndFixedLine;
    private final ThreadLocal<Matcher[]> matchers;
    private final ThreadLocal<StringBuilder> digits;
    /** For an instance one thread owns (a bulk validator's): its matchers and buffer, no ThreadLocal look-ups. */
    private final Matcher[] ownMatchers;
    private final StringBuilder ownDigits;

    /** @param oneThread the instance is used by one thread only (else each thread gets its own matchers) */
    GbTypes(PhoneMetadata m, boolean oneThread) {
        general = desc(m.getGeneralDesc(), PhoneNumberType.UNKNOWN);
        special = new Desc[] {desc(m.getPremiumRate(), PhoneNumberType.PREMIUM_RATE), desc(m.getTollFree(), PhoneNumberType.TOLL_FREE),
                desc(m.getSharedCost(), PhoneNumberType.SHARED_COST), desc(m.getVoip(), PhoneNumberType.VOIP),
                desc(m.getPersonalNumber(), PhoneNumberType.PERSONAL_NUMBER), desc(m.getPager(), PhoneNumberType.PAGER),
                desc(m.getUan(), PhoneNumberType.UAN), desc(m.getVoicemail(), PhoneNumberType.VOICEMAIL)};
        fixedLine = desc(m.getFixedLine(), PhoneNumberType.FIXED_LINE);
        mobile = desc(m.getMobile(), PhoneNumberType.MOBILE);
        sameMobileAndFixedLine = m.getSameMobileAndFixedLinePattern();
        int slots = special.length + 3;
        ownMatchers = oneThread ? new Matcher[slots] : null;
        ownDigits = oneThread ? new StringBuilder(16) : null;
        matchers = oneThread ? null : ThreadLocal.withInitial(() -> new Matcher[slots]);
        digits = oneThread ? null : ThreadLocal.withInitial(() -> new StringBuilder(16));
    }

    private static Desc desc(PhoneNumberDesc d, PhoneNumberType type) {
        int[] lengths = d.getPossibleLengthList().stream().mapToInt(Integer::intValue).toArray();
        String regex = d.getNationalNumberPattern();
        return new Desc(lengths, regex.isEmpty() ? null : Pattern.compile(regex), type);
    }

    /** The type of a national significant number, UNKNOWN when the region's patterns do not know it. */
    PhoneNumberType type(long nationalNumber) {
        StringBuilder sb = ownDigits != null ? ownDigits : digits.get();
        sb.setLength(0);
        return type(sb.append(nationalNumber));
    }

    /** The type of a national significant number (digits only), UNKNOWN when the region's patterns do not know it. */
    PhoneNumberType type(CharSequence nationalNumber) {
        Matcher[] mine = ownMatchers != null ? ownMatchers : matchers.get();
        if (!matches(nationalNumber, general, mine, 0)) {
            return PhoneNumberType.UNKNOWN;
        }
        for (int i = 0; i < special.length; i++) {
            if (matches(nationalNumber, special[i], mine, i + 1)) {
                return special[i].type();
            }
        }
        if (matches(nationalNumber, fixedLine, mine, special.length + 1)) {
            return sameMobileAndFixedLine || matches(nationalNumber, mobile, mine, special.length + 2)
                    ? PhoneNumberType.FIXED_LINE_OR_MOBILE : PhoneNumberType.FIXED_LINE;
        }
        return !sameMobileAndFixedLine && matches(nationalNumber, mobile, mine, special.length + 2) ? PhoneNumberType.MOBILE : PhoneNumberType.UNKNOWN;
    }

    /** libphonenumber's isNumberMatchingDesc: a listed possible length, then the pattern over the whole number. */
    private static boolean matches(CharSequence number, Desc d, Matcher[] mine, int slot) {
        if (d.lengths().length > 0) {
            int len = number.length();
            boolean possible = false;
            for (int l : d.lengths()) {
                if (l == len) {
                    possible = true;
                    break;
                }
            }
            if (!possible) {
                return false;
            }
        }
        if (d.pattern() == null) {
            return false;
        }
        Matcher m = mine[slot];
        if (m == null) {
            m = mine[slot] = d.pattern().matcher(number);
        } else {
            m.reset(number);
        }
        return m.matches(); // libphonenumber: lookingAt() and then matches(): the same answer
    }
}
