package uk.bookinghub.http;

import java.util.Map;

/**
 * A request the hub refuses, with the HTTP status and a message that says what was wrong.
 * Beans throw it; the shared {@code http-errors} route configuration turns it into a JSON reply.
 */
public class HttpProblem extends RuntimeException {

    private final int status;
    private final Map<String, Object> details;

    public HttpProblem(int status, String message) {
        this(status, message, Map.of());
    }

    public HttpProblem(int status, String message, Map<String, Object> details) {
        super(message, null, false, false); // an answer, not a bug: no stack trace
        this.status = status;
        this.details = details == null ? Map.of() : details;
    }

    public int status() {
        return status;
    }

    public Map<String, Object> details() {
        return details;
    }

    public static HttpProblem badRequest(String message) {
        return new HttpProblem(400, message);
    }

    public static HttpProblem badRequest(String message, Map<String, Object> details) {
        return new HttpProblem(400, message, details);
    }

    public static HttpProblem unauthorized(String message) {
        return new HttpProblem(401, message);
    }

    public static HttpProblem notFound(String message) {
        return new HttpProblem(404, message);
    }
}
