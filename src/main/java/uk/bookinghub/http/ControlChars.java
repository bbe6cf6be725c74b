package uk.bookinghub.http;

/**
 * A fast look at a JSON body, before anything walks its tree: does any string carry a C0 control
 * character, written as an escape (U+0000 to U+001F, as a backslash-u escape) or raw? Almost no request
 * does, so the tree is walked (to strip them or to name the field) only when this says so.
 */
public final class ControlChars {
    private ControlChars() {
    }

    /**
     * True when the body has a backslash-u escape below U+0020 ({@code allowWhitespace}: other
     * than tab, newline and CR) or a raw control byte other than JSON's whitespace.
     */
    public static boolean present(byte[] b, int offset, int length, boolean allowWhitespace) {
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            byte c = b[i];
            if (c == '\\' && i + 1 < end) {
                if (b[i + 1] == 'u' && i + 5 < end && b[i + 2] == '0' && b[i + 3] == '0' && (b[i + 4] == '0' || b[i + 4] == '1')) {
                    int low = Character.digit(b[i + 5], 16);
                    int code = (b[i + 4] - '0') * 16 + low;
                    if (low >= 0 && !(allowWhitespace && (code == 0x09 || code == 0x0a || code == 0x0d))) {
                        return true;
                    }
                }
                i++; // the escaped character is never the start of another escape (an escaped backslash before "u0000" is text)
            } else if (c >= 0 && c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                return true;
            }
        }
        return false;
    }

    public static boolean present(byte[] b, boolean allowWhitespace) {
        return b != null && present(b, 0, b.length, allowWhitespace);
    }
}
