package uk.bookinghub.messaging;

import java.util.Objects;

/**
 * How an SMS body will travel: its encoding, its length in that encoding and how many segments it takes.
 *
 * <p>Twilio (like every carrier) bills per segment, not per message, and one stray character outside the
 * GSM 03.38 alphabet (a curly apostrophe, an emoji, "ł") switches the whole message to UCS-2 and can double
 * or triple its cost. The result is stored with each message so that what a client is charged can be
 * explained, and shown to whoever writes a template before it goes out.
 *
 * <p>Rules (3GPP TS 23.038 / 23.040, as Twilio applies them without "smart encoding"):
 * <ul>
 *   <li>GSM-7 when every character is in the basic set (1 septet) or the extension table (2 septets: an
 *       escape then the character): form feed, {@code ^ { } \ [ ~ ] |} and {@code €}.</li>
 *   <li>Otherwise UCS-2, counted in UTF-16 code units (an emoji outside the BMP is two).</li>
 *   <li>A single message holds 160 septets or 70 UCS-2 units. A longer one is split into concatenated
 *       segments that each lose room to the concatenation header: 153 septets or 67 units. A segment
 *       never ends between an escape and its character, nor between the two halves of a surrogate pair,
 *       so a segment may be filled short by one.</li>
 * </ul>
 * Empty text measures as one segment of zero units: the measure does not judge whether it can be sent.
 */
public final class SmsText {

    public static final String GSM_7 = "GSM-7";
    public static final String UCS_2 = "UCS-2";

    static final int GSM_SINGLE = 160;
    static final int GSM_SEGMENT = 153;
    static final int UCS_SINGLE = 70;
    static final int UCS_SEGMENT = 67;

    /**
     * GSM 03.38 default alphabet in code order, 127 characters (0x1B, the escape, is not a character).
     * Written with escapes so the source does not depend on the editor's encoding.
     */
    static final String BASIC =
            "@\u00A3$\u00A5\u00E8\u00E9\u00F9\u00EC\u00F2\u00C7\n\u00D8\u00F8\r\u00C5\u00E5"          // @£$¥èéùìòÇ LF Øø CR Åå
            + "\u0394_\u03A6\u0393\u039B\u03A9\u03A0\u03A8\u03A3\u0398\u039E\u00C6\u00E6\u00DF\u00C9" // Δ_ΦΓΛΩΠΨΣΘΞ (ESC) ÆæßÉ
            + " !\"#\u00A4%&'()*+,-./0123456789:;<=>?"                                                  // ¤ in place of the ASCII currency sign
            + "\u00A1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00C4\u00D6\u00D1\u00DC\u00A7"                          // ¡ A-Z ÄÖÑÜ§
            + "\u00BFabcdefghijklmnopqrstuvwxyz\u00E4\u00F6\u00F1\u00FC\u00E0";                         // ¿ a-z äöñüà

    /** Extension table: each is sent as ESC + character, so it costs two septets. */
    static final String EXTENSION = "\f^{}\\[~]|\u20AC";

    /**
     * @param encoding {@value #GSM_7} or {@value #UCS_2}
     * @param units    septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2
     * @param segments segments Twilio will send and bill; 1 for empty text
     */
    public record Info(String encoding, int units, int segments) {
    }

    private SmsText() {
    }

    public static Info measure(String text) {
        Objects.requireNonNull(text, "text");
        if (isGsm7(text)) {
            return measureGsm(text);
        }
        return measureUcs(text);
    }

    private static boolean isGsm7(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (BASIC.indexOf(c) < 0 && EXTENSION.indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    private static Info measureGsm(String text) {
        int septets = 0;
        for (int i = 0; i < text.length(); i++) {
            septets += septets(text.charAt(i));
        }
        if (septets <= GSM_SINGLE) {
            return new Info(GSM_7, septets, 1);
        }
        // Greedy fill: a two-septet character that does not fit whole starts the next segment.
        int segments = 1;
        int used = 0;
        for (int i = 0; i < text.length(); i++) {
            int cost = septets(text.charAt(i));
            if (used + cost > GSM_SEGMENT) {
                segments++;
                used = 0;
            }
            used += cost;
        }
        return new Info(GSM_7, septets, segments);
    }

    private static Info measureUcs(String text) {
        int units = text.length();
        if (units <= UCS_SINGLE) {
            return new Info(UCS_2, units, 1);
        }
        // Greedy fill by code point: a surrogate pair that does not fit whole starts the next segment.
        // A lone surrogate (malformed text) is counted as the single unit it is.
        int segments = 1;
        int used = 0;
        for (int i = 0; i < text.length(); ) {
            int cost = Character.isHighSurrogate(text.charAt(i))
                    && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1)) ? 2 : 1;
            if (used + cost > UCS_SEGMENT) {
                segments++;
                used = 0;
            }
            used += cost;
            i += cost;
        }
        return new Info(UCS_2, units, segments);
    }

    private static int septets(char c) {
        return EXTENSION.indexOf(c) >= 0 ? 2 : 1;
    }
}
