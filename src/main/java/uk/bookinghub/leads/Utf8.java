package uk.bookinghub.leads;

import uk.bookinghub.http.HttpProblem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Rejects a body that is not valid UTF-8 (request-level 400, nothing stored), without copying or
 * decoding it: ASCII is skipped eight bytes at a time, and every multi-byte sequence is checked
 * against the well-formed sequences of Unicode (table 3-7: no overlong forms, no surrogates,
 * nothing above U+10FFFF), which is what the JDK's decoder accepts. About ten times faster than
 * decoding a 108 MB file, and it runs before the upload is answered.
 */
final class Utf8 {
    private Utf8() {
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;

    static void requireValid(byte[] data, int offset, int length) {
        int bad = firstInvalid(data, offset, offset + length);
        if (bad >= 0) {
            throw HttpProblem.badRequest("the body is not valid UTF-8 (bad byte sequence at byte offset " + (bad - offset)
                    + "); save the file as UTF-8 and upload it again");
        }
    }

    /** Index of the first byte of the first ill-formed sequence, or -1. */
    static int firstInvalid(byte[] a, int from, int end) {
        int i = from;
        while (i < end) {
            while (i + 8 <= end && ((long) LONGS.get(a, i) & HIGH_BITS) == 0) {
                i += 8;
            }
            if (i >= end) {
                return -1;
            }
            int b = a[i] & 0xFF;
            if (b < 0x80) {
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF; // allowed range of the second byte
            if (b >= 0xC2 && b <= 0xDF) {
                need = 1;
            } else if (b >= 0xE0 && b <= 0xEF) {
                need = 2;
                if (b == 0xE0) {
                    lo = 0xA0;
                } else if (b == 0xED) {
                    hi = 0x9F;
                }
            } else if (b >= 0xF0 && b <= 0xF4) {
                need = 3;
                if (b == 0xF0) {
                    lo = 0x90;
                } else if (b == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                return i;
            }
            if (i + need >= end) {
                return i; // cut off at the end
            }
            int second = a[i + 1] & 0xFF;
            if (second < lo || second > hi) {
                return i;
            }
            for (int k = 2; k <= need; k++) {
                int c = a[i + k] & 0xFF;
                if (c < 0x80 || c > 0xBF) {
                    return i;
                }
            }
            i += need + 1;
        }
        return -1;
    }
}
