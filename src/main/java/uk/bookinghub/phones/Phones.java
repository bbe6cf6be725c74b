package uk.bookinghub.phones;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;

import java.util.Optional;

/** Phone numbers as E.164, region GB unless the number carries its own country code. */
public final class Phones {
    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

    private Phones() {
    }

    /**
     * The number in E.164 if it parses and has a plausible length for its country. Ofcom's drama
     * ranges (07700 900xxx) count as possible, though libphonenumber does not call them valid.
     */
    public static Optional<String> toE164(String raw, String defaultRegion) {
        if (raw == null || raw.isBlank()) {
            return Optional.empty();
        }
        String region = defaultRegion == null ? "GB" : defaultRegion;
        Phonenumber.PhoneNumber fast = "GB".equals(region) ? PhoneClassifier.ukDigits(raw) : null;
        if (fast != null) {
            // the common UK spellings without libphonenumber's parser, whose shared regex cache is one
            // lock for every webhook thread; the same number (PhoneClassifierTest), the same length check
            return UTIL.isPossibleNumber(fast) ? Optional.of("+44" + fast.getNationalNumber()) : Optional.empty();
        }
        try {
            Phonenumber.PhoneNumber n = UTIL.parse(raw.trim(), region);
            if (!UTIL.isPossibleNumber(n)) {
                return Optional.empty();
            }
            return Optional.of(UTIL.format(n, PhoneNumberUtil.PhoneNumberFormat.E164));
        } catch (NumberParseException e) {
            return Optional.empty();
        }
    }
}
