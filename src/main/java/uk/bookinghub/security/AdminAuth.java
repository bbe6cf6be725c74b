package uk.bookinghub.security;

import uk.bookinghub.http.HttpProblem;

/**
 * The admin API: {@code Authorization: Bearer $HUB_ADMIN_TOKEN}. With no token configured the
 * admin API is closed to everyone.
 */
public final class AdminAuth {
    private final String token;

    public AdminAuth(String token) {
        this.token = token == null || token.isBlank() ? null : token.trim();
    }

    public void check(String authorization) {
        if (token == null) {
            throw new HttpProblem(403, "the admin API is closed: HUB_ADMIN_TOKEN is not set on this hub");
        }
        if (authorization == null || authorization.isBlank()) {
            throw HttpProblem.unauthorized("missing Authorization: Bearer <admin token>");
        }
        if (!isAdminToken(authorization)) {
            throw HttpProblem.unauthorized("invalid admin token");
        }
    }

    /** Whether {@code authorization} is {@code Bearer <the admin token>} (constant time; false when the admin API is closed). */
    public boolean isAdminToken(String authorization) {
        return token != null && Secrets.matches(bearer(authorization), token);
    }

    /** The value of {@code Authorization: Bearer <value>}, or null for another scheme or none. */
    public static String bearer(String authorization) {
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7).trim() : null;
    }

    public boolean configured() {
        return token != null;
    }
}
