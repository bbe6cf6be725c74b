package uk.bookinghub.messaging;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Message templates for appointment confirmations, reminders and follow-ups, by SMS and email.
 *
 * <p>A template is plain text with placeholders written {@code {{name}}} (spaces inside the braces are
 * tolerated). The shipped defaults are in {@link #defaults()}; a client may replace any of them, and
 * {@link #problems} says what is wrong with a replacement before it is saved, so that sending never
 * discovers it. {@link #render} fills a template for one customer and refuses to send a blank where a
 * value is missing.
 *
 * <p>A follow-up is marketing (PECR): it only goes to customers who have not opted out, and it always
 * tells them how to opt out; {@link #render} adds the opt-out line when the template's own wording lacks it.
 */
public final class Templates {

    public static final String SMS = "sms";
    public static final String EMAIL = "email";

    public static final List<String> KINDS = List.of("confirmation", "reminder_24h", "reminder_1h", "follow_up");
    public static final List<String> CHANNELS = List.of(SMS, EMAIL);
    public static final List<String> PLACEHOLDERS = List.of(
            "businessName", "businessPhone", "bookingLink", "customerName", "appointmentDate", "appointmentTime", "service");

    /** Filled from the appointment, so meaningless in a follow-up, which is sent without one. */
    public static final Set<String> APPOINTMENT_PLACEHOLDERS = Set.of("appointmentDate", "appointmentTime", "service");

    /** Filled from the client's settings, which may be unset; with the words used to say so. */
    private static final Map<String, String> CLIENT_PLACEHOLDERS = Map.of(
            "businessName", "business name",
            "businessPhone", "business phone number",
            "bookingLink", "booking link");

    /** Twilio refuses a longer body (it would be more than ten segments anyway). */
    public static final int SMS_MAX_CHARS = 1600;

    static final String SMS_OPT_OUT = "\nReply STOP to opt out";

    /** The longest customer name or service name the hub takes (the API refuses longer ones with a 400). */
    public static final int MAX_NAME_CHARS = 100;

    /**
     * The longest a placeholder's value can be when a message is written: names and services as capped on
     * the way in, "Wednesday 30 September 2026", "12:30pm". The client's own values are known when a
     * template is saved and are measured as they are.
     */
    static final Map<String, Integer> LONGEST_VALUE = Map.of("customerName", MAX_NAME_CHARS, "service", MAX_NAME_CHARS,
            "appointmentDate", "Wednesday 30 September 2026".length(), "appointmentTime", "12:30pm".length(),
            "businessName", 200, "businessPhone", 20, "bookingLink", 2000);
    static final String EMAIL_OPT_OUT = "Reply STOP to opt out of these messages.";

    /** The word STOP on its own, any case: "nonstop" or "stopping" is not an opt-out instruction. */
    private static final Pattern STOP = Pattern.compile("\\bstop\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern BODY_CLOSE = Pattern.compile("</body\\s*>", Pattern.CASE_INSENSITIVE);

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEEE d MMMM", Locale.UK);
    private static final DateTimeFormatter DATE_WITH_YEAR = DateTimeFormatter.ofPattern("EEEE d MMMM uuuu", Locale.UK);

    /**
     * One template. An SMS template has a {@code body} only; an email template has {@code subject},
     * {@code html} and {@code text} (the plain-text alternative) and no body.
     *
     * @param kind    one of {@link #KINDS}
     * @param channel {@value #SMS} or {@value #EMAIL}
     */
    public record Template(String kind, String channel, String subject, String html, String text, String body) {

        public static Template sms(String kind, String body) {
            return new Template(kind, SMS, null, null, null, body);
        }

        public static Template email(String kind, String subject, String html, String text) {
            return new Template(kind, EMAIL, subject, html, text, null);
        }

        /** Parts in a fixed order with their names, nulls left out. */
        Map<String, String> parts() {
            Map<String, String> parts = new LinkedHashMap<>();
            if (subject != null) parts.put("subject", subject);
            if (html != null) parts.put("html", html);
            if (text != null) parts.put("text", text);
            if (body != null) parts.put("body", body);
            return parts;
        }
    }

    /** A filled template: the same parts as the template it came from, nulls where it had none. */
    public record Rendered(String subject, String html, String text, String body) {
    }

    /** Thrown by {@link #render} rather than sending a message with a blank in it. */
    public static final class MissingValueException extends RuntimeException {
        private final List<String> placeholders;

        public MissingValueException(List<String> placeholders) {
            super("no value for " + String.join(", ", placeholders.stream().map(n -> "{{" + n + "}}").toList()));
            this.placeholders = List.copyOf(placeholders);
        }

        /** Names of the placeholders without a value, in order of first use. */
        public List<String> placeholders() {
            return placeholders;
        }
    }

    private Templates() {
    }

    // ---------------------------------------------------------------- defaults

    private static final List<Template> DEFAULTS = List.of(
            Template.sms("confirmation",
                    "Hi {{customerName}}, your {{service}} with {{businessName}} is booked for {{appointmentDate}}"
                            + " at {{appointmentTime}}. To change it call {{businessPhone}}."),
            Template.email("confirmation",
                    "Your {{service}} with {{businessName}} is booked",
                    "<p>Hi {{customerName}},</p>\n"
                            + "<p>Your {{service}} with {{businessName}} is booked for"
                            + " <strong>{{appointmentDate}} at {{appointmentTime}}</strong>.</p>\n"
                            + "<p>If you need to change it, please call {{businessPhone}}.</p>\n"
                            + "<p>Thanks,<br>{{businessName}}</p>",
                    "Hi {{customerName}},\n\n"
                            + "Your {{service}} with {{businessName}} is booked for {{appointmentDate}} at {{appointmentTime}}.\n\n"
                            + "If you need to change it, please call {{businessPhone}}.\n\n"
                            + "Thanks,\n{{businessName}}"),

            // No "tomorrow": a reminder can go out late, and the date says it anyway.
            Template.sms("reminder_24h",
                    "Hi {{customerName}}, a reminder that your {{service}} with {{businessName}} is on {{appointmentDate}}"
                            + " at {{appointmentTime}}. To change it call {{businessPhone}}."),
            Template.email("reminder_24h",
                    "Reminder: your {{service}} on {{appointmentDate}}",
                    "<p>Hi {{customerName}},</p>\n"
                            + "<p>A reminder that your {{service}} with {{businessName}} is on"
                            + " <strong>{{appointmentDate}} at {{appointmentTime}}</strong>.</p>\n"
                            + "<p>If you need to change it, please call {{businessPhone}}.</p>\n"
                            + "<p>Thanks,<br>{{businessName}}</p>",
                    "Hi {{customerName}},\n\n"
                            + "A reminder that your {{service}} with {{businessName}} is on {{appointmentDate}} at {{appointmentTime}}.\n\n"
                            + "If you need to change it, please call {{businessPhone}}.\n\n"
                            + "Thanks,\n{{businessName}}"),

            // No "today": an hour before a 00:30 appointment is yesterday.
            Template.sms("reminder_1h",
                    "Hi {{customerName}}, your {{service}} with {{businessName}} is coming up at {{appointmentTime}}."
                            + " If you can't make it, please call {{businessPhone}}."),
            Template.email("reminder_1h",
                    "Your {{service}} is at {{appointmentTime}}",
                    "<p>Hi {{customerName}},</p>\n"
                            + "<p>Your {{service}} with {{businessName}} is coming up at <strong>{{appointmentTime}}</strong>.</p>\n"
                            + "<p>If you can't make it, please call {{businessPhone}}.</p>\n"
                            + "<p>Thanks,<br>{{businessName}}</p>",
                    "Hi {{customerName}},\n\n"
                            + "Your {{service}} with {{businessName}} is coming up at {{appointmentTime}}.\n\n"
                            + "If you can't make it, please call {{businessPhone}}.\n\n"
                            + "Thanks,\n{{businessName}}"),

            // The opt-out line is added by render(), so it cannot be edited away. No full stop after the
            // link: some phones take it as part of the address.
            Template.sms("follow_up",
                    "Hi {{customerName}}, thanks for choosing {{businessName}}. Whenever you need us again,"
                            + " you can book at {{bookingLink}}"),
            Template.email("follow_up",
                    "Thank you from {{businessName}}",
                    "<p>Hi {{customerName}},</p>\n"
                            + "<p>Thank you for choosing {{businessName}}. Whenever you need us again, you can"
                            + " <a href=\"{{bookingLink}}\">book online</a>.</p>\n"
                            + "<p>Best wishes,<br>{{businessName}}</p>",
                    "Hi {{customerName}},\n\n"
                            + "Thank you for choosing {{businessName}}. Whenever you need us again, you can book at {{bookingLink}}\n\n"
                            + "Best wishes,\n{{businessName}}"));

    /** Shipped defaults: one per kind and channel, in {@link #KINDS} then {@link #CHANNELS} order. */
    public static List<Template> defaults() {
        return DEFAULTS;
    }

    /** The shipped default for a kind and channel; IllegalArgumentException for an unknown one. */
    public static Template defaultFor(String kind, String channel) {
        return DEFAULTS.stream()
                .filter(t -> t.kind().equals(kind) && t.channel().equals(channel))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no default template for " + kind + " " + channel));
    }

    // ---------------------------------------------------------------- kinds

    /** Marketing needs consent and an opt-out; service messages (confirmations, reminders) need neither. */
    public static boolean isMarketing(String kind) {
        return kind != null && (kind.startsWith("follow_up") || kind.startsWith("marketing"));
    }

    // ---------------------------------------------------------------- validation

    /**
     * What is wrong with a template, in words fit to show its author; empty when it can be saved.
     *
     * @param clientValuesAvailable names among businessName, businessPhone and bookingLink that the client
     *                              has a value for; a template using one the client lacks could never be sent
     */
    public static List<String> problems(Template t, Set<String> clientValuesAvailable) {
        Objects.requireNonNull(t, "template");
        Objects.requireNonNull(clientValuesAvailable, "clientValuesAvailable");
        Set<String> problems = new LinkedHashSet<>(); // the same placeholder used twice is one problem

        if (isBlank(t.kind())) {
            problems.add("kind is missing; allowed: " + String.join(", ", KINDS));
        } else if (!KINDS.contains(t.kind())) {
            problems.add("unknown kind '" + t.kind() + "'; allowed: " + String.join(", ", KINDS));
        }
        if (isBlank(t.channel())) {
            problems.add("channel is missing; allowed: " + String.join(", ", CHANNELS));
        } else if (!CHANNELS.contains(t.channel())) {
            problems.add("unknown channel '" + t.channel() + "'; allowed: " + String.join(", ", CHANNELS));
        }

        if (SMS.equals(t.channel())) {
            requirePart(problems, "body", t.body(), SMS);
            refusePart(problems, "subject", t.subject(), SMS);
            refusePart(problems, "html", t.html(), SMS);
            refusePart(problems, "text", t.text(), SMS);
            if (t.body() != null && t.body().length() > SMS_MAX_CHARS) {
                problems.add(String.format(Locale.UK, "body is %,d characters; an SMS may be at most %,d",
                        t.body().length(), SMS_MAX_CHARS));
            }
        } else if (EMAIL.equals(t.channel())) {
            requirePart(problems, "subject", t.subject(), EMAIL);
            requirePart(problems, "html", t.html(), EMAIL);
            requirePart(problems, "text", t.text(), EMAIL);
            refusePart(problems, "body", t.body(), EMAIL);
        }

        for (Map.Entry<String, String> part : t.parts().entrySet()) {
            Parsed parsed = parse(part.getValue());
            for (int at : parsed.unclosed()) {
                problems.add("unclosed {{ in " + part.getKey() + " at character " + (at + 1) + ": \""
                        + excerpt(part.getValue(), at) + "\"");
            }
            for (String name : parsed.names()) {
                if (!PLACEHOLDERS.contains(name)) {
                    problems.add("unknown placeholder {{" + name + "}} in " + part.getKey()
                            + "; allowed: " + String.join(", ", PLACEHOLDERS));
                } else if (isMarketing(t.kind()) && APPOINTMENT_PLACEHOLDERS.contains(name)) {
                    problems.add("{{" + name + "}} is not available in a " + t.kind()
                            + " message: there is no appointment");
                } else if (CLIENT_PLACEHOLDERS.containsKey(name) && !clientValuesAvailable.contains(name)) {
                    problems.add("{{" + name + "}} is used but the client has no " + CLIENT_PLACEHOLDERS.get(name) + " set");
                }
            }
        }
        return List.copyOf(problems);
    }

    /**
     * The longest an SMS from this template can come out: its own text, each placeholder at the longest
     * its value can be ({@code clientValues} for the client's business name, phone and booking link, as
     * they are now), and the "Reply STOP" line a marketing kind gets. Null for a template that is not an SMS.
     */
    public static Integer longestSms(Template t, Map<String, String> clientValues) {
        if (!SMS.equals(t.channel()) || t.body() == null) {
            return null;
        }
        Parsed parsed = parse(t.body());
        int n = 0;
        for (Piece piece : parsed.pieces()) {
            if (piece.name() == null) {
                n += piece.literal().length();
            } else {
                String own = clientValues == null ? null : clientValues.get(piece.name());
                n += own != null && CLIENT_PLACEHOLDERS.containsKey(piece.name()) ? own.length() : LONGEST_VALUE.getOrDefault(piece.name(), 0);
            }
        }
        if (isMarketing(t.kind()) && !saysStop(parsed)) {
            n += SMS_OPT_OUT.length();
        }
        return n;
    }

    /** The same problems as {@link #problems(Template, Set)}, plus an SMS whose longest rendering would be over {@link #SMS_MAX_CHARS}. */
    public static List<String> problems(Template t, Set<String> clientValuesAvailable, Map<String, String> clientValues) {
        List<String> out = new ArrayList<>(problems(t, clientValuesAvailable));
        Integer longest = longestSms(t, clientValues);
        if (longest != null && longest > SMS_MAX_CHARS && (t.body() == null || t.body().length() <= SMS_MAX_CHARS)) {
            out.add(String.format(Locale.UK, "body can come out at %,d characters (names up to %d characters%s); an SMS may be at most %,d",
                    longest, MAX_NAME_CHARS, isMarketing(t.kind()) ? ", with the \"Reply STOP to opt out\" line" : "", SMS_MAX_CHARS));
        }
        return List.copyOf(out);
    }

    private static void requirePart(Set<String> problems, String part, String value, String channel) {
        if (isBlank(value)) {
            problems.add(part + " is empty; every " + channel + " template needs one");
        }
    }

    private static void refusePart(Set<String> problems, String part, String value, String channel) {
        if (!isBlank(value)) {
            problems.add("an " + channel + " template has no " + part + "; it would never be sent");
        }
    }

    private static String excerpt(String s, int at) {
        int end = Math.min(s.length(), at + 20);
        return s.substring(at, end) + (end < s.length() ? "..." : "");
    }

    // ---------------------------------------------------------------- rendering

    /**
     * Fills a template. Values go in verbatim in the subject, text and body, and HTML-escaped in the html;
     * they are inserted once, so a value that itself contains {@code {{...}}} is not expanded.
     *
     * <p>For a marketing kind, the opt-out instruction is appended to the SMS body, the email text and the
     * email html, each unless the template's own wording already says STOP. Values are deliberately not
     * looked at: a business called "Pit Stop Garage" must not silence the opt-out line.
     *
     * @throws MissingValueException    when a placeholder used has no value or a blank one
     * @throws IllegalArgumentException when the template has an unclosed {@code {{} or an unknown placeholder,
     *                                  which {@link #problems} would have reported at save time
     */
    public static Rendered render(Template t, Map<String, String> values) {
        Objects.requireNonNull(t, "template");
        Objects.requireNonNull(values, "values");
        Map<String, Parsed> parsed = new LinkedHashMap<>();
        List<String> broken = new ArrayList<>();
        Set<String> missing = new LinkedHashSet<>();
        t.parts().forEach((part, source) -> {
            Parsed p = parsedOnce(source);
            parsed.put(part, p);
            if (!p.unclosed().isEmpty()) broken.add("unclosed {{ in " + part);
            for (String name : p.names()) {
                if (!PLACEHOLDERS.contains(name)) broken.add("unknown placeholder {{" + name + "}} in " + part);
                else if (isBlank(values.get(name))) missing.add(name);
            }
        });
        if (!broken.isEmpty()) {
            throw new IllegalArgumentException("template cannot be rendered: " + String.join("; ", broken));
        }
        if (!missing.isEmpty()) {
            throw new MissingValueException(new ArrayList<>(missing));
        }

        String subject = fill(parsed.get("subject"), values, false);
        String html = fill(parsed.get("html"), values, true);
        String text = fill(parsed.get("text"), values, false);
        String body = fill(parsed.get("body"), values, false);

        if (isMarketing(t.kind())) {
            if (body != null && !saysStop(parsed.get("body"))) {
                body = body.stripTrailing() + SMS_OPT_OUT;
            }
            if (text != null && !saysStop(parsed.get("text"))) {
                text = text.stripTrailing() + "\n\n" + EMAIL_OPT_OUT;
            }
            if (html != null && !saysStop(parsed.get("html"))) {
                html = withClosingParagraph(html, "<p>" + EMAIL_OPT_OUT + "</p>");
            }
        }
        return new Rendered(subject, html, text, body);
    }

    /** Placeholder names a template uses, in order of first use: the values a sender has to work out. */
    public static Set<String> placeholdersUsed(Template t) {
        Set<String> names = new LinkedHashSet<>();
        t.parts().values().forEach(source -> names.addAll(parse(source).names()));
        return names;
    }

    private static String fill(Parsed parsed, Map<String, String> values, boolean escapeHtml) {
        if (parsed == null) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        for (Piece piece : parsed.pieces()) {
            if (piece.name() == null) {
                out.append(piece.literal());
            } else {
                String value = values.get(piece.name());
                out.append(escapeHtml ? escapeHtml(value) : value);
            }
        }
        return out.toString();
    }

    private static boolean saysStop(Parsed parsed) {
        StringBuilder own = new StringBuilder();
        for (Piece piece : parsed.pieces()) {
            if (piece.name() == null) own.append(piece.literal()).append(' ');
        }
        return STOP.matcher(own).find();
    }

    /** Inside the document's body when the html is a whole document, else at the end. */
    private static String withClosingParagraph(String html, String paragraph) {
        var matcher = BODY_CLOSE.matcher(html);
        int close = -1;
        while (matcher.find()) {
            close = matcher.start();
        }
        if (close < 0) {
            return html.stripTrailing() + "\n" + paragraph;
        }
        return html.substring(0, close) + paragraph + "\n" + html.substring(close);
    }

    /** Text made safe inside HTML elements and quoted attributes (&amp; &lt; &gt; &quot; &#39;). */
    public static String escapeHtml(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- dates and times for customers

    /** The appointment's day in the client's zone, as a customer reads it: "Tuesday 1 December". */
    public static String date(Instant at, ZoneId zone) {
        return DATE.format(at.atZone(zone));
    }

    /**
     * The same, with the year when the appointment is not in the current year (the client's zone, as of
     * {@code now}): "Friday 1 January 2027" written in December 2026.
     */
    public static String date(Instant at, ZoneId zone, Instant now) {
        ZonedDateTime local = at.atZone(zone);
        return now != null && local.getYear() != now.atZone(zone).getYear() ? DATE_WITH_YEAR.format(local) : DATE.format(local);
    }

    /**
     * The appointment's time in the client's zone: "2:30pm", "10am" for a whole hour, "12pm" at noon and
     * "12am" at midnight. Built by hand because the JDK's am/pm text depends on locale data (AM, am, a.m.).
     */
    public static String time(Instant at, ZoneId zone) {
        ZonedDateTime local = at.atZone(zone);
        int hour = local.getHour() % 12 == 0 ? 12 : local.getHour() % 12;
        String half = local.getHour() < 12 ? "am" : "pm";
        return local.getMinute() == 0
                ? hour + half
                : String.format(Locale.ROOT, "%d:%02d%s", hour, local.getMinute(), half);
    }

    // ---------------------------------------------------------------- parsing

    /** Either literal text or a placeholder name. */
    private record Piece(String literal, String name) {
    }

    /**
     * @param pieces   the source cut into text and placeholders; an unclosed {{ stays as text
     * @param unclosed offsets of each {{ with no }} before the next {{ or the end
     */
    private record Parsed(List<Piece> pieces, List<Integer> unclosed) {
        List<String> names() {
            return pieces.stream().map(Piece::name).filter(Objects::nonNull).toList();
        }
    }

    /** Templates are few and rendered often (100,000 reminders in a pass): each text is parsed once. */
    private static final java.util.concurrent.ConcurrentHashMap<String, Parsed> PARSED = new java.util.concurrent.ConcurrentHashMap<>();

    private static Parsed parsedOnce(String s) {
        if (PARSED.size() > 2_000) {
            PARSED.clear();
        }
        return PARSED.computeIfAbsent(s, Templates::parse);
    }

    private static Parsed parse(String s) {
        List<Piece> pieces = new ArrayList<>();
        List<Integer> unclosed = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            int open = s.indexOf("{{", i);
            if (open < 0) {
                literal.append(s, i, s.length());
                break;
            }
            literal.append(s, i, open);
            int close = s.indexOf("}}", open + 2);
            int reopen = s.indexOf("{{", open + 2);
            if (close < 0 || (reopen >= 0 && reopen < close)) {
                // "{{name" then more text: report it, keep it as text and carry on from the next {{.
                unclosed.add(open);
                int resume = reopen >= 0 ? reopen : s.length();
                literal.append(s, open, resume);
                i = resume;
                continue;
            }
            if (literal.length() > 0) {
                pieces.add(new Piece(literal.toString(), null));
                literal.setLength(0);
            }
            pieces.add(new Piece(null, s.substring(open + 2, close).strip()));
            i = close + 2;
        }
        if (literal.length() > 0) {
            pieces.add(new Piece(literal.toString(), null));
        }
        return new Parsed(pieces, unclosed);
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
