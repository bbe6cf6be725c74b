package uk.bookinghub.clients;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.api.Params;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.JsonBodies;
import uk.bookinghub.http.Reply;
import uk.bookinghub.limits.RateLimits;
import uk.bookinghub.messaging.OutboxStore;
import uk.bookinghub.security.ApiKeys;
import uk.bookinghub.security.Secrets;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Self-service signup. {@code POST /api/signup} (public) checks the business as admin onboarding does
 * ({@link Onboarding#check}), creates the client in {@code pending_verification} without an API key,
 * and queues, in the same transaction, one email ({@code signup_verification}, keyed by the client so it
 * is sent once) with a one-time link {@code GET /signup/verify?token=…}. Only the token's SHA-256 is
 * stored. Following the link ({@link #verify}) spends the token, moves the client to {@code trial},
 * makes its first API key and answers 303 to {@code /onboarding#key=<key>}: the fragment never reaches
 * a server. A second signup with the email or business name of an existing client is a 409 that says
 * no more than that.
 */
public final class Signup {

    private static final Logger LOG = LoggerFactory.getLogger(Signup.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** What a signup may say about the business; anything else (a tier, a sender number, ...) is an admin's to set. */
    static final Set<String> FIELDS = Set.of("businessName", "email", "phone", "industry", "services", "timezone");
    /** The outbox kind of the verification email. */
    public static final String KIND = "signup_verification";
    static final String DUPLICATE = "a business with these details is already registered; check your email (including its verification link) "
            + "or contact support";

    /** {@code hub.signup.*} and where the link points. */
    public record Settings(Duration validFor, long perEmailPerDay, String publicBaseUrl, boolean mailConfigured, String productName) {
    }

    private final Onboarding onboarding;
    private final ClientStore clients;
    private final OutboxStore outbox;
    private final RateLimits limits;
    private final Clock clock;
    private final Settings settings;
    private final long maxBodyBytes;

    public Signup(Onboarding onboarding, ClientStore clients, OutboxStore outbox, RateLimits limits, Clock clock, Settings settings, long maxBodyBytes) {
        this.onboarding = onboarding;
        this.clients = clients;
        this.outbox = outbox;
        this.limits = limits;
        this.clock = clock;
        this.settings = settings;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** {@code POST /api/signup}: 202 with the client pending verification; its audit row ({@code signup}) and email commit with it. */
    public Reply signup(byte[] body, String contentType, uk.bookinghub.audit.Audit audit) {
        JsonNode in = JsonBodies.object(body, contentType, maxBodyBytes);
        Map<String, Object> unknown = new LinkedHashMap<>();
        for (Iterator<String> names = in.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                unknown.put(name, "not accepted at signup; a signup gives: businessName, email, phone, industry, services, timezone");
            }
        }
        if (!unknown.isEmpty()) {
            throw HttpProblem.badRequest("invalid signup", Map.of("fields", unknown));
        }
        Onboarding.Checked checked = onboarding.check(in);
        limits.signup(checked.email(), settings.perEmailPerDay());
        String token = newToken();
        Instant now = clock.instant();
        Instant expires = now.plus(settings.validFor());
        String link = settings.publicBaseUrl().replaceAll("/+$", "") + "/signup/verify?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        Optional<Client> created = clients.insertSignup(checked.toNew(checked.slug(), now, ClientState.PENDING_VERIFICATION), Secrets.sha256Hex(token),
                expires, (conn, client) -> {
                    outbox.enqueue(conn, verificationEmail(client, link, expires));
                    if (audit != null) {
                        audit.client(client.id(), client.clientKey()).target("client:" + client.clientKey()).detail("state", client.state().key())
                                .write(conn, 202);
                    }
                });
        if (created.isEmpty()) {
            LOG.info("[SIGNUP] refused a duplicate signup (an existing client has its email or business name)");
            throw new HttpProblem(409, DUPLICATE);
        }
        Client c = created.get();
        LOG.info("[SIGNUP] client {} signed up: pending verification until {} (email queued)", c.clientKey(), expires);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("clientKey", c.clientKey());
        out.put("businessName", c.businessName());
        out.put("email", c.email());
        out.put("state", c.state().key());
        out.put("verificationExpiresAt", expires.toString());
        out.put("note", "we sent a verification link to " + c.email() + "; follow it within " + settings.validFor().toHours()
                + " hours to get your API key and continue to the setup wizard");
        return new Reply(202, out);
    }

    private OutboxStore.NewMessage verificationEmail(Client client, String link, Instant expires) {
        String subject = "Confirm your email to start with " + settings.productName();
        String text = "Hello,\n\n" + client.businessName() + " was signed up to " + settings.productName() + " with this email address.\n"
                + "Confirm it by opening this link (valid for " + settings.validFor().toHours() + " hours, once):\n\n" + link + "\n\n"
                + "If you did not sign up, ignore this email: nothing happens without the link.\n";
        String html = "<p>Hello,</p><p>" + escape(client.businessName()) + " was signed up to " + escape(settings.productName())
                + " with this email address.</p><p><a href=\"" + escape(link) + "\">Confirm your email</a> (valid for " + settings.validFor().toHours()
                + " hours, once).</p><p>If you did not sign up, ignore this email: nothing happens without the link.</p>";
        String status = settings.mailConfigured() ? "queued" : "not_configured";
        String reason = settings.mailConfigured() ? null : "email not configured: set SMTP_HOST (or EMAIL_SERVICE=gmail) and EMAIL_USER / EMAIL_PASS";
        return new OutboxStore.NewMessage(client.id(), null, null, "email", KIND, false, KIND + ":" + client.id(), client.email(), null, subject, text,
                html, status, reason, null);
    }

    /**
     * {@code GET /signup/verify?token=}: spends the token and answers where to go (the 303's Location):
     * {@code /onboarding#key=<the new API key>}. Unknown token 404; used or expired 410.
     */
    public String verify(Params params, uk.bookinghub.audit.Audit audit) {
        String token = params.text("token");
        String apiKey = ApiKeys.newKey();
        // the spent link is taken out of the sent email's outbox row too: nothing that reads messages keeps a working token
        ClientStore.Verification v = clients.verify(Secrets.sha256Hex(token), clock.instant(), ApiKeys.prefix(apiKey), ApiKeys.hash(apiKey), audit,
                (conn, client) -> outbox.redact(conn, KIND + ":" + client.id(), token, "[used verification link]"));
        switch (v.outcome()) {
            case UNKNOWN -> throw new HttpProblem(404, "unknown verification link: check that the whole link was opened, or sign up again");
            case USED -> throw new HttpProblem(410, "this verification link was already used: sign in with the API key it gave you, or contact support",
                    Map.of("reason", "used"));
            case EXPIRED -> throw new HttpProblem(410, "this verification link has expired (links are valid for " + settings.validFor().toHours()
                    + " hours): contact support to have a new one sent", Map.of("reason", "expired"));
            default -> {
            }
        }
        LOG.info("[SIGNUP] client {} verified its email: now {}, first API key {}", v.client().clientKey(), v.client().state().key(), ApiKeys.prefix(apiKey));
        return "/onboarding#key=" + apiKey;
    }

    static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
