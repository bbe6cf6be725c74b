package uk.bookinghub.http;

import io.vertx.core.buffer.Buffer;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A request body as a slice of a byte array, taken from the HTTP server's own buffer without a
 * copy: a million-row lead file is ~100 MB, and a copy per layer would not fit the heap budget.
 * (Stream caching is off in application.properties, so a body is the Vert.x buffer; the lead upload
 * endpoint streams instead and is read once into an array of its size, see {@link #read}.)
 */
public record Upload(byte[] array, int offset, int length) {

    public static Upload of(Object body) {
        if (body == null) {
            return new Upload(new byte[0], 0, 0);
        }
        if (body instanceof Buffer b) {
            ByteBuf buf = b.getByteBuf();
            if (buf.hasArray()) {
                return new Upload(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes());
            }
            return whole(b.getBytes());
        }
        if (body instanceof byte[] bytes) {
            return whole(bytes);
        }
        if (body instanceof String s) {
            return whole(s.getBytes(StandardCharsets.UTF_8));
        }
        if (body instanceof InputStream in) {
            org.slf4j.LoggerFactory.getLogger(Upload.class).warn("upload arrived as {} and is copied; is stream caching on (camel.main.stream-caching-enabled)?", body.getClass().getName());
            try {
                return whole(in.readAllBytes());
            } catch (IOException e) {
                throw HttpProblem.badRequest("could not read the request body: " + e.getMessage());
            }
        }
        throw new IllegalArgumentException("unsupported body type " + body.getClass().getName());
    }

    /**
     * A streamed request body read into one array of its Content-Length (no growing copies); a
     * declared length over {@code max} is refused before anything is read, and a body without a
     * length is refused as soon as it passes {@code max}.
     */
    public static Upload read(InputStream in, String contentLength, long max) {
        long declared = -1;
        if (contentLength != null && !contentLength.isBlank()) {
            try {
                declared = Long.parseLong(contentLength.trim());
            } catch (NumberFormatException e) {
                throw HttpProblem.badRequest("Content-Length '" + contentLength + "' is not a number");
            }
        }
        if (declared > max) {
            throw new HttpProblem(413, "the file is " + declared + " bytes; the limit is " + max);
        }
        try (in) {
            if (declared >= 0) {
                byte[] bytes = new byte[(int) declared];
                int n = in.readNBytes(bytes, 0, bytes.length);
                if (n < bytes.length) {
                    throw HttpProblem.badRequest("the upload ended after " + n + " of its " + declared + " bytes");
                }
                return whole(bytes);
            }
            byte[] bytes = new byte[1 << 16];
            int n = 0;
            while (true) {
                if (n == bytes.length) {
                    if (n > max) {
                        throw new HttpProblem(413, "the file is over the limit of " + max + " bytes");
                    }
                    bytes = java.util.Arrays.copyOf(bytes, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(2L * n, 1)));
                }
                int r = in.read(bytes, n, bytes.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
            if (n > max) {
                throw new HttpProblem(413, "the file is " + n + " bytes; the limit is " + max);
            }
            return new Upload(bytes, 0, n);
        } catch (IOException e) {
            throw HttpProblem.badRequest("could not read the request body: " + e.getMessage());
        }
    }

    public static Upload whole(byte[] bytes) {
        return new Upload(bytes, 0, bytes.length);
    }

    public int end() {
        return offset + length;
    }

    public boolean isEmpty() {
        return length == 0;
    }
}
