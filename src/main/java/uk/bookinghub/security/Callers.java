package uk.bookinghub.security;

import uk.bookinghub.http.HttpProblem;

/** Resolves the caller of an endpoint that clients and admins both use. */
public final class Callers {
    private final AdminAuth admin;
    private final ApiKeys apiKeys;

    public Callers(AdminAuth admin, ApiKeys apiKeys) {
        this.admin = admin;
        this.apiKeys = apiKeys;
    }

    /** Admin when an {@code Authorization: Bearer} header is sent (and valid), else the client of {@code X-API-Key}. */
    public Caller identify(String authorization, String apiKey) {
        if (authorization != null && !authorization.isBlank()) {
            admin.check(authorization);
            return new Caller(null, true);
        }
        if (apiKey == null || apiKey.isBlank()) {
            throw HttpProblem.unauthorized("missing X-API-Key header (or Authorization: Bearer <admin token>)");
        }
        return new Caller(apiKeys.authenticate(apiKey), false);
    }
}
