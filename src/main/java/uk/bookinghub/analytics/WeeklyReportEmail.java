package uk.bookinghub.analytics;

import uk.bookinghub.messaging.Templates;

import java.math.BigDecimal;
import java.text.NumberFormat;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The weekly report email of one client and ISO week, written from {@link AnalyticsReports#weeklyReport}
 * (the same numbers {@code GET /api/analytics/weekly-report} answers): a subject that says the week in
 * one line, an HTML part (summary with week-over-week change, outcome breakdown, the daily trend as
 * inline bars: no images, no external CSS) and a plain-text part with the same content. Every value
 * that comes from the client (its business name) is HTML-escaped in the HTML, and control characters
 * are taken out of the subject.
 */
public final class WeeklyReportEmail {

    /** A written email. */
    public record Email(String subject, String html, String text) {
    }

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("EEE d MMM", Locale.UK);
    private static final DateTimeFormatter LONG_DAY = DateTimeFormatter.ofPattern("EEEE d MMMM uuuu", Locale.UK);
    private static final String BAR = "#2b6cb0";
    private static final String BOOKED_BAR = "#2f855a";

    private WeeklyReportEmail() {
    }

    /** The email of {@code report} (the map {@link AnalyticsReports#weeklyReport} returns). */
    @SuppressWarnings("unchecked")
    public static Email of(Map<String, Object> report) {
        String business = oneLine(String.valueOf(report.get("businessName")));
        String week = (String) report.get("week");
        Map<String, Object> summary = (Map<String, Object>) report.get("summary");
        Map<String, Object> display = (Map<String, Object>) summary.get("display");
        Map<String, Object> metrics = (Map<String, Object>) report.get("metrics");
        Map<String, Object> change = (Map<String, Object>) report.get("weekOverWeekChange");
        Map<String, Object> previous = (Map<String, Object>) report.get("previousWeek");
        Map<String, Object> outcomes = (Map<String, Object>) metrics.get("outcomes");
        List<Map<String, Object>> daily = (List<Map<String, Object>>) report.get("daily");
        long calls = number(metrics.get("total_calls"));
        long booked = number(metrics.get("appointments_booked"));
        String[] range = ((String) report.get("period")).split(" to ");
        String when = week + ": " + LONG_DAY.format(LocalDate.parse(range[0])) + " to " + LONG_DAY.format(LocalDate.parse(range[1]))
                + " (" + report.get("timezone") + ")";

        String subject = "Your week with " + business + ": " + count(calls, "call", "calls") + ", " + whole(booked) + " booked (" + week + ")";

        // the summary rows: label, value, week-over-week note (or null)
        String[][] rows = {
                {"Calls", whole(calls), vsLastWeek(change.get("calls"), number(previous.get("total_calls")))},
                {"Connected", whole(number(metrics.get("connected_calls"))), null},
                {"Appointments booked", whole(booked), vsLastWeek(change.get("appointments"), number(previous.get("appointments_booked")))},
                {"Conversion rate", orDash(display.get("conversion_rate_percent")), onLastWeek(change.get("conversionRate"))},
                {"Average call", metrics.get("average_call_duration_seconds") == null ? "–" : metrics.get("average_call_duration_seconds") + " s", null},
                {"Total cost", orDash(display.get("total_cost")), null},
                {"Cost per appointment", orDash(display.get("cost_per_appointment")), null},
                {"Estimated revenue", display.get("estimated_revenue") == null ? "not set" : (String) display.get("estimated_revenue"),
                        display.get("estimated_revenue") == null ? "set averageJobValue in your analytics settings" : null},
                {"ROI", orDash(display.get("roi_percent")), null},
        };
        String footer = "Costs in GBP (Vapi's USD call costs at " + report.get("usdToGbp") + " GBP per USD); days in " + report.get("timezone")
                + ". This report is sent each week as set in your analytics settings (weeklyReport).";

        return new Email(subject, html(business, when, rows, outcomes, calls, daily, footer), text(business, when, rows, outcomes, calls, daily, footer));
    }

    private static String html(String business, String when, String[][] rows, Map<String, Object> outcomes, long calls,
                               List<Map<String, Object>> daily, String footer) {
        StringBuilder h = new StringBuilder(8192);
        h.append("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Your week with ").append(esc(business))
                .append("</title></head>\n<body style=\"margin:0;padding:16px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1a202c\">\n")
                .append("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:640px;margin:0 auto;"
                        + "background:#ffffff;border-collapse:collapse\"><tr><td style=\"padding:24px\">\n")
                .append("<h1 style=\"font-size:20px;margin:0 0 4px\">Your week with ").append(esc(business)).append("</h1>\n")
                .append("<p style=\"margin:0 0 20px;color:#4a5568\">").append(esc(when)).append("</p>\n");

        h.append(heading("Summary"))
                .append("<table class=\"summary\" cellpadding=\"6\" cellspacing=\"0\" style=\"border-collapse:collapse;width:100%\">\n");
        for (String[] r : rows) {
            h.append("<tr style=\"border-bottom:1px solid #e2e8f0\"><td>").append(esc(r[0]))
                    .append("</td><td style=\"text-align:right;font-weight:bold\">").append(esc(r[1]))
                    .append("</td><td style=\"color:#4a5568;font-size:13px\">").append(r[2] == null ? "" : esc(r[2])).append("</td></tr>\n");
        }
        h.append("</table>\n");

        h.append(heading("Outcomes"))
                .append("<table class=\"outcomes\" cellpadding=\"6\" cellspacing=\"0\" style=\"border-collapse:collapse;width:100%\">\n")
                .append("<tr style=\"text-align:left;color:#4a5568\"><th>Outcome</th><th style=\"text-align:right\">Calls</th>"
                        + "<th style=\"text-align:right\">Share</th></tr>\n");
        outcomes.forEach((outcome, n) -> h.append("<tr style=\"border-bottom:1px solid #e2e8f0\"><td>").append(esc(label(outcome)))
                .append("</td><td style=\"text-align:right\">").append(whole(number(n)))
                .append("</td><td style=\"text-align:right\">").append(esc(share(number(n), calls))).append("</td></tr>\n"));
        h.append("</table>\n");

        long most = 1;
        for (Map<String, Object> d : daily) {
            most = Math.max(most, number(d.get("calls")));
        }
        h.append(heading("Day by day"))
                .append("<table class=\"daily\" cellpadding=\"4\" cellspacing=\"0\" style=\"border-collapse:collapse;width:100%\">\n")
                .append("<tr style=\"text-align:left;color:#4a5568\"><th>Day</th><th style=\"text-align:right\">Calls</th><th style=\"width:55%\"></th>"
                        + "<th style=\"text-align:right\">Booked</th></tr>\n");
        for (Map<String, Object> d : daily) {
            long n = number(d.get("calls"));
            long b = number(d.get("booked"));
            h.append("<tr><td>").append(esc(DAY.format(LocalDate.parse((String) d.get("date"))))).append("</td><td style=\"text-align:right\">")
                    .append(whole(n)).append("</td><td>").append(bar(n, most, BAR)).append(bar(b, most, BOOKED_BAR))
                    .append("</td><td style=\"text-align:right\">").append(whole(b)).append("</td></tr>\n");
        }
        h.append("</table>\n")
                .append("<p style=\"margin:20px 0 0;font-size:12px;color:#718096\">").append(esc(footer)).append("</p>\n")
                .append("</td></tr></table>\n</body></html>\n");
        return h.toString();
    }

    private static String heading(String title) {
        return "<h2 style=\"font-size:16px;margin:20px 0 8px\">" + esc(title) + "</h2>\n";
    }

    /** A bar as wide as {@code n} is of {@code most} (a thin grey line for 0), in plain inline CSS. */
    private static String bar(long n, long most, String colour) {
        long width = n == 0 ? 0 : Math.max(1, Math.round(n * 100.0 / most));
        return n == 0 ? "<div style=\"height:2px;width:100%;background:#edf2f7;margin:2px 0\"></div>"
                : "<div style=\"height:10px;width:" + width + "%;background:" + colour + ";margin:2px 0\"></div>";
    }

    private static String text(String business, String when, String[][] rows, Map<String, Object> outcomes, long calls,
                               List<Map<String, Object>> daily, String footer) {
        StringBuilder t = new StringBuilder(2048);
        t.append("Your week with ").append(business).append('\n').append(when).append("\n\n");
        for (String[] r : rows) {
            t.append(String.format(Locale.UK, "%-22s %10s", r[0] + ":", r[1]));
            if (r[2] != null) {
                t.append("   ").append(r[2]);
            }
            t.append('\n');
        }
        t.append("\nOutcomes\n");
        outcomes.forEach((outcome, n) -> t.append(String.format(Locale.UK, "  %-20s %6s  %7s\n", label(outcome), whole(number(n)), share(number(n), calls))));
        long most = 1;
        for (Map<String, Object> d : daily) {
            most = Math.max(most, number(d.get("calls")));
        }
        t.append("\nDay by day (calls, booked)\n");
        for (Map<String, Object> d : daily) {
            long n = number(d.get("calls"));
            t.append(String.format(Locale.UK, "  %-11s %6s %6s  %s\n", DAY.format(LocalDate.parse((String) d.get("date"))), whole(n),
                    whole(number(d.get("booked"))), "#".repeat((int) Math.round(n * 20.0 / most))));
        }
        t.append('\n').append(footer).append('\n');
        return t.toString();
    }

    /** "+200.00% on last week (4)", "new (0 last week)", "0.00% on last week (0)". */
    private static String vsLastWeek(Object change, long before) {
        return "new".equals(change) ? "new (0 last week)" : signed(change) + " on last week (" + whole(before) + ")";
    }

    /** "+5.00% on last week", or "new" when last week's value was 0. */
    private static String onLastWeek(Object change) {
        return "new".equals(change) ? "new" : signed(change) + " on last week";
    }

    private static String signed(Object change) {
        if (change instanceof BigDecimal d) {
            return (d.signum() > 0 ? "+" : "") + d.toPlainString() + "%";
        }
        return String.valueOf(change);
    }

    private static String share(long n, long of) {
        BigDecimal p = Totals.percent(n, of);
        return p == null ? "–" : p.toPlainString() + "%";
    }

    private static String label(String outcome) {
        String words = outcome.replace('_', ' ');
        return words.isEmpty() ? words : Character.toUpperCase(words.charAt(0)) + words.substring(1);
    }

    private static String count(long n, String one, String many) {
        return whole(n) + " " + (n == 1 ? one : many);
    }

    private static String whole(long n) {
        return NumberFormat.getIntegerInstance(Locale.UK).format(n);
    }

    private static long number(Object v) {
        return v == null ? 0 : ((Number) v).longValue();
    }

    private static String orDash(Object v) {
        return v == null ? "–" : String.valueOf(v);
    }

    private static String esc(String s) {
        return Templates.escapeHtml(s);
    }

    /** One line of text: control characters (a line break in a header would start a new header) become spaces. */
    private static String oneLine(String s) {
        return s.replaceAll("\\p{Cntrl}+", " ").strip();
    }
}
