package uk.bookinghub.clients;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.JsonBodies;
import uk.bookinghub.http.Reply;
import uk.bookinghub.security.ApiKeys;

import java.text.Normalizer;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code POST /api/clients/onboard}: validates the business, gives it a unique client key (a slug
 * of the business name) and an API key shown once; its optional {@code tier} ({@code free} unless
 * given) sets its rate limits.
 */
public final class Onboarding {

    /** The hub's one phone check (drama ranges only with hub.leads.allow-test-numbers), the lead intake's own. */
    private volatile uk.bookinghub.phones.PhoneClassifier phones = uk.bookinghub.phones.HubPhones.STRICT;

    /** Uses the hub's phone check (the one {@code phoneClassifier}, bound by PhonesConfiguration, that the lead intake uses). */
    public void phones(uk.bookinghub.phones.PhoneClassifier phones) {
        this.phones = phones;
    }


    /** What runs once a client is onboarded (the assistant per client: uk.bookinghub.assistants); its answer is {@code assistant}. */
    private volatile java.util.function.Function<Client, Map<String, Object>> afterOnboarding;

    /** Set by AssistantsConfiguration: creates the new client's assistant, never failing the onboarding. */
    public void afterOnboarding(java.util.function.Function<Client, Map<String, Object>> step) {
        this.afterOnboarding = step;
    }

    private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");
    private final ClientStore clients;
    private final Clock clock;
    private final long maxBodyBytes;

