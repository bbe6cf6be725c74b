package uk.bookinghub.security;

import uk.bookinghub.clients.Client;

/**
 * The client credential a request was admitted with, as the front door leaves it in the exchange
 * property {@code credential}: the client, the prefix of its API key (sent as {@code X-API-Key}, or
 * the key a token was issued from) and, for a token, the token's id ({@code jti}; null for a key).
 * Never the key or the token itself.
 */
public record Credential(Client client, String keyPrefix, String tokenId) {

    /** Whether the request sent a token rather than the API key itself. */
    public boolean token() {
        return tokenId != null;
    }

    /** Who acted, for logs: {@code key bh_xxxxxxx} or {@code token <jti> (key bh_xxxxxxx)}. */
    public String actor() {
        return token() ? "token " + tokenId + " (key " + keyPrefix + ")" : "key " + keyPrefix;
    }
}
