package uk.bookinghub.phones;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberType;
import com.google.i18n.phonenumbers.PhoneNumberUtil.ValidationResult;
import com.google.i18n.phonenumbers.Phonenumber;

import java.util.List;

/**
 * Normalises and classifies phone numbers with libphonenumber: E.164, type, SMS capability,
 * and whether the hub may ever dial it.
 *
 * <p>Ofcom's drama ranges (07700 900xxx, 01632 960xxx, 0113 496 0xxx, ...) are never allocated,
 * so libphonenumber rejects them: in production they are invalid with the reason
 * {@code reserved for drama}. With {@code allowTestNumbers} (HUB_ALLOW_TEST_NUMBERS, on in tests)
 * they are valid with their class, so demos and tests never touch a real subscriber.
 */
public final class PhoneClassifier {

    private static final PhoneNumberUtil SHARED = PhoneNumberUtil.getInstance();

    /** E.164 prefixes of the drama ranges (each followed by the remaining digits) and their class. */
    private record Drama(String prefix, int totalDigits, String type) {
    }

    private static final List<Drama> DRAMA = List.of(
            new Drama("+447700900", 13, "mobile"),
            new Drama("+441134960", 13, "fixed_line"), new Drama("+441144960", 13, "fixed_line"),
            new Drama("+441154960", 13, "fixed_line"), new Drama("+441164960", 13, "fixed_line"),
            new Drama("+441174960", 13, "fixed_line"), new Drama("+441184960", 13, "fixed_line"),
            new Drama("+441214960", 13, "fixed_line"), new Drama("+441314960", 13, "fixed_line"),
            new Drama("+441414960", 13, "fixed_line"), new Drama("+441514960", 13, "fixed_line"),
            new Drama("+441614960", 13, "fixed_line"), new Drama("+442079460", 13, "fixed_line"),
            new Drama("+441914980", 13, "fixed_line"), new Drama("+442896496", 13, "fixed_line"),
            new Drama("+442920180", 13, "fixed_line"), new Drama("+441632960", 13, "fixed_line"),
            new Drama("+448081570", 13, "freephone"), new Drama("+449098790", 13, "premium_rate"),
            new Drama("+443069990", 13, "uan"));

    private final boolean allowTestNumbers;
    private final PhoneNumberUtil util;

    public PhoneClassifier(boolean allowTestNumbers) {
        this(allowTestNumbers, SHARED);
    }

    private PhoneClassifier(boolean allowTestNumbers, PhoneNumberUtil util) {
        this(allowTestNumbers, util, false);
    }

    private PhoneClassifier(boolean allowTestNumbers, PhoneNumberUtil util, boolean oneThread) {
        this.allowTestNumbers = allowTestNumbers;
        this.util = util;
        var gb = gbMetadata(util);
        this.gbTypes = gb == null ? null : new GbTypes(gb, oneThread);
    }

    /** GB's type patterns, checked in one pass with reusable matchers; null if libphonenumber's metadata could not be read. */
    private final GbTypes gbTypes;

    /** Whether the one-pass GB check is in use (a libphonenumber upgrade could take its private metadata accessor away). */
    boolean onePassGb() {
        return gbTypes != null;
    }

