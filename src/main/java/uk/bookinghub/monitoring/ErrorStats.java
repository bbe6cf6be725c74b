package uk.bookinghub.monitoring;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.api.Params;
import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/error-stats} and {@code GET /api/error-stats/groups/{fingerprint}} (admin): the
 * error log grouped by cause ({@link ErrorFingerprint}), read from its 5-minute roll-up
 * ({@code error_counts}, kept with every row by {@link ErrorLogStore}).
 *
 * <p>A window is {@code [since, until)} (ISO-8601; a date-time without an offset is UTC), by default
 * the last {@code hub.error-stats.default-hours}, at most {@code hub.error-stats.max-days} long; it is
 * widened to whole 5-minute buckets (since rounded down, until rounded up) and the answer says the
 * window it used. Each group carries a {@code link} to its page ({@code hub.public-base-url}), the
 * one alerts point to.
 */
public final class ErrorStats {

    /** The roll-up's bucket: 5 minutes. */
    public static final int BUCKET_SECONDS = 300;
    /** How many groups the statistics list (the most frequent). */
    public static final int TOP = 10;
    /** The most rows one group page shows. */
    public static final int MAX_ROWS = 500;
    static final List<String> SEVERITIES = List.of("critical", "error", "warning");
    private static final Duration GROUP_TREND = Duration.ofHours(24);

    private final ErrorLogStore store;
    private final Clock clock;
    private final String groupLink;
    private final Duration defaultWindow;
    private final Duration maxWindow;
    private final int defaultRows;

    public ErrorStats(ErrorLog log, Clock clock, String publicBaseUrl, int defaultHours, int maxDays, int defaultRows) {
        if (defaultHours < 1 || maxDays < 1 || Duration.ofHours(defaultHours).compareTo(Duration.ofDays(maxDays)) > 0) {
            throw new IllegalArgumentException("hub.error-stats.default-hours (" + defaultHours + ") must be 1 or more and within hub.error-stats.max-days ("
                    + maxDays + ")");
        }
        if (defaultRows < 1 || defaultRows > MAX_ROWS) {
            throw new IllegalArgumentException("hub.error-stats.group-rows must be between 1 and " + MAX_ROWS + ", got " + defaultRows);
        }
        this.store = log.store();
        this.clock = clock;
        String base = publicBaseUrl == null ? "" : publicBaseUrl.strip();
        this.groupLink = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/api/error-stats/groups/";
        this.defaultWindow = Duration.ofHours(defaultHours);
        this.maxWindow = Duration.ofDays(maxDays);
        this.defaultRows = defaultRows;
    }

    /** The start of the 5-minute bucket {@code at} falls in. */
    public static Instant bucket(Instant at) {
        return Instant.ofEpochSecond(Math.floorDiv(at.getEpochSecond(), BUCKET_SECONDS) * BUCKET_SECONDS);
    }

    /** The link to a group's page, as alerts and the statistics give it. */
    public String link(String fingerprint) {
        return groupLink + fingerprint;
    }

