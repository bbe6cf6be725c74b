package uk.bookinghub.leads;

import uk.bookinghub.http.HttpProblem;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Rejects a body that is not valid UTF-8 (request-level 400, nothing stored), without copying it. */
final class Utf8 {
    private Utf8() {
    }

    static void requireValid(byte[] data, int offset, int length) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(data, offset, length);
        CharBuffer out = CharBuffer.allocate(65536);
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            if (r.isError()) {
                throw HttpProblem.badRequest("the body is not valid UTF-8 (bad byte sequence at byte offset " + (in.position() - offset)
                        + "); save the file as UTF-8 and upload it again");
            }
            if (r.isUnderflow()) {
                break;
            }
            out.clear();
        }
        try {
            out.clear();
            decoder.flush(out);
        } catch (RuntimeException e) {
            throw HttpProblem.badRequest("the body is not valid UTF-8");
        }
    }

}
