package uk.bookinghub.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.api.Params;
import uk.bookinghub.clients.Client;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Reply;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Client API keys: {@code bh_} and 32 random bytes, shown once (at onboarding, or when the client
 * creates one). Only the SHA-256 of the key is stored (the key has 256 bits of entropy, so a slow
 * hash adds nothing), plus a short prefix that names the key in listings and in the tokens issued
 * from it. A client may hold several keys ({@code GET/POST /api/clients/me/api-keys}) and revokes
 * them ({@code DELETE /api/clients/me/api-keys/{prefix}}); every request reads its key's row, so a
 * revoked key, and every token issued from it, is refused at once on every instance.
 *
 * <p>A request cannot revoke the key it is authenticated by (a token counts as its key): that is a
 * 409. So a client always keeps at least one working key; to replace a leaked key, create a new one
 * and revoke the old one with the new one.
 */
public final class ApiKeys {

    private static final Logger LOG = LoggerFactory.getLogger(ApiKeys.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** A key's last use is written at most this often (per key, across instances). */
    static final Duration LAST_USED_EVERY = Duration.ofMinutes(1);
    private static final int CREATE_TRIES = 3;

    private final ApiKeyStore keys;
    private final ClientStore clients;
    private final Clock clock;
    private final int maxActivePerClient;

    public ApiKeys(ApiKeyStore keys, ClientStore clients, Clock clock, int maxActivePerClient) {
        this.keys = keys;
        this.clients = clients;
        this.clock = clock;
        this.maxActivePerClient = maxActivePerClient;
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

    /** The client owning the {@code X-API-Key} header value, or 401 (missing, unknown, or revoked). */
    public Credential authenticate(String apiKey) {
        if (apiKey == null || apiKey.isBlank()) {
            throw HttpProblem.unauthorized("missing X-API-Key header");
        }
        ApiKeyStore.KeyRow k = keys.byHash(hash(apiKey.trim())).orElseThrow(() -> HttpProblem.unauthorized("invalid API key"));
        if (k.revoked()) {
            throw new HttpProblem(401, "this API key (" + k.prefix() + ") was revoked at " + k.revokedAt(), Map.of("reason", "key_revoked"));
        }
        return admitted(k, null);
    }

    /** The client of a verified token: its key ({@code sub} + {@code akp}) must still exist and not be revoked, or 401. */
    Credential authenticateToken(String clientKey, String keyPrefix, String tokenId) {
        ApiKeyStore.KeyRow k = keys.byClientKeyAndPrefix(clientKey, keyPrefix).orElseThrow(() -> ClientTokens.refused("key_unknown",
                "the API key this token was issued from no longer exists (or its client is inactive)"));
        if (k.revoked()) {
            throw ClientTokens.refused("key_revoked", "the API key this token was issued from (" + k.prefix() + ") was revoked at " + k.revokedAt());
        }
        return admitted(k, tokenId);
    }

    private Credential admitted(ApiKeyStore.KeyRow k, String tokenId) {
        Client client = clients.current(k.clientId(), k.tier(), k.state()).orElseThrow(() -> HttpProblem.unauthorized("invalid API key"));
        Instant now = clock.instant();
        if (k.lastUsedAt() == null || k.lastUsedAt().isBefore(now.minus(LAST_USED_EVERY))) {
            try {
                keys.touch(k.id(), now, now.minus(LAST_USED_EVERY));
            } catch (RuntimeException e) {
                // the last-use time is for the client's listing; the request itself is not refused for it
                LOG.warn("[AUTH] could not record the use of key {} of client {}: {}", k.prefix(), client.clientKey(), e.getMessage());
            }
        }
        return new Credential(client, k.prefix(), tokenId);
    }

    /** The client's tier, as its tokens carry it (read with its key on this request). */
    String tier(Client client) {
        return client.tier().key();
    }

    /** {@code GET /api/clients/me/api-keys}: every key of the caller's client, revoked ones too, the one in use marked. */
    public Map<String, Object> list(Credential caller) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ApiKeyStore.KeyRow k : keys.list(need(caller).client().id())) {
            out.add(view(k, caller));
        }
        return Map.of("apiKeys", out);
    }

    /** {@code POST /api/clients/me/api-keys}: a new key for the caller's client, shown once (201); 409 at the cap of active keys. */
    public Reply create(Credential caller, uk.bookinghub.audit.Audit audit) {
        Client client = need(caller).client();
        for (int attempt = 1; attempt <= CREATE_TRIES; attempt++) {
            String key = newKey();
            ApiKeyStore.Created c = keys.create(client.id(), prefix(key), hash(key), clock.instant(), maxActivePerClient, audit);
            if (c.tooMany()) {
                throw new HttpProblem(409, "this client already has " + maxActivePerClient + " active API keys (hub.auth.max-keys-per-client): revoke one first");
            }
            if (c.row() != null) {
                LOG.info("[AUTH] client {} created API key {} ({})", client.clientKey(), c.row().prefix(), caller.actor());
                Map<String, Object> body = view(c.row(), caller);
                body.put("apiKey", key);
                body.put("apiKeyNote", "shown once: store it now; the hub keeps only its hash");
                return Reply.created(body);
            }
            // a prefix this client already has (1 in 2^42): draw again
        }
        throw new IllegalStateException("no free API key prefix after " + CREATE_TRIES + " draws");
    }

    /**
     * {@code DELETE /api/clients/me/api-keys/{prefix}}: revokes one of the caller's keys at once (and
     * every token issued from it). Another client's prefix, or none, is a 404; the key this request
     * is authenticated by is a 409; an already revoked key answers as it is (a retry changes nothing).
     */
    public Map<String, Object> revoke(Credential caller, Params params, uk.bookinghub.audit.Audit audit) {
        Client client = need(caller).client();
        String prefix = params.text("prefix");
        if (prefix.equals(caller.keyPrefix())) {
            throw new HttpProblem(409, "this request is authenticated by key " + prefix + (caller.token() ? " (the token was issued from it)" : "")
                    + ": revoke it with another of your keys (create one with POST /api/clients/me/api-keys)", Map.of("prefix", prefix));
        }
        ApiKeyStore.KeyRow k = keys.revoke(client.id(), prefix, clock.instant(), audit)
                .orElseThrow(() -> HttpProblem.notFound("no API key with prefix '" + prefix + "' for this client"));
        LOG.info("[AUTH] client {} revoked API key {} ({}); its tokens are refused from now on", client.clientKey(), prefix, caller.actor());
        return view(k, caller);
    }

    private static Credential need(Credential caller) {
        if (caller == null) {
            throw HttpProblem.unauthorized("a client credential is required: X-API-Key or Authorization: Bearer <token>");
        }
        return caller;
    }

    private static Map<String, Object> view(ApiKeyStore.KeyRow k, Credential caller) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prefix", k.prefix());
        m.put("createdAt", text(k.createdAt()));
        m.put("lastUsedAt", text(k.lastUsedAt()));
        m.put("revokedAt", text(k.revokedAt()));
        m.put("active", !k.revoked());
        m.put("current", k.prefix().equals(caller.keyPrefix()));
        return m;
    }

    private static String text(Instant t) {
        return t == null ? null : t.toString();
    }
}
