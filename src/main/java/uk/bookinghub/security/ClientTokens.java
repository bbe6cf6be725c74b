package uk.bookinghub.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.http.HttpProblem;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Short-lived client tokens: {@code POST /api/auth/token} with {@code X-API-Key} gives a JWT, signed
 * HS256 with {@code HUB_JWT_SECRET}, that the client then sends as {@code Authorization: Bearer} on
 * every client endpoint. Claims: {@code iss}, {@code aud}, {@code sub} (the client key), {@code iat},
 * {@code exp}, {@code jti}, {@code tier} and {@code akp} (the prefix of the API key it was issued
 * from: a revoked key's tokens are refused at once, see {@link ApiKeys}).
 *
 * <p>A token is refused (401) with the reason named in the answer's {@code reason}: {@code malformed},
 * {@code alg_none}, {@code alg_not_accepted}, {@code bad_signature} (a header, payload or signature
 * changed, or another key signed it: with HMAC these cannot be told apart), {@code expired},
 * {@code not_yet_valid}, {@code wrong_issuer}, {@code wrong_audience}, {@code missing_claims},
 * {@code key_revoked}, {@code key_unknown}, {@code not_configured}. The claims are checked by
 * nimbus-jose-jwt's {@link DefaultJWTClaimsVerifier} (exact issuer and audience, required claims
 * including {@code exp}, {@value #CLOCK_SKEW_SECONDS} s clock skew) on the hub's clock.
 *
 * <p>Without {@code HUB_JWT_SECRET} no token is issued (503 saying so) or accepted; API keys keep
 * working. A secret shorter than 256 bits stops the hub at start-up.
 */
public final class ClientTokens {

    private static final Logger LOG = LoggerFactory.getLogger(ClientTokens.class);
    public static final int CLOCK_SKEW_SECONDS = 60;
    static final int MIN_SECRET_BYTES = 32;
    /** The claim naming the API key a token was issued from (its prefix). */
    static final String KEY_CLAIM = "akp";
    static final String TIER_CLAIM = "tier";
    private static final Set<String> REQUIRED = Set.of("iss", "aud", "sub", "iat", "exp", "jti", KEY_CLAIM, TIER_CLAIM);

    /** A secret that is set but too short for HS256: the hub does not start. */
    public static final class WeakSecretException extends IllegalStateException {
        WeakSecretException(String message) {
            super(message);
        }
    }

    private final MACSigner signer;
    private final MACVerifier verifier;
    private final DefaultJWTClaimsVerifier<SecurityContext> claims;
    private final String issuer;
    private final String audience;
    private final Duration ttl;
    private final Clock clock;
    private final ApiKeys keys;

    /**
     * {@code secret} empty: tokens are not configured. Set but under 32 bytes (UTF-8): refused with a
     * message that names HUB_JWT_SECRET (never the value).
     */
    public ClientTokens(String secret, String issuer, String audience, Duration ttl, Clock clock, ApiKeys keys) {
        this.issuer = issuer;
        this.audience = audience;
        this.ttl = ttl;
        this.clock = clock;
        this.keys = keys;
        if (secret == null || secret.isEmpty()) {
            signer = null;
            verifier = null;
            claims = null;
            LOG.warn("[AUTH] HUB_JWT_SECRET is not set: no client tokens are issued (POST /api/auth/token answers 503) or accepted; API keys work");
            return;
        }
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        if (key.length < MIN_SECRET_BYTES) {
            throw new WeakSecretException("HUB_JWT_SECRET (hub.auth.jwt-secret) is " + key.length + " bytes; HS256 tokens need a secret of at least "
                    + MIN_SECRET_BYTES + " bytes (256 bits): set a random one, e.g. the output of 'openssl rand -base64 48', or unset it to issue no tokens");
        }
        try {
            signer = new MACSigner(key);
            verifier = new MACVerifier(key);
        } catch (JOSEException e) {
            throw new WeakSecretException("HUB_JWT_SECRET (hub.auth.jwt-secret) cannot key HS256: " + e.getMessage());
        }
        claims = new DefaultJWTClaimsVerifier<>(Set.of(audience), new JWTClaimsSet.Builder().issuer(issuer).build(), REQUIRED, null) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        };
        claims.setMaxClockSkew(CLOCK_SKEW_SECONDS);
        LOG.info("[AUTH] client tokens: HS256, issuer {}, audience {}, valid {} s", issuer, audience, ttl.toSeconds());
    }

    public boolean configured() {
        return signer != null;
    }

    /** A bearer value in the form of a JWT: three parts separated by two dots. */
    public static boolean looksLikeJwt(String bearer) {
        int first = bearer == null ? -1 : bearer.indexOf('.');
        return first > 0 && bearer.indexOf('.', first + 1) > first && bearer.indexOf('.', bearer.indexOf('.', first + 1) + 1) < 0;
    }

    /**
     * {@code POST /api/auth/token}: a token for the caller's client and key. Only an API key is
     * exchanged for a token (a token would otherwise renew itself for as long as it is stolen): a
     * caller that sent a token gets a 403.
     */
    public Map<String, Object> issue(Credential caller) {
        if (caller == null) {
            throw HttpProblem.unauthorized("missing X-API-Key header");
        }
        if (caller.token()) {
            throw new HttpProblem(403, "a token cannot be exchanged for another: send X-API-Key to POST /api/auth/token");
        }
        if (!configured()) {
            throw new HttpProblem(503, "tokens are not issued by this hub: HUB_JWT_SECRET is not set (API keys work as X-API-Key)",
                    Map.of("reason", "not_configured"));
        }
        Instant now = clock.instant();
        String jti = UUID.randomUUID().toString();
        JWTClaimsSet set = new JWTClaimsSet.Builder().issuer(issuer).audience(audience).subject(caller.client().clientKey())
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(ttl))).jwtID(jti)
                .claim(TIER_CLAIM, keys.tier(caller.client())).claim(KEY_CLAIM, caller.keyPrefix()).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(), set);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("signing a client token: " + e.getMessage(), e);
        }
        LOG.info("[AUTH] token {} issued to client {} from key {}, valid until {}", jti, caller.client().clientKey(), caller.keyPrefix(),
                now.plus(ttl));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("token", jwt.serialize());
        out.put("tokenType", "Bearer");
        out.put("expiresIn", ttl.toSeconds());
        return out;
    }

    /** The client credential a bearer token stands for, or a 401 naming why it is refused. */
    public Credential authenticate(String token) {
        if (!configured()) {
            throw refused("not_configured", "this hub accepts no tokens: HUB_JWT_SECRET is not set; send X-API-Key");
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw refused("malformed", "not a JWT (three base64url parts separated by dots)");
        }
        String alg;
        try {
            alg = JSONObjectUtils.getString(JSONObjectUtils.parse(new Base64URL(parts[0]).decodeToString()), "alg");
        } catch (ParseException | RuntimeException e) {
            throw refused("malformed", "the token's header is not base64url-encoded JSON");
        }
        if (alg == null || alg.isBlank()) {
            throw refused("malformed", "the token's header names no algorithm (alg)");
        }
        if (alg.equalsIgnoreCase("none")) {
            throw refused("alg_none", "unsigned tokens (alg: none) are refused");
        }
        if (!alg.equals(JWSAlgorithm.HS256.getName())) {
            throw refused("alg_not_accepted", "algorithm " + (alg.length() > 20 ? alg.substring(0, 20) + "…" : alg) + " is not accepted: tokens are HS256");
        }
        if (parts[2].isEmpty()) {
            throw refused("bad_signature", "the token has no signature");
        }
        SignedJWT jwt;
        JWTClaimsSet set;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            throw refused("malformed", "the token cannot be read as a signed JWT");
        }
        boolean signed;
        try {
            signed = jwt.verify(verifier);
        } catch (JOSEException | RuntimeException e) {
            signed = false;
        }
        if (!signed) {
            throw refused("bad_signature", "the signature does not match: the token was altered, or signed with another key");
        }
        String keyPrefix;
        try {
            set = jwt.getJWTClaimsSet();
            keyPrefix = set.getStringClaim(KEY_CLAIM);
        } catch (ParseException e) {
            throw refused("malformed", "the token's claims are not a JSON object of the expected types");
        }
        try {
            claims.verify(set, null);
        } catch (BadJWTException e) {
            throw claimsRefused(set, e);
        }
        return keys.authenticateToken(set.getSubject(), keyPrefix, set.getJWTID());
    }

    /** Why the claims verifier refused {@code set}, in the order it checks (audience, required claims, issuer, expiry, not-before). */
    private HttpProblem claimsRefused(JWTClaimsSet set, BadJWTException e) {
        List<String> aud = set.getAudience();
        if (aud == null || !aud.contains(audience)) {
            return refused("wrong_audience", "the token is for audience " + (aud == null || aud.isEmpty() ? "(none)" : aud) + ", not " + audience);
        }
        if (!set.getClaims().keySet().containsAll(REQUIRED)) {
            return refused("missing_claims", e.getMessage());
        }
        if (!issuer.equals(set.getIssuer())) {
            return refused("wrong_issuer", "the token was issued by " + set.getIssuer() + ", not " + issuer);
        }
        Instant now = clock.instant();
        Date exp = set.getExpirationTime();
        if (exp != null && !exp.toInstant().plusSeconds(CLOCK_SKEW_SECONDS).isAfter(now)) {
            return refused("expired", "the token expired at " + exp.toInstant() + ": get a new one from POST /api/auth/token with X-API-Key");
        }
        if (set.getNotBeforeTime() != null) {
            return refused("not_yet_valid", "the token is not valid before " + set.getNotBeforeTime().toInstant());
        }
        return refused("invalid_claims", e.getMessage());
    }

    static HttpProblem refused(String reason, String why) {
        LOG.info("[AUTH] token refused: {} ({})", reason, why);
        return new HttpProblem(401, "token refused (" + reason + "): " + why, Map.of("reason", reason));
    }
}
