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
        String given = authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7).trim() : null;
        if (!Secrets.matches(given, token)) {
            throw HttpProblem.unauthorized("invalid admin token");
        }
    }

    public boolean configured() {
        return token != null;
    }
}
