package uk.bookinghub.security;

import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Client API keys: {@code bh_} and 32 random bytes, shown once at onboarding. Only the SHA-256
 * of the key is stored (the key has 256 bits of entropy, so a slow hash adds nothing), plus a
 * short prefix that tells keys apart in listings.
 */
public final class ApiKeys {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final ClientStore clients;

    public ApiKeys(ClientStore clients) {
        this.clients = clients;
    }

    public static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "bh_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static String prefix(String key) {
        return key.substring(0, Math.min(10, key.length()));
    }

    public static String hash(String key) {
        return Secrets.sha256Hex(key);
    }

    /** The client owning the {@code X-API-Key} header value, or 401. */
    public Client authenticate(String apiKey) {
        if (apiKey == null || apiKey.isBlank()) {
            throw HttpProblem.unauthorized("missing X-API-Key header");
        }
        return clients.byApiKeyHash(hash(apiKey.trim()))
                .orElseThrow(() -> HttpProblem.unauthorized("invalid API key"));
    }
}