    static com.google.i18n.phonenumbers.Phonemetadata.PhoneMetadata gbMetadata(PhoneNumberUtil util) {
        try {
            java.lang.reflect.Method m = PhoneNumberUtil.class.getDeclaredMethod("getMetadataForRegion", String.class);
            m.setAccessible(true);
            return (com.google.i18n.phonenumbers.Phonemetadata.PhoneMetadata) m.invoke(util, "GB");
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * A classifier with a libphonenumber instance of its own, for one bulk-validation thread (only
     * that thread may use it: its type matchers are not shared). The shared instance funnels every
     * regex look-up through one synchronised cache, which halves the rate of two threads (measured: 93k/s shared vs 214k/s own, bench/leads/PhoneRate.java).
     */
    public PhoneClassifier withOwnLibphonenumber() {
        return new PhoneClassifier(allowTestNumbers, PhoneNumberUtil.createInstance(
                com.google.i18n.phonenumbers.metadata.DefaultMetadataDependenciesProvider.getInstance().getMetadataLoader()), true);
    }

    public PhoneCheck check(String raw, String defaultRegion) {
        if (raw == null || raw.isBlank()) {
            return PhoneCheck.invalid("missing");
        }
        String region = defaultRegion == null || defaultRegion.isBlank() ? "GB" : defaultRegion;
        Phonenumber.PhoneNumber fast = "GB".equals(region) ? ukDigits(raw) : null;
        if (fast != null) {
            PhoneCheck c = gbTypes != null ? classifyGb(fast) : classify(fast, region);
            if (c != null && c.valid()) {
                return c; // anything else goes through the full parse below, which says why
            }
        }
        Phonenumber.PhoneNumber n;
        try {
            n = util.parse(raw.trim(), region);
        } catch (NumberParseException e) {
            return PhoneCheck.invalid(switch (e.getErrorType()) {
                case TOO_SHORT_NSN, TOO_SHORT_AFTER_IDD -> "too short";
                case TOO_LONG -> "too long";
                case INVALID_COUNTRY_CODE -> "invalid country code";
                default -> "not a phone number";
            });
        }
        return classify(n, region);
    }

    /**
     * The common UK spellings ({@code 07700 900123}, {@code +44 (0)7700 900123}, {@code 0044 ...},
     * {@code 447700900123}, {@code (07700) 900-123}) read without libphonenumber's general parser,
     * which costs about as much as validation itself. Anything else returns null and takes the
     * full parse; the result is the same number the full parse gives (checked on a million rows,
     * see PhoneClassifierTest).
     */
    static Phonenumber.PhoneNumber ukDigits(String raw) {
        int len = raw.length();
        if (len > 32) {
            return null;
        }
        char[] d = new char[len];
        int n = 0;
        boolean plus = false;
        for (int i = 0; i < len; i++) {
            char ch = raw.charAt(i);
            if (ch >= '0' && ch <= '9') {
                d[n++] = ch;
            } else if (ch == '+' && n == 0 && !plus) {
                plus = true;
            } else if (ch != ' ' && ch != '(' && ch != ')' && ch != '-' && ch != '.') {
                return null;
            }
        }
        int start;
        if (plus) {
            if (n < 2 || d[0] != '4' || d[1] != '4') {
                return null;
            }
            start = 2;
        } else if (n > 4 && d[0] == '0' && d[1] == '0' && d[2] == '4' && d[3] == '4') {
            start = 4;
        } else if (n == 12 && d[0] == '4' && d[1] == '4') {
            start = 2;
        } else if (n > 1 && d[0] == '0' && d[1] != '0') {
            start = 1;
        } else {
            return null;
        }
        if (start > 1 && start < n && d[start] == '0') {
            start++; // +44 (0)7700 ...: the trunk zero written after the country code
        }
        int digits = n - start;
        if (digits < 7 || digits > 10 || d[start] == '0') {
            return null;
        }
        long national = 0;
        for (int i = start; i < n; i++) {
            national = national * 10 + (d[i] - '0');
        }
        return new Phonenumber.PhoneNumber().setCountryCode(44).setNationalNumber(national);
    }

    /**
     * One pass of libphonenumber's type patterns for a +44 number, against GB's metadata: what
     * {@code getRegionCodeForNumber} (GB is the first region of +44 and has no leading-digits
     * rule) followed by {@code getNumberType} computes in three passes. A number GB's patterns do
     * not know (Jersey, Guernsey, Isle of Man, invalid) returns null and takes the full path.
     */
    private PhoneCheck classifyGb(Phonenumber.PhoneNumber n) {
        String e164 = "+44" + n.getNationalNumber();
        Drama drama = drama(e164);
        if (drama != null) {
            return allowTestNumbers ? of(e164, drama.type(), "GB") : PhoneCheck.invalid("reserved for drama");
        }
        PhoneNumberType type = gbTypes.type(n.getNationalNumber());
        return type == PhoneNumberType.UNKNOWN ? null : of(e164, typeName(type), "GB");
    }

    private PhoneCheck classify(Phonenumber.PhoneNumber n, String region) {
        String e164 = util.format(n, PhoneNumberUtil.PhoneNumberFormat.E164);
        Drama drama = drama(e164);
        if (drama != null) {
            if (!allowTestNumbers) {
                return PhoneCheck.invalid("reserved for drama");
            }
            return of(e164, drama.type(), "GB");
        }
        // isValidNumber + getNumberType + getRegionCodeForNumber would run libphonenumber's type
        // patterns five times; this asks for the region once and the type once (same verdicts).
        String numberRegion = util.getRegionCodeForNumber(n);
        PhoneNumberType type = numberRegion == null ? PhoneNumberType.UNKNOWN : util.getNumberType(n);
        if (type == PhoneNumberType.UNKNOWN) {
            ValidationResult possible = util.isPossibleNumberWithReason(n);
            return PhoneCheck.invalid(switch (possible) {
                case TOO_SHORT -> "too short";
                case TOO_LONG -> "too long";
                case INVALID_COUNTRY_CODE -> "invalid country code";
                case INVALID_LENGTH -> "invalid length";
                default -> "invalid for region " + (numberRegion == null ? util.getRegionCodeForCountryCode(n.getCountryCode()) : numberRegion);
            });
        }
        return of(e164, typeName(type), numberRegion);
    }

    private static PhoneCheck of(String e164, String type, String region) {
        boolean sms = type.equals("mobile") || type.equals("fixed_line_or_mobile") && !"GB".equals(region);
        boolean dialable = !type.equals("premium_rate") && !type.equals("personal");
        return new PhoneCheck(e164, type, region, null, sms, dialable);
    }

    private static Drama drama(String e164) {
        if (e164.length() != 13 || !e164.startsWith("+44")) {
            return null;
        }
        for (Drama d : DRAMA) {
            if (e164.startsWith(d.prefix())) {
                return d;
            }
        }
        return null;
    }

    static String typeName(PhoneNumberType t) {
        return switch (t) {
            case MOBILE -> "mobile";
            case FIXED_LINE -> "fixed_line";
            case FIXED_LINE_OR_MOBILE -> "fixed_line_or_mobile";
            case TOLL_FREE -> "freephone";
            case PREMIUM_RATE -> "premium_rate";
            case SHARED_COST -> "shared_cost";
            case VOIP -> "voip";
            case PERSONAL_NUMBER -> "personal";
            case PAGER -> "pager";
            case UAN -> "uan";
            case VOICEMAIL -> "voicemail";
            default -> "unknown";
        };
    }
}
