package uk.bookinghub.support;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One read of the hub's Prometheus endpoint ({@code /observe/metrics} on the management port),
 * parsed: the value of a series by name and labels, and {@link #problems()}, the checks
 * {@code promtool check metrics} makes on an exposition, on every metric of the scrape (Camel's and
 * the JVM's too): HELP and TYPE for every metric, before its samples, a HELP that says something,
 * snake_case names and label names, counters and only counters ending in {@code _total}, no
 * {@code _count} / {@code _sum} / {@code _bucket} names nor {@code le} / {@code quantile} labels
 * outside histograms and summaries, no type in the name, no {@code :}, base units rather than
 * prefixed ones ({@code seconds}, not {@code milliseconds}), no abbreviated units ({@code _ns}),
 * no series twice.
 */
public final class Scrape {

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");
    private static final Pattern SNAKE = Pattern.compile("[a-z][a-z0-9_]*");
    /** promtool's (promlint's) lists: units with a metric prefix, and abbreviated units. */
    private static final List<String> UNITS = List.of("amperes", "bytes", "celsius", "grams", "joules", "kelvin", "meters", "metres", "seconds", "volts");
    private static final List<String> PREFIXES = List.of("pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "kibi",
            "mega", "mebi", "giga", "gibi", "tera", "tebi", "peta", "pebi");
    private static final Set<String> ABBREVIATIONS = Set.of("s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d");

    /** A sample: metric name, labels (sorted), value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    public final String text;
    private final List<Sample> samples = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    private Scrape(String text) {
        this.text = text;
        parse();
    }

    public static Scrape of(RunningHub hub) {
        HttpResponse<String> r = hub.get(hub.managementUrl("/observe/metrics"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new Scrape(r.body());
    }

    /** An exposition read from elsewhere (a fixed text in a test of these checks). */
    public static Scrape parse(String text) {
        return new Scrape(text);
    }

    /** The value of the one series with this name and these labels (name, value pairs); 0 when the series is absent. */
    public double value(String name, String... labels) {
        double found = 0;
        int matches = 0;
        for (Sample s : samples) {
            if (s.name().equals(name) && has(s.labels(), labels)) {
                found = s.value();
                matches++;
            }
        }
        assertThat(matches).as("series %s %s", name, List.of(labels)).isLessThanOrEqualTo(1);
        return found;
    }

    /** Whether a sample with this name is in the scrape. */
    public boolean has(String name) {
        return samples.stream().anyMatch(s -> s.name().equals(name));
    }

    /** The HELP text of a metric, or null. */
    public String help(String metric) {
        for (String line : text.split("\n")) {
            if (line.startsWith("# HELP " + metric + " ")) {
                return line.substring(("# HELP " + metric + " ").length());
            }
        }
        return null;
    }

    public List<String> problems() {
        return problems;
    }

    private static boolean has(Map<String, String> actual, String... labels) {
        for (int i = 0; i + 1 < labels.length; i += 2) {
            if (!labels[i + 1].equals(actual.get(labels[i]))) {
                return false;
            }
        }
        return true;
    }

    private void parse() {
        Map<String, String> types = new HashMap<>();
        Set<String> helps = new HashSet<>();
        Set<String> series = new HashSet<>();
        Set<String> closed = new HashSet<>();
        String current = null;
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String[] p = line.split(" ", 4);
                String metric = p.length > 2 ? p[2] : "";
                if (!metric.equals(current)) {
                    if (current != null) {
                        closed.add(current);
                    }
                    if (closed.contains(metric)) {
                        problems.add("metric " + metric + " appears in two places");
                    }
                    current = metric;
                }
                if (line.startsWith("# HELP ")) {
                    if (!helps.add(metric)) {
                        problems.add("second HELP for " + metric);
                    }
                    if (p.length < 4 || p[3].isBlank()) { // promtool says "no help text"
                        problems.add("empty HELP for " + metric);
                    }
                } else if (types.put(metric, p.length > 3 ? p[3] : "") != null) {
                    problems.add("second TYPE for " + metric);
                }
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                problems.add("unreadable line: " + line);
                continue;
            }
            String name = m.group(1);
            Map<String, String> labels = new TreeMap<>();
            if (m.group(3) != null && !m.group(3).isEmpty()) {
                Matcher l = LABEL.matcher(m.group(3));
                int end = 0;
                while (l.find() && l.start() == end) {
                    if (labels.put(l.group(1), l.group(2)) != null) {
                        problems.add("label " + l.group(1) + " twice in " + line);
                    }
                    end = l.end();
                }
                if (end != m.group(3).length()) {
                    problems.add("unreadable labels: " + line);
                }
            }
            double value;
            try {
                value = switch (m.group(4)) {
                    case "NaN" -> Double.NaN;
                    case "+Inf" -> Double.POSITIVE_INFINITY;
                    case "-Inf" -> Double.NEGATIVE_INFINITY;
                    default -> Double.parseDouble(m.group(4));
                };
            } catch (NumberFormatException e) {
                problems.add("bad value: " + line);
                continue;
            }
            samples.add(new Sample(name, labels, value));
            String metric = family(name, types);
            if (metric == null || !metric.equals(current)) {
                problems.add("sample " + name + " is not under its own HELP / TYPE");
            } else if (!helps.contains(metric)) {
                problems.add("no HELP for " + metric);
            }
            if (!SNAKE.matcher(name).matches()) {
                problems.add("metric name not snake_case: " + name);
            }
            for (String label : labels.keySet()) {
                if (!SNAKE.matcher(label).matches()) {
                    problems.add("label name not snake_case: " + label + " in " + name);
                }
                String type = types.get(metric);
                if (label.equals("le") && !"histogram".equals(type) || label.equals("quantile") && !"summary".equals(type)) {
                    problems.add("label " + label + " on the " + type + " " + name);
                }
            }
            if (!series.add(name + new LinkedHashMap<>(labels))) {
                problems.add("series twice: " + line);
            }
        }
        types.forEach((metric, type) -> {
            if (!type.equals("histogram") && !type.equals("summary") && (metric.endsWith("_count") || metric.endsWith("_sum") || metric.endsWith("_bucket"))) {
                problems.add(type + " " + metric + " has a histogram / summary suffix");
            }
            if (metric.contains(":")) {
                problems.add("metric name contains ':': " + metric);
            }
            List<String> parts = List.of(metric.split("_"));
            for (String t : List.of("counter", "gauge", "histogram", "summary", "untyped")) {
                if (parts.contains(t)) {
                    problems.add("metric name " + metric + " includes the type " + t);
                }
            }
            for (String part : parts) {
                if (ABBREVIATIONS.contains(part)) {
                    problems.add("metric name " + metric + " contains an abbreviated unit: " + part);
                }
                for (String unit : UNITS) {
                    for (String prefix : PREFIXES) {
                        if (part.equals(prefix + unit)) {
                            problems.add("metric name " + metric + " uses " + part + ", not the base unit " + unit);
                        }
                    }
                }
            }
            if (type.equals("counter") && !metric.endsWith("_total")) {
                problems.add("counter " + metric + " does not end in _total");
            }
            if (!type.equals("counter") && metric.endsWith("_total")) {
                problems.add(type + " " + metric + " ends in _total (only counters should)");
            }
        });
    }

    /** The metric a sample belongs to: its own name, or the name without a histogram / summary suffix. */
    private static String family(String name, Map<String, String> types) {
        if (types.containsKey(name)) {
            return name;
        }
        for (String suffix : new String[] {"_bucket", "_count", "_sum", "_created"}) {
            if (name.endsWith(suffix) && types.containsKey(name.substring(0, name.length() - suffix.length()))) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return null;
    }
}