    /** {@code GET /api/error-stats?since=&until=&severity=&service=}. */
    public Map<String, Object> stats(Params params) {
        ErrorLogStore.Window w = window(params);
        List<ErrorLogStore.GroupSeverity> rows = store.groups(w);
        Map<String, Long> totals = new LinkedHashMap<>();
        long total = 0;
        for (String s : SEVERITIES) {
            totals.put(s, 0L);
        }
        Map<String, Group> groups = new HashMap<>();
        for (ErrorLogStore.GroupSeverity r : rows) {
            totals.merge(r.severity(), r.count(), Long::sum);
            total += r.count();
            groups.computeIfAbsent(r.fingerprint(), Group::new).add(r);
        }
        List<Group> top = groups.values().stream()
                .sorted(Comparator.comparingLong((Group g) -> g.count).reversed()
                        .thenComparing((Group g) -> g.lastSeen, Comparator.reverseOrder()).thenComparing(g -> g.fingerprint))
                .limit(TOP).toList();
        Map<String, String> samples = store.samples(top.stream().map(g -> g.fingerprint).toList(), w);
        List<Map<String, Object>> listed = new ArrayList<>();
        for (Group g : top) {
            Map<String, Object> m = g.describe(samples.get(g.fingerprint));
            m.put("link", link(g.fingerprint));
            listed.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("since", w.since().toString());
        out.put("until", w.until().toString());
        out.put("bucketSeconds", BUCKET_SECONDS);
        if (w.severity() != null || w.service() != null) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("severity", w.severity());
            f.put("service", w.service());
            out.put("filters", f);
        }
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("total", total);
        t.putAll(totals);
        out.put("totals", t);
        out.put("groupCount", groups.size());
        out.put("groups", listed);
        out.put("trend", trend(store.trend(w), w.since(), w.until(), true));
        return out;
    }

    /** {@code GET /api/error-stats/groups/{fingerprint}?limit=}: the group over everything logged, and its latest rows. */
    public Map<String, Object> group(Params params) {
        String fp = params.text("fingerprint");
        if (!ErrorFingerprint.valid(fp)) {
            throw HttpProblem.badRequest("fingerprint must be 16 lower-case hex characters, as GET /api/error-stats lists them, got '"
                    + (fp == null ? "" : fp.length() > 40 ? fp.substring(0, 40) + "…" : fp) + "'", Map.of("parameter", "fingerprint"));
        }
        Long asked = params.whole("limit");
        if (asked != null && (asked < 1 || asked > MAX_ROWS)) {
            throw HttpProblem.badRequest("limit must be between 1 and " + MAX_ROWS + ", got " + asked, Map.of("parameter", "limit"));
        }
        int limit = asked == null ? defaultRows : asked.intValue();
        List<ErrorLogStore.GroupSeverity> summary = store.group(fp);
        List<ErrorLogStore.Row> rows = store.latest(fp, limit);
        if (summary.isEmpty() && rows.isEmpty()) {
            throw HttpProblem.notFound("no error with fingerprint " + fp + " is logged");
        }
        Group g = new Group(fp);
        summary.forEach(g::add);
        String sample = rows.isEmpty() ? null : rows.get(0).message();
        Map<String, Object> out = g.describe(sample);
        out.put("pattern", ErrorFingerprint.normalise(sample));
        out.put("exceptionType", ErrorFingerprint.exceptionType(sample));
        out.put("link", link(fp));
        Instant until = bucket(clock.instant()).plusSeconds(BUCKET_SECONDS);
        Instant since = until.minus(GROUP_TREND);
        out.put("trendSince", since.toString());
        out.put("trend", trend(store.groupTrend(fp, since), since, until, false));
        out.put("limit", limit);
        List<Map<String, Object>> listed = new ArrayList<>();
        for (ErrorLogStore.Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", r.id());
            m.put("at", r.at() == null ? null : r.at().toString());
            m.put("severity", r.severity());
            m.put("service", r.service());
            m.put("routeId", r.routeId());
            m.put("message", r.message());
            putContext(m, r.context());
            listed.add(m);
        }
        out.put("rows", listed);
        return out;
    }

    /** The context as JSON; a stored text that is not JSON is shown as it is ({@code contextText}). */
    private static void putContext(Map<String, Object> m, String context) {
        if (context == null || context.isBlank()) {
            m.put("context", null);
            return;
        }
        try {
            JsonNode n = Json.MAPPER.readTree(context);
            m.put("context", n);
        } catch (Exception e) {
            m.put("context", null);
            m.put("contextText", context);
        }
    }