    public Onboarding(ClientStore clients, Clock clock, long maxBodyBytes) {
        this.clients = clients;
        this.clock = clock;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** {@code POST /api/clients/onboard}; its audit row ({@code client_onboard}: the new client, its key's prefix) commits with the client. */
    public Reply onboard(byte[] body, String contentType, uk.bookinghub.audit.Audit audit) {
        Checked checked = check(JsonBodies.object(body, contentType, maxBodyBytes));
        String apiKey = ApiKeys.newKey();
        for (int n = 1; n < 1000; n++) {
            String key = n == 1 ? checked.slug() : checked.slug() + "-" + n;
            Optional<Client> created = clients.insert(checked.toNew(key, clock.instant(), ClientState.ACTIVE),
                    ApiKeys.prefix(apiKey), ApiKeys.hash(apiKey), audit);
            if (created.isPresent()) {
                Map<String, Object> out = new LinkedHashMap<>(ClientView.of(created.get()));
                out.put("recentContactSkipDays", checked.skipDays());
                out.put("recentContactWarnDays", checked.warnDays());
                out.put("apiKey", apiKey);
                out.put("apiKeyNote", "shown once: store it now; the hub keeps only its hash");
                if (afterOnboarding != null) {
                    out.put("assistant", afterOnboarding.apply(created.get()));
                }
                return Reply.created(out);
            }
        }
        throw new HttpProblem(409, "no free client key for '" + checked.slug() + "'");
    }

    /** A business as onboarding checked it (also a signup's, which gives fewer fields): what a new client row is made of. */
    public record Checked(String name, String slug, String email, String phone, String industry, List<String> services, String timezone,
                          String country, int skipDays, int warnDays, Client.Messaging messaging, Tier tier, String vapiAssistantId,
                          String vapiPhoneNumberId) {
        public ClientStore.NewClient toNew(String clientKey, java.time.Instant at, ClientState state) {
            return new ClientStore.NewClient(clientKey, name, email, phone, industry, services, timezone, vapiAssistantId, vapiPhoneNumberId,
                    at, country, skipDays, warnDays, messaging, tier, state);
        }
    }

    /**
     * Checks a business's fields (businessName, email, phone, industry, services, timezone, country, the
     * recent-contact days, the messaging fields, tier, the Vapi ids): a 400 naming every wrong field, or
     * what to store (the email lowercased, the phone in E.164).
     */
    /** {@code businessName}: required, at most 200 characters (onboarding, signup and the wizard's business step). */
    public static String businessName(JsonNode in, Map<String, Object> problems) {
        String name = JsonBodies.text(in, "businessName");
        if (name == null) {
            problems.put("businessName", "required");
        } else if (name.length() > 200) {
            problems.put("businessName", "at most 200 characters");
        }
        return name;
    }

    /** A region time zone (Europe/London), its canonical id; an offset or an unknown name is one of the {@code problems}. */
    public static String timezone(String zone, Map<String, Object> problems) {
        try {
            String id = ZoneId.of(zone).getId();
            if (java.time.zone.ZoneRulesProvider.getAvailableZoneIds().contains(id)) {
                return id;
            }
        } catch (RuntimeException e) {
            // named below
        }
        problems.put("timezone", "not an IANA time zone (such as Europe/London): " + zone);
        return zone;
    }

    public Checked check(JsonNode in) {
        Map<String, Object> problems = new LinkedHashMap<>();
        String name = businessName(in, problems);
        String email = JsonBodies.text(in, "email");
        if (email == null) {
            problems.put("email", "required");
        } else if (!EMAIL.matcher(email).matches()) {
            problems.put("email", "not an email address: " + email);
        }
        List<String> services = new ArrayList<>();
        JsonNode s = in.get("services");
        if (s != null && !s.isNull()) {
            if (s.isArray()) {
                s.forEach(x -> {
                    if (x.isTextual() && !x.asText().isBlank()) {
                        services.add(x.asText().trim());
                    }
                });
                if (services.size() != s.size()) {
                    problems.put("services", "must be an array of non-empty strings");
                }
            } else if (s.isTextual()) {
                for (String part : s.asText().split(",")) {
                    if (!part.isBlank()) {
                        services.add(part.trim());
                    }
                }
            } else {
                problems.put("services", "must be an array of strings");
            }
        }
        String timezone = timezone(Optional.ofNullable(JsonBodies.text(in, "timezone")).orElse("Europe/London"), problems);
        String country = Optional.ofNullable(JsonBodies.text(in, "country")).orElse("GB").toUpperCase(Locale.ROOT);
        if (!com.google.i18n.phonenumbers.PhoneNumberUtil.getInstance().getSupportedRegions().contains(country)) {
            problems.put("country", "not an ISO 3166 region code libphonenumber knows: " + country);
        }
        String region = problems.containsKey("country") ? "GB" : country;
        String rawPhone = JsonBodies.text(in, "phone");
        String phone = null;
        if (rawPhone == null) {
            problems.put("phone", "required");
        } else {
            uk.bookinghub.phones.PhoneCheck check = phones.check(rawPhone, region);
            if (check.valid()) {
                phone = check.e164();
            } else {
                problems.put("phone", uk.bookinghub.phones.HubPhones.refusal(rawPhone, check));
            }
        }
        int skipDays = days(in, "recentContactSkipDays", 7, problems);
        int warnDays = days(in, "recentContactWarnDays", 30, problems);
        if (warnDays < skipDays) {
            problems.put("recentContactWarnDays", "must be at least recentContactSkipDays (" + skipDays + ")");
        }
        Client.Messaging messaging = messaging(in, problems, region);
        Tier tier = tier(in, problems);
        if (!problems.isEmpty()) {
            throw HttpProblem.badRequest("invalid client", Map.of("fields", problems));
        }
        String base = slug(name);
        if (base.isEmpty()) {
            throw HttpProblem.badRequest("invalid client", Map.of("fields", Map.of("businessName", "must contain letters or digits")));
        }
        return new Checked(name, base, email.toLowerCase(Locale.ROOT), phone, JsonBodies.text(in, "industry"), services, timezone, country,
                skipDays, warnDays, messaging, tier, JsonBodies.text(in, "vapiAssistantId"), JsonBodies.text(in, "vapiPhoneNumberId"));
    }

    private static final Pattern MESSAGING_SERVICE_SID = Pattern.compile("^MG[0-9a-fA-F]{32}$");

    /** bookingLink (http/https URL), smsFromNumber (the client's Twilio number), messagingServiceSid (MG + 32 hex). */
    private Client.Messaging messaging(JsonNode in, Map<String, Object> problems, String region) {
        String link = JsonBodies.text(in, "bookingLink");
        if (link != null) {
            try {
                java.net.URI uri = new java.net.URI(link);
                if (uri.getHost() == null || !("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))) {
                    problems.put("bookingLink", "an http(s) URL with a host, got: " + link);
                }
            } catch (java.net.URISyntaxException e) {
                problems.put("bookingLink", "not a URL: " + link);
            }
        }
        String rawFrom = JsonBodies.text(in, "smsFromNumber");
        String from = null;
        if (rawFrom != null) {
            uk.bookinghub.phones.PhoneCheck check = phones.check(rawFrom, region);
            if (check.valid()) {
                from = check.e164();
            } else {
                problems.put("smsFromNumber", uk.bookinghub.phones.HubPhones.refusal(rawFrom, check));
            }
        }
        String service = JsonBodies.text(in, "messagingServiceSid");
        if (service != null && !MESSAGING_SERVICE_SID.matcher(service).matches()) {
            problems.put("messagingServiceSid", "a Twilio Messaging Service SID: MG followed by 32 hex digits");
        }
        return new Client.Messaging(link, from, service);
    }

    /** The optional {@code tier} ({@code free} when absent or null); anything but one of the tiers' names is a problem of the field. */
    static Tier tier(JsonNode in, Map<String, Object> problems) {
        JsonNode v = in.get("tier");
        if (v == null || v.isNull()) {
            return Tier.FREE;
        }
        Optional<Tier> t = v.isTextual() ? Tier.parse(v.asText().trim()) : Optional.empty();
        if (t.isEmpty()) {
            problems.put("tier", "must be " + Tier.names() + ", got " + v);
            return Tier.FREE;
        }
        return t.get();
    }

    private static int days(JsonNode in, String field, int fallback, Map<String, Object> problems) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0 || v.asInt() > 3650) {
            problems.put(field, "a whole number of days between 0 and 3650");
            return fallback;
        }
        return v.asInt();
    }

    /** "Smith & Sons Plumbing Ltd." becomes "smith-sons-plumbing-ltd". */
    public static String slug(String name) {
        String ascii = Normalizer.normalize(name, Normalizer.Form.NFKD).replaceAll("\\p{M}", "");
        String s = ascii.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        return s.length() > 60 ? s.substring(0, 60).replaceAll("-+$", "") : s;
    }
}
