package uk.bookinghub.leads;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 CSV straight from the uploaded bytes: quoted fields with commas, quotes ({@code ""})
 * and newlines, CRLF or LF, an optional UTF-8 byte-order mark. Delimiters are ASCII, so fields
 * are cut at byte level and decoded one by one; the whole file is never copied into a String.
 * Blank lines are skipped. Call {@link Utf8#requireValid} first: this reader assumes valid UTF-8.
 */
final class CsvReader {

    /** One record and the physical line it starts on (1-based). {@code error} is set when the record is malformed. */
    record Record(int line, List<String> fields, String error) {
    }

    private final byte[] data;
    private final int end;
    private int pos;
    private int line = 1;

    CsvReader(byte[] data, int offset, int end) {
        this.data = data;
        this.end = end;
        this.pos = end - offset >= 3 && (data[offset] & 0xff) == 0xEF && (data[offset + 1] & 0xff) == 0xBB && (data[offset + 2] & 0xff) == 0xBF
                ? offset + 3 : offset;
    }

    /** The next record, or null at the end of the data. */
    Record next() {
        // skip blank lines
        while (pos < end && (data[pos] == '\n' || data[pos] == '\r')) {
            if (data[pos] == '\n') {
                line++;
            }
            pos++;
        }
        if (pos >= end) {
            return null;
        }
        int startLine = line;
        List<String> fields = new ArrayList<>(8);
        String error = null;
        while (true) {
            if (pos < end && data[pos] == '"') {
                pos++;
                int segStart = pos;
                boolean closed = false;
                StringBuilder sb = new StringBuilder();
                while (pos < end) {
                    byte b = data[pos];
                    if (b == '"') {
                        if (pos + 1 < end && data[pos + 1] == '"') {
                            sb.append(new String(data, segStart, pos + 1 - segStart, StandardCharsets.UTF_8));
                            pos += 2;
                            segStart = pos;
                            continue;
                        }
                        sb.append(new String(data, segStart, pos - segStart, StandardCharsets.UTF_8));
                        pos++;
                        closed = true;
                        break;
                    }
                    if (b == '\n') {
                        line++;
                    }
                    pos++;
                }
                if (!closed) {
                    sb.append(new String(data, segStart, pos - segStart, StandardCharsets.UTF_8));
                    error = "unterminated quoted field";
                }
                // anything between the closing quote and the delimiter is kept (lenient)
                int tail = pos;
                while (pos < end && data[pos] != ',' && data[pos] != '\n' && data[pos] != '\r') {
                    pos++;
                }
                if (pos > tail) {
                    sb.append(new String(data, tail, pos - tail, StandardCharsets.UTF_8));
                }
                fields.add(sb.toString());
            } else {
                int start = pos;
                while (pos < end && data[pos] != ',' && data[pos] != '\n' && data[pos] != '\r') {
                    pos++;
                }
                fields.add(new String(data, start, pos - start, StandardCharsets.UTF_8));
            }
            if (pos >= end) {
                break;
            }
            if (data[pos] == ',') {
                pos++;
                if (pos >= end) {
                    fields.add("");
                    break;
                }
                continue;
            }
            // end of record: CRLF, LF or a lone CR
            if (data[pos] == '\r') {
                pos++;
                if (pos < end && data[pos] == '\n') {
                    pos++;
                }
            } else {
                pos++;
            }
            line++;
            break;
        }
        return new Record(startLine, fields, error);
    }

    /** Rough count of data rows (newlines), to decide between answering now and running a job. */
    static int estimateRows(byte[] data, int offset, int end) {
        int n = 0;
        boolean quoted = false; // a newline inside quotes is part of a field, not a new record
        for (int i = offset; i < end; i++) {
            byte b = data[i];
            if (b == '"') {
                quoted = !quoted;
            } else if (b == '\n' && !quoted) {
                n++;
            }
        }
        if (end > offset && data[end - 1] != '\n') {
            n++; // last line without a newline
        }
        return Math.max(0, n - 1); // minus the header
    }
}
