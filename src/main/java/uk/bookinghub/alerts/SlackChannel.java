package uk.bookinghub.alerts;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import uk.bookinghub.http.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A Slack incoming webhook ({@code SLACK_WEBHOOK_URL}): a Block Kit message (header, detail,
 * where / how many / since / severity, a link to the group) with the plain {@code text} fallback
 * that notifications and old clients show. Slack answers 200 "ok"; 429 with {@code Retry-After}
 * (seconds) is waited for; other 4xx (invalid_payload, no_service, channel_is_archived...) will
 * not get better by retrying; 5xx and timeouts are retried.
 */
public final class SlackChannel implements AlertChannel {

    private final URI webhook;
    private final HttpClient http;

    public SlackChannel(String webhookUrl) {
        this.webhook = webhookUrl == null || webhookUrl.isBlank() ? null : URI.create(webhookUrl.trim());
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Override
    public String name() {
        return "slack";
    }

    @Override
    public boolean configured() {
        return webhook != null;
    }

    @Override
    public Outcome send(Notification n) {
        HttpRequest req = HttpRequest.newBuilder(webhook).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(payload(n)))).build();
        HttpResponse<String> res;
        try {
            res = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return Outcome.failed("Slack unreachable: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.failed("interrupted");
        }
        int status = res.statusCode();
        if (status >= 200 && status < 300) {
            return Outcome.ok();
        }
        String body = res.body() == null ? "" : res.body().length() > 200 ? res.body().substring(0, 200) : res.body();
        if (status == 429) {
            return new Outcome(false, "Slack rate limited (429)", retryAfter(res.headers().firstValue("Retry-After").orElse(null)), false);
        }
        if (status >= 400 && status < 500) {
            return new Outcome(false, "Slack refused the message: " + status + " " + body, null, true);
        }
        return Outcome.failed("Slack answered " + status + " " + body);
    }

    static Duration retryAfter(String header) {
        try {
            long s = header == null ? 30 : Long.parseLong(header.trim());
            return Duration.ofSeconds(Math.max(1, Math.min(s, 3600)));
        } catch (NumberFormatException e) {
            return Duration.ofSeconds(30);
        }
    }

    /** The Block Kit message with its plain-text fallback. */
    static ObjectNode payload(Notification n) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("text", n.text());
        ArrayNode blocks = root.putArray("blocks");
        ObjectNode header = blocks.addObject().put("type", "header");
        header.putObject("text").put("type", "plain_text").put("text", cut(n.headline(), 150));
        if (n.detail() != null && !n.detail().isBlank()) {
            blocks.addObject().put("type", "section").putObject("text").put("type", "mrkdwn").put("text", cut(escape(n.detail()), 2900));
        }
        ObjectNode facts = blocks.addObject().put("type", "section");
        ArrayNode fields = facts.putArray("fields");
        field(fields, "Where", n.where().isEmpty() ? "hub" : n.where());
        if (!"test".equals(n.kind())) {
            field(fields, "How many", n.count() + (n.count() == 1 ? " occurrence" : " occurrences"));
            field(fields, "Since", String.valueOf(n.since()));
        }
        field(fields, "Severity", n.severity() + " (rule " + n.rule() + ")");
        if ("resolved".equals(n.kind())) {
            field(fields, "Resolved at", String.valueOf(n.at()));
        }
        ObjectNode context = blocks.addObject().put("type", "context");
        String ctx = "group `" + escape(n.groupKey()) + "`" + (n.link() == null ? "" : " · <" + n.link() + "|open the group in the error-stats API>");
        context.putArray("elements").addObject().put("type", "mrkdwn").put("text", ctx);
        return root;
    }

    private static void field(ArrayNode fields, String name, String value) {
        fields.addObject().put("type", "mrkdwn").put("text", "*" + name + "*\n" + cut(escape(value), 1900));
    }

    /** Slack's mrkdwn control characters. */
    static String escape(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }
}
