package uk.bookinghub.messaging;

import org.junit.jupiter.api.Test;
import uk.bookinghub.messaging.Templates.MissingValueException;
import uk.bookinghub.messaging.Templates.Rendered;
import uk.bookinghub.messaging.Templates.Template;

import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Shipped templates, save-time validation, rendering, the opt-out line and customer-facing dates. */
class TemplatesTest {

    private static final Set<String> ALL_CLIENT_VALUES = Set.of("businessName", "businessPhone", "bookingLink");
    private static final ZoneId LONDON = ZoneId.of("Europe/London");

    private static Map<String, String> fullValues() {
        Map<String, String> v = new HashMap<>();
        v.put("businessName", "Clippers of Leeds");
        v.put("businessPhone", "0113 496 0001");
        v.put("bookingLink", "https://book.example.co.uk/clippers");
        v.put("customerName", "Sarah");
        v.put("appointmentDate", "Tuesday 1 December");
        v.put("appointmentTime", "2:30pm");
        v.put("service", "haircut");
        return v;
    }

    // ------------------------------------------------------------ defaults

    @Test
    void thereIsADefaultForEveryKindAndChannel() {
        assertThat(Templates.defaults()).hasSize(Templates.KINDS.size() * Templates.CHANNELS.size());
        for (String kind : Templates.KINDS) {
            for (String channel : Templates.CHANNELS) {
                Template t = Templates.defaultFor(kind, channel);
                assertThat(t.kind()).isEqualTo(kind);
                assertThat(t.channel()).isEqualTo(channel);
            }
        }
        assertThatThrownBy(() -> Templates.defaultFor("birthday", "sms")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyDefaultHasNoProblemsAndRendersCompletely() {
        for (Template t : Templates.defaults()) {
            String what = t.kind() + " " + t.channel();
            assertThat(Templates.problems(t, ALL_CLIENT_VALUES)).as(what).isEmpty();
            Rendered r = Templates.render(t, fullValues());
            for (String part : new String[] {r.subject(), r.html(), r.text(), r.body()}) {
                if (part != null) {
                    assertThat(part).as(what).doesNotContain("{{", "}}", "null");
                }
            }
            for (String part : new String[] {r.html(), r.text(), r.body()}) {
                if (part != null) {
                    assertThat(part).as(what).contains("Hi Sarah,", "Clippers of Leeds");
                }
            }
            if (t.channel().equals("sms")) {
                assertThat(r.body()).as(what).isNotBlank();
                assertThat(r.subject()).isNull();
                // Defaults must not cost double: no curly quotes or other non-GSM characters.
                SmsText.Info info = SmsText.measure(r.body());
                assertThat(info.encoding()).as(what).isEqualTo("GSM-7");
                assertThat(info.segments()).as(what).isLessThanOrEqualTo(2);
            } else {
                assertThat(r.subject()).as(what).isNotBlank();
                assertThat(r.html()).as(what).isNotBlank();
                assertThat(r.text()).as(what).isNotBlank();
                assertThat(r.body()).isNull();
            }
        }
    }

    @Test
    void defaultsUseAppointmentPlaceholdersOnlyWhereThereIsAnAppointment() {
        for (Template t : Templates.defaults()) {
            Set<String> used = Templates.placeholdersUsed(t);
            if (Templates.isMarketing(t.kind())) {
                assertThat(used).as(t.kind() + " " + t.channel())
                        .doesNotContainAnyElementsOf(Templates.APPOINTMENT_PLACEHOLDERS)
                        .contains("bookingLink");
            } else {
                assertThat(used).as(t.kind() + " " + t.channel())
                        .contains("appointmentTime", "service", "businessPhone");
            }
        }
    }

    @Test
    void theConfirmationSmsReadsNaturally() {
        assertThat(Templates.render(Templates.defaultFor("confirmation", "sms"), fullValues()).body())
                .isEqualTo("Hi Sarah, your haircut with Clippers of Leeds is booked for Tuesday 1 December at 2:30pm."
                        + " To change it call 0113 496 0001.");
    }

    @Test
    void onlyFollowUpsAndMarketingAreMarketing() {
        assertThat(Templates.isMarketing("follow_up")).isTrue();
        assertThat(Templates.isMarketing("follow_up_6m")).isTrue();
        assertThat(Templates.isMarketing("marketing_offer")).isTrue();
        for (String kind : new String[] {"confirmation", "reminder_24h", "reminder_1h", "", null}) {
            assertThat(Templates.isMarketing(kind)).as(kind).isFalse();
        }
    }

    // ------------------------------------------------------------ problems

    @Test
    void unknownPlaceholderIsNamedWithTheAllowedOnes() {
        List<String> problems = Templates.problems(
                Template.sms("confirmation", "Hi {{firstName}}, see you {{ appointmentTime }}, {{firstName}}"), ALL_CLIENT_VALUES);
        assertThat(problems).containsExactly("unknown placeholder {{firstName}} in body; allowed: businessName, "
                + "businessPhone, bookingLink, customerName, appointmentDate, appointmentTime, service");
    }

    @Test
    void unclosedBracesAreReported() {
        assertThat(Templates.problems(Template.sms("confirmation", "Hi {{customerName, see you soon"), ALL_CLIENT_VALUES))
                .containsExactly("unclosed {{ in body at character 4: \"{{customerName, see ...\"");
        // An unclosed {{ before a good placeholder does not swallow it.
        assertThat(Templates.problems(Template.sms("confirmation", "Hi {{customerName at {{appointmentTime}}"), ALL_CLIENT_VALUES))
                .singleElement().asString().startsWith("unclosed {{ in body at character 4");
        assertThat(Templates.problems(Template.email("confirmation", "Booked {{service", "<p>ok</p>", "ok"), ALL_CLIENT_VALUES))
                .singleElement().asString().startsWith("unclosed {{ in subject");
    }

    @Test
    void appointmentPlaceholdersAreRefusedInAFollowUp() {
        List<String> problems = Templates.problems(Template.sms("follow_up",
                "How was your {{service}} on {{appointmentDate}} at {{appointmentTime}}? Book again: {{bookingLink}}"), ALL_CLIENT_VALUES);
        assertThat(problems).containsExactly(
                "{{service}} is not available in a follow_up message: there is no appointment",
                "{{appointmentDate}} is not available in a follow_up message: there is no appointment",
                "{{appointmentTime}} is not available in a follow_up message: there is no appointment");
        assertThat(Templates.problems(Template.sms("reminder_1h", "See you at {{appointmentTime}}"), ALL_CLIENT_VALUES)).isEmpty();
    }

    @Test
    void aClientValueTheClientHasNotSetIsReported() {
        Template followUp = Templates.defaultFor("follow_up", "email");
        assertThat(Templates.problems(followUp, Set.of("businessName", "businessPhone")))
                .containsExactly("{{bookingLink}} is used but the client has no booking link set");
        assertThat(Templates.problems(Templates.defaultFor("confirmation", "sms"), Set.of("businessName", "bookingLink")))
                .containsExactly("{{businessPhone}} is used but the client has no business phone number set");
        assertThat(Templates.problems(Templates.defaultFor("confirmation", "sms"), Set.of()))
                .containsExactly("{{businessName}} is used but the client has no business name set",
                        "{{businessPhone}} is used but the client has no business phone number set");
        // A value the template does not use is not needed.
        assertThat(Templates.problems(Templates.defaultFor("confirmation", "sms"), Set.of("businessName", "businessPhone"))).isEmpty();
    }

    @Test
    void emptyRequiredPartsAreReported() {
        assertThat(Templates.problems(Template.sms("confirmation", "  "), ALL_CLIENT_VALUES))
                .containsExactly("body is empty; every sms template needs one");
        assertThat(Templates.problems(Template.sms("confirmation", null), ALL_CLIENT_VALUES))
                .containsExactly("body is empty; every sms template needs one");
        assertThat(Templates.problems(Template.email("confirmation", "", null, "\n"), ALL_CLIENT_VALUES))
                .containsExactly("subject is empty; every email template needs one",
                        "html is empty; every email template needs one",
                        "text is empty; every email template needs one");
    }

    @Test
    void partsOfTheOtherChannelAreReported() {
        Template smsWithSubject = new Template("confirmation", "sms", "Booked", null, null, "Booked");
        assertThat(Templates.problems(smsWithSubject, ALL_CLIENT_VALUES))
                .containsExactly("an sms template has no subject; it would never be sent");
    }

    @Test
    void anSmsBodyOver1600CharactersIsReported() {
        assertThat(Templates.problems(Template.sms("confirmation", "a".repeat(1600)), ALL_CLIENT_VALUES)).isEmpty();
        assertThat(Templates.problems(Template.sms("confirmation", "a".repeat(1601)), ALL_CLIENT_VALUES))
                .containsExactly("body is 1,601 characters; an SMS may be at most 1,600");
    }

    @Test
    void unknownKindAndChannelAreReported() {
        assertThat(Templates.problems(Template.sms("birthday", "Happy birthday"), ALL_CLIENT_VALUES))
                .containsExactly("unknown kind 'birthday'; allowed: confirmation, reminder_24h, reminder_1h, follow_up");
        assertThat(Templates.problems(new Template("confirmation", "fax", null, null, null, "Booked"), ALL_CLIENT_VALUES))
                .containsExactly("unknown channel 'fax'; allowed: sms, email");
        assertThat(Templates.problems(new Template(null, null, null, null, null, "Booked"), ALL_CLIENT_VALUES))
                .containsExactly("kind is missing; allowed: confirmation, reminder_24h, reminder_1h, follow_up",
                        "channel is missing; allowed: sms, email");
    }

    // ------------------------------------------------------------ rendering

    @Test
    void valuesAreEscapedInHtmlAndVerbatimElsewhere() {
        Map<String, String> values = fullValues();
        values.put("businessName", "Smith & Sons <Barbers> \"Best\" O'Neill");
        Rendered r = Templates.render(Templates.defaultFor("confirmation", "email"), values);
        assertThat(r.html()).contains("Smith &amp; Sons &lt;Barbers&gt; &quot;Best&quot; O&#39;Neill")
                .doesNotContain("<Barbers>");
        assertThat(r.text()).contains("Smith & Sons <Barbers> \"Best\" O'Neill");
        assertThat(r.subject()).isEqualTo("Your haircut with Smith & Sons <Barbers> \"Best\" O'Neill is booked");
        assertThat(Templates.render(Templates.defaultFor("confirmation", "sms"), values).body())
                .contains("Smith & Sons <Barbers> \"Best\" O'Neill");
    }

    @Test
    void aValueIsNotItselfExpanded() {
        Map<String, String> values = fullValues();
        values.put("customerName", "{{businessPhone}}");
        assertThat(Templates.render(Template.sms("confirmation", "Hi {{customerName}}"), values).body())
                .isEqualTo("Hi {{businessPhone}}");
    }

    @Test
    void marketingSmsGetsTheOptOutLineOnce() {
        Rendered r = Templates.render(Templates.defaultFor("follow_up", "sms"), fullValues());
        assertThat(r.body()).isEqualTo("Hi Sarah, thanks for choosing Clippers of Leeds. Whenever you need us again,"
                + " you can book at https://book.example.co.uk/clippers\nReply STOP to opt out");

        Template ownOptOut = Template.sms("follow_up", "Book again at {{bookingLink}}. Text stop to unsubscribe.");
        assertThat(Templates.render(ownOptOut, fullValues()).body())
                .isEqualTo("Book again at https://book.example.co.uk/clippers. Text stop to unsubscribe.");
    }

    @Test
    void aValueSayingStopDoesNotSilenceTheOptOutLine() {
        Map<String, String> values = fullValues();
        values.put("businessName", "Pit Stop Garage");
        assertThat(Templates.render(Templates.defaultFor("follow_up", "sms"), values).body())
                .endsWith("\nReply STOP to opt out");
        // "nonstop" is not an instruction either.
        assertThat(Templates.render(Template.sms("follow_up", "Nonstop deals at {{bookingLink}}"), values).body())
                .endsWith("\nReply STOP to opt out");
    }

    @Test
    void marketingEmailGetsTheOptOutInTextAndHtmlOnce() {
        Rendered r = Templates.render(Templates.defaultFor("follow_up", "email"), fullValues());
        assertThat(r.text()).endsWith("Best wishes,\nClippers of Leeds\n\nReply STOP to opt out of these messages.");
        assertThat(r.html()).endsWith("</p>\n<p>Reply STOP to opt out of these messages.</p>");
        assertThat(r.html()).contains("<a href=\"https://book.example.co.uk/clippers\">");
        assertThat(r.subject()).doesNotContain("STOP");

        Template own = Template.email("follow_up", "Come back to {{businessName}}",
                "<html><body><p>Book at {{bookingLink}}</p><p>Reply STOP to opt out</p></body></html>",
                "Book at {{bookingLink}}\nReply STOP to opt out");
        Rendered once = Templates.render(own, fullValues());
        assertThat(once.text()).isEqualTo("Book at https://book.example.co.uk/clippers\nReply STOP to opt out");
        assertThat(once.html()).containsOnlyOnce("STOP");

        Template document = Template.email("follow_up", "Come back", "<html><body><p>Book at {{bookingLink}}</p></body></html>",
                "Book at {{bookingLink}}");
        assertThat(Templates.render(document, fullValues()).html())
                .isEqualTo("<html><body><p>Book at https://book.example.co.uk/clippers</p>"
                        + "<p>Reply STOP to opt out of these messages.</p>\n</body></html>");
    }

    @Test
    void confirmationsAndRemindersGetNoOptOutLine() {
        for (Template t : Templates.defaults()) {
            if (Templates.isMarketing(t.kind())) continue;
            Rendered r = Templates.render(t, fullValues());
            for (String part : new String[] {r.html(), r.text(), r.body()}) {
                if (part != null) assertThat(part).as(t.kind() + " " + t.channel()).doesNotContainIgnoringCase("stop");
            }
        }
    }

    @Test
    void aMissingOrBlankValueThrowsNamingThePlaceholder() {
        Map<String, String> values = fullValues();
        values.remove("bookingLink");
        assertThatThrownBy(() -> Templates.render(Templates.defaultFor("follow_up", "sms"), values))
                .isInstanceOf(MissingValueException.class)
                .hasMessage("no value for {{bookingLink}}");

        values.put("bookingLink", "  ");
        values.put("businessName", "");
        assertThatThrownBy(() -> Templates.render(Templates.defaultFor("follow_up", "email"), values))
                .isInstanceOfSatisfying(MissingValueException.class,
                        e -> assertThat(e.placeholders()).containsExactly("businessName", "bookingLink"))
                .hasMessage("no value for {{businessName}}, {{bookingLink}}");

        // Values the template does not use may be missing.
        Map<String, String> noLink = fullValues();
        noLink.remove("bookingLink");
        assertThat(Templates.render(Templates.defaultFor("confirmation", "sms"), noLink).body()).isNotBlank();
    }

    @Test
    void aBrokenTemplateIsNotRendered() {
        assertThatThrownBy(() -> Templates.render(Template.sms("confirmation", "Hi {{firstName}}"), fullValues()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("{{firstName}}");
        assertThatThrownBy(() -> Templates.render(Template.sms("confirmation", "Hi {{customerName"), fullValues()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unclosed");
    }

    // ------------------------------------------------------------ dates and times

    @Test
    void winterDatesAndTimesAreGmt() {
        Instant at = Instant.parse("2026-12-01T14:30:00Z");
        assertThat(Templates.date(at, LONDON)).isEqualTo("Tuesday 1 December");
        assertThat(Templates.time(at, LONDON)).isEqualTo("2:30pm");
        assertThat(Templates.time(Instant.parse("2026-12-01T10:00:00Z"), LONDON)).isEqualTo("10am");
        assertThat(Templates.time(Instant.parse("2026-12-01T09:05:00Z"), LONDON)).isEqualTo("9:05am");
    }

    @Test
    void summerDatesAndTimesAreBst() {
        assertThat(Templates.time(Instant.parse("2026-07-14T09:30:00Z"), LONDON)).isEqualTo("10:30am");
        assertThat(Templates.time(Instant.parse("2026-07-14T09:00:00Z"), LONDON)).isEqualTo("10am");
        assertThat(Templates.date(Instant.parse("2026-07-14T09:30:00Z"), LONDON)).isEqualTo("Tuesday 14 July");
        // 23:30Z is already the next day in London.
        assertThat(Templates.date(Instant.parse("2026-07-14T23:30:00Z"), LONDON)).isEqualTo("Wednesday 15 July");
        assertThat(Templates.time(Instant.parse("2026-07-14T23:30:00Z"), LONDON)).isEqualTo("12:30am");
    }

    @Test
    void noonAndMidnightAreTwelve() {
        assertThat(Templates.time(Instant.parse("2026-12-01T12:00:00Z"), LONDON)).isEqualTo("12pm");
        assertThat(Templates.time(Instant.parse("2026-12-01T00:00:00Z"), LONDON)).isEqualTo("12am");
        assertThat(Templates.time(Instant.parse("2026-12-01T23:59:00Z"), LONDON)).isEqualTo("11:59pm");
    }
}
