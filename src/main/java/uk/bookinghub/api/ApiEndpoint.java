package uk.bookinghub.api;

import uk.bookinghub.http.HttpProblem;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One HTTP operation as the route files declare it (a REST DSL verb): method, path template, the
 * auth rules it accepts, the content types it consumes and the parameters it takes. The front
 * door turns a request into typed {@link Params} through it, or refuses it with a 4xx that names
 * what was wrong.
 */
public record ApiEndpoint(String routeId, String method, String path, List<String> auth, List<String> consumes,
                          Map<String, Param> params, boolean tolerantBody, boolean partner) {

    /** A declared parameter: where it is (query, path), its type and format, allowed values. */
    public record Param(String name, String in, String dataType, String dataFormat, boolean required, List<String> allowed) {
    }

    /** Free-text parameters are capped at this length; longer is a 400. */
    static final int MAX_TEXT = 200;
    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final Pattern DATE_TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})?");
    private static final Pattern PHONE = Pattern.compile("[+0-9 ()./-]{1,32}");
    /** Parameter names that are credentials: never accepted from a URL, where proxies and logs keep them. */
    static final Set<String> CREDENTIALS = Set.of("x-api-key", "authorization", "x-vapi-secret", "x-twilio-signature", "apikey", "api_key", "token");

    public boolean hasBody() {
        return method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
    }

    /**
     * A POST that takes text/csv is an upload: its route reads the body as a stream (useStreaming), not Vert.x's body
     * handler; and it is an import, which the front door counts against the client's daily imports (RateLimits).
     */
    public boolean streamed() {
        return method.equals("POST") && consumes.contains("text/csv");
    }

    /** A 400 when the raw query string names a credential ({@code ?X-API-Key=}, {@code ?Authorization=}, ...). */
    public static void refuseCredentials(String rawQuery) {
        refuseCredentials(rawQuery, Map.of());
    }

    /**
     * The same, except a query parameter this endpoint declares by that name: a one-time link's
     * {@code ?token=} ({@code GET /signup/verify}), which must travel in the URL of an email and is
     * worthless once followed.
     */
    public static void refuseCredentials(String rawQuery, Map<String, Param> declared) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name;
            try {
                name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                continue; // reported with the other parameters
            }
            if (CREDENTIALS.contains(name.trim().toLowerCase(Locale.ROOT)) && !declaredInQuery(declared, name)) {
                throw HttpProblem.badRequest("credentials are not accepted in the URL ('" + name + "'); send them as a header");
            }
        }
    }

    private static boolean declaredInQuery(Map<String, Param> declared, String name) {
        Param p = declared.get(name);
        return p != null && p.in().equals("query");
    }

    /** The query string (raw, as sent) checked against the declared query parameters. */
    public Map<String, String> query(String rawQuery) {
        Map<String, String> values = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return values;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), "query parameter name");
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), "query parameter '" + name + "'");
            if (CREDENTIALS.contains(name.toLowerCase(Locale.ROOT)) && !declaredInQuery(params, name)) {
                throw HttpProblem.badRequest("credentials are not accepted in the URL ('" + name + "'); send them as a header");
            }
            Param p = params.get(name);
            if (partner && (p == null || values.containsKey(name))) {
                continue; // a partner's webhook URL may carry its own query (Twilio signs it as it is)
            }
            if (p == null || !p.in().equals("query")) {
                throw HttpProblem.badRequest("unknown query parameter '" + name + "'" + queryNames());
            }
            if (values.containsKey(name)) {
                throw HttpProblem.badRequest("query parameter '" + name + "' is given more than once");
            }
            values.put(name, value);
        }
        return values;
    }

    private String queryNames() {
        List<String> names = new ArrayList<>();
        params.values().forEach(p -> {
            if (p.in().equals("query")) {
                names.add(p.name());
            }
        });
        return names.isEmpty() ? "; this endpoint takes none" : "; this endpoint takes: " + String.join(", ", names);
    }

    /**
     * A 400 for a path with a {@code .} or {@code ..} segment, also percent-encoded ({@code %2e%2e}): the
     * router resolves it before matching, so {@code /api/error-stats/groups/%2e%2e} would be answered
     * by {@code /api/error-stats} as if that had been asked.
     */
    public static void refuseDotSegments(String rawPath) {
        for (String segment : rawPath.split("/")) {
            String s = segment.replace("%2e", ".").replace("%2E", ".");
            if (s.equals(".") || s.equals("..")) {
                throw HttpProblem.badRequest("a path segment '" + s + "' is refused: name the resource itself");
            }
        }
    }

    /** The path parameters of {@code rawPath} (as sent, percent-encoded), by the template's names. */
    public Map<String, String> pathValues(String rawPath) {
        Map<String, String> values = new LinkedHashMap<>();
        if (!path.contains("{")) {
            return values;
        }
        String[] template = path.split("/");
        String[] actual = rawPath.split("/", -1);
        for (int i = 0; i < template.length && i < actual.length; i++) {
            String t = template[i];
            if (t.startsWith("{") && t.endsWith("}")) {
                String name = t.substring(1, t.length() - 1);
                values.put(name, decode(actual[i], "path parameter '" + name + "'"));
            }
        }
        return values;
    }

    /** Checks each given value against its declaration; a required parameter that is missing is a 400. */
    public Params typed(Map<String, String> query, Map<String, String> pathValues) {
        Map<String, Object> typed = new LinkedHashMap<>();
        Map<String, String> text = new LinkedHashMap<>();
        for (Param p : params.values()) {
            String raw = p.in().equals("path") ? pathValues.get(p.name()) : query.get(p.name());
            if (raw == null || (raw.isBlank() && !p.in().equals("path"))) {
                if (p.required()) {
                    throw HttpProblem.badRequest(p.name() + " is required");
                }
                continue;
            }
            Object v = check(p, raw);
            typed.put(p.name(), v);
            text.put(p.name(), String.valueOf(v));
        }
        return new Params(typed, text);
    }

    static Object check(Param p, String raw) {
        String where = p.in().equals("path") ? p.name() + " (in the path)" : p.name();
        String v = raw.trim();
        if (v.isEmpty()) {
            throw HttpProblem.badRequest(where + " is empty");
        }
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw HttpProblem.badRequest(where + " contains a control character (U+" + String.format("%04X", (int) c) + ")");
            }
        }
        if (p.allowed() != null && !p.allowed().isEmpty()) {
            String lower = v.toLowerCase(Locale.ROOT);
            if (!p.allowed().contains(lower)) {
                throw HttpProblem.badRequest(where + " must be one of " + String.join(", ", p.allowed()) + ", got '" + shorten(v) + "'");
            }
            return lower;
        }
        switch (p.dataType() == null ? "string" : p.dataType()) {
            case "integer" -> {
                if (!v.matches("[0-9]{1,19}")) {
                    throw HttpProblem.badRequest(where + " must be a whole number of 0 or more, got '" + shorten(v) + "'");
                }
                long max = "int64".equals(p.dataFormat()) ? Long.MAX_VALUE : Integer.MAX_VALUE;
                try {
                    long n = Long.parseLong(v);
                    if (n > max) {
                        throw HttpProblem.badRequest(where + " is too large (at most " + max + ")");
                    }
                    return n;
                } catch (NumberFormatException e) {
                    throw HttpProblem.badRequest(where + " is too large (at most " + max + ")");
                }
            }
            case "boolean" -> {
                String lower = v.toLowerCase(Locale.ROOT);
                if (!lower.equals("true") && !lower.equals("false")) {
                    throw HttpProblem.badRequest(where + " must be true or false, got '" + shorten(v) + "'");
                }
                return Boolean.parseBoolean(lower);
            }
            default -> {
                if (v.length() > MAX_TEXT) {
                    throw HttpProblem.badRequest(where + " is longer than " + MAX_TEXT + " characters");
                }
                String format = p.dataFormat() == null ? "" : p.dataFormat();
                switch (format) {
                    case "date-time" -> {
                        if (!DATE.matcher(v).matches() && !DATE_TIME.matcher(v).matches()) {
                            throw HttpProblem.badRequest(where + " must be an ISO-8601 date (2026-12-01) or date-time (2026-12-01T09:30 or with an offset), got '"
                                    + shorten(v) + "'");
                        }
                    }
                    case "phone" -> {
                        long digits = v.chars().filter(Character::isDigit).count();
                        if (!PHONE.matcher(v).matches() || digits < 5 || digits > 15) {
                            throw HttpProblem.badRequest(where + " must be a phone number (5 to 15 digits, with an optional +), got '" + shorten(v) + "'");
                        }
                    }
                    default -> {
                    }
                }
                return v;
            }
        }
    }

    static String shorten(String v) {
        return v.length() > 40 ? v.substring(0, 40) + "…" : v;
    }

    static String decode(String s, String what) {
        try {
            // a "+" is kept as it is (phone numbers are sent as ?phone=+44...), not read as a space
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw HttpProblem.badRequest(what + " is not valid percent-encoding: '" + shorten(s) + "'");
        }
    }
}