    /** Every bucket of {@code [since, until)}, zeros included, oldest first; per severity when {@code bySeverity}. */
    private static List<Map<String, Object>> trend(List<ErrorLogStore.BucketCount> counts, Instant since, Instant until, boolean bySeverity) {
        Map<Instant, Map<String, Long>> by = new HashMap<>();
        for (ErrorLogStore.BucketCount b : counts) {
            by.computeIfAbsent(b.bucket(), k -> new HashMap<>()).merge(b.severity() == null ? "" : b.severity(), b.count(), Long::sum);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Instant t = since; t.isBefore(until); t = t.plusSeconds(BUCKET_SECONDS)) {
            Map<String, Long> c = by.getOrDefault(t, Map.of());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("start", t.toString());
            m.put("count", c.values().stream().mapToLong(Long::longValue).sum());
            if (bySeverity) {
                for (String s : SEVERITIES) {
                    m.put(s, c.getOrDefault(s, 0L));
                }
            }
            out.add(m);
        }
        return out;
    }

    /** The window asked for, checked, widened to whole buckets. */
    ErrorLogStore.Window window(Params params) {
        Instant now = clock.instant();
        Instant since = params.instant("since", ZoneOffset.UTC);
        Instant until = params.instant("until", ZoneOffset.UTC);
        if (until == null) {
            until = since == null || since.isBefore(now) ? now : since.plus(defaultWindow);
        }
        if (since == null) {
            since = until.minus(defaultWindow);
        }
        if (!since.isBefore(until)) {
            throw HttpProblem.badRequest("since (" + since + ") must be before until (" + until + ")", Map.of("parameter", "since"));
        }
        if (Duration.between(since, until).compareTo(maxWindow) > 0) {
            throw HttpProblem.badRequest("the window is at most " + maxWindow.toDays() + " days (hub.error-stats.max-days); since " + since + " to until "
                    + until + " is " + describe(Duration.between(since, until)), Map.of("parameter", "since"));
        }
        Instant from = bucket(since);
        Instant to = bucket(until).equals(until) ? until : bucket(until).plusSeconds(BUCKET_SECONDS);
        return new ErrorLogStore.Window(from, to, params.word("severity"), params.text("service"));
    }

    private static String describe(Duration d) {
        long days = d.toDays();
        long hours = d.toHoursPart();
        return days + " days" + (hours > 0 ? " " + hours + " h" : "");
    }

    /** A group summed over its severities. */
    private static final class Group {
        final String fingerprint;
        long count;
        Instant firstSeen;
        Instant lastSeen;
        String service;
        String routeId;
        String severity;
        final Map<String, Long> bySeverity = new LinkedHashMap<>();

        Group(String fingerprint) {
            this.fingerprint = fingerprint;
        }

        void add(ErrorLogStore.GroupSeverity r) {
            count += r.count();
            bySeverity.merge(r.severity(), r.count(), Long::sum);
            firstSeen = firstSeen == null || r.firstSeen().isBefore(firstSeen) ? r.firstSeen() : firstSeen;
            lastSeen = lastSeen == null || r.lastSeen().isAfter(lastSeen) ? r.lastSeen() : lastSeen;
            service = r.service();
            routeId = r.routeId();
            if (severity == null || SEVERITIES.indexOf(r.severity()) < SEVERITIES.indexOf(severity)) {
                severity = r.severity();
            }
        }

        Map<String, Object> describe(String sample) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("fingerprint", fingerprint);
            m.put("sampleMessage", sample);
            m.put("count", count);
            m.put("severity", severity);
            Map<String, Long> sev = new LinkedHashMap<>();
            for (String s : SEVERITIES) {
                if (bySeverity.containsKey(s)) {
                    sev.put(s, bySeverity.get(s));
                }
            }
            m.put("bySeverity", sev);
            m.put("firstSeen", firstSeen == null ? null : firstSeen.toString());
            m.put("lastSeen", lastSeen == null ? null : lastSeen.toString());
            m.put("service", service);
            m.put("routeId", routeId);
            return m;
        }
    }
}
