package uk.bookinghub.leads;

import com.fasterxml.jackson.databind.JsonNode;

import uk.bookinghub.http.HttpProblem;
import uk.bookinghub.http.Json;
import uk.bookinghub.http.Upload;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Lead rows from an upload, a chunk at a time. Request-level problems are thrown before any row is read. */
abstract class RowSource {

    static final List<String> KNOWN = List.of("name", "phone", "email", "source", "consent", "consent_at", "consent_source", "instant");

    /** Up to {@code max} more rows; empty at the end. */
    abstract List<LeadRow> nextChunk(int max);

    /** Rough number of rows, known before reading (for progress and the job threshold). */
    abstract int estimatedRows();

    static RowSource of(Upload body, String contentType) {
        String mime = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT).split(";")[0].trim();
        if (body == null || body.isEmpty()) {
            throw HttpProblem.badRequest("empty body: send a CSV file (text/csv) or a JSON array of leads (application/json)");
        }
        return switch (mime) {
            case "text/csv", "application/csv" -> csv(body);
            case "application/json" -> json(body);
            default -> throw new HttpProblem(415, "unsupported Content-Type '" + (contentType == null ? "" : contentType)
                    + "': use text/csv or application/json");
        };
    }

    static RowSource csv(Upload body) {
        Utf8.requireValid(body.array(), body.offset(), body.length());
        CsvReader reader = new CsvReader(body.array(), body.offset(), body.end());
        CsvReader.Record header = reader.next();
        if (header == null) {
            throw HttpProblem.badRequest("empty CSV: expected a header row such as name,phone,email,source");
        }
        List<String> columns = new ArrayList<>();
        for (String h : header.fields()) {
            columns.add(h.trim().toLowerCase(Locale.ROOT));
        }
        if (!columns.contains("phone")) {
            throw HttpProblem.badRequest("the CSV has no phone column (header: " + String.join(",", header.fields()) + ")");
        }
        int estimate = CsvReader.estimateRows(body.array(), body.offset(), body.end());
        // where each known column is (the first of that name), and the others: kept as attributes
        int[] at = new int[KNOWN.size()];
        java.util.Arrays.fill(at, -1);
        List<Integer> extra = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            int k = KNOWN.indexOf(columns.get(i));
            if (k >= 0 && at[k] < 0) {
                at[k] = i;
            } else if (k < 0 && !columns.get(i).isEmpty() && !columns.subList(0, i).contains(columns.get(i))) {
                extra.add(i);
            }
        }
        return new RowSource() {
            @Override
            List<LeadRow> nextChunk(int max) {
                List<LeadRow> out = new ArrayList<>(max);
                CsvReader.Record r;
                while (out.size() < max && (r = reader.next()) != null) {
                    if (r.error() != null) {
                        out.add(errorRow(r.line(), r.fields(), columns, r.error()));
                    } else if (r.fields().size() != columns.size()) {
                        out.add(errorRow(r.line(), r.fields(), columns, "expected " + columns.size() + " fields, found " + r.fields().size()));
                    } else {
                        out.add(csvRow(r.line(), r.fields(), at, extra, columns));
                    }
                }
                return out;
            }

            @Override
            int estimatedRows() {
                return estimate;
            }
        };
    }

    private static LeadRow csvRow(int line, List<String> f, int[] at, List<Integer> extra, List<String> columns) {
        Map<String, String> attributes = Map.of();
        if (extra.size() == 1) { // the common case (one column we do not model): no map to build
            String v = f.get(extra.get(0));
            attributes = v.isEmpty() ? Map.of() : Map.of(columns.get(extra.get(0)), v);
        } else {
            for (int i : extra) {
                String v = f.get(i);
                if (!v.isEmpty()) {
                    if (attributes.isEmpty()) {
                        attributes = new LinkedHashMap<>();
                    }
                    attributes.put(columns.get(i), v);
                }
            }
        }
        return new LeadRow(line, blankToNull(get(f, at, 0)), get(f, at, 1), blankToNull(get(f, at, 2)), blankToNull(get(f, at, 3)),
                blankToNull(get(f, at, 4)), blankToNull(get(f, at, 5)), blankToNull(get(f, at, 6)), attributes,
                "true".equalsIgnoreCase(get(f, at, 7)), null);
    }

    private static String get(List<String> fields, int[] at, int known) {
        return at[known] < 0 ? null : fields.get(at[known]);
    }

    static RowSource json(Upload body) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body.array(), body.offset(), body.length());
        } catch (java.io.IOException e) {
            throw HttpProblem.badRequest("malformed JSON: " + e.getMessage().split("\n")[0]);
        }
        if (root == null || !root.isArray()) {
            throw HttpProblem.badRequest("expected a JSON array of lead objects");
        }
        if (root.isEmpty()) {
            throw HttpProblem.badRequest("empty JSON array: no leads to import");
        }
        for (int i = 0; i < root.size(); i++) {
            if (!root.get(i).isObject()) {
                throw HttpProblem.badRequest("expected a JSON array of lead objects; item " + (i + 1) + " is " + root.get(i).getNodeType().name().toLowerCase(Locale.ROOT));
            }
        }
        return new RowSource() {
            private int next;

            @Override
            List<LeadRow> nextChunk(int max) {
                List<LeadRow> out = new ArrayList<>(max);
                while (out.size() < max && next < root.size()) {
                    out.add(fromJson(next + 1, root.get(next)));
                    next++;
                }
                return out;
            }

            @Override
            int estimatedRows() {
                return root.size();
            }
        };
    }

    static LeadRow fromJson(int line, JsonNode o) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        boolean instant = false;
        var it = o.fields();
        while (it.hasNext()) {
            var e = it.next();
            String key = e.getKey().trim().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT); // consentAt -> consent_at
            JsonNode v = e.getValue();
            if (key.equals("instant")) {
                instant = v.asBoolean(false);
                continue;
            }
            values.putIfAbsent(key, v == null || v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString());
            order.add(key);
        }
        LeadRow r = row(line, values, order);
        return instant ? new LeadRow(r.line(), r.name(), r.phone(), r.email(), r.source(), r.consent(), r.consentAt(),
                r.consentSource(), r.attributes(), true, r.error()) : r;
    }

    private static LeadRow row(int line, Map<String, String> v, List<String> columns) {
        Map<String, String> attributes = new LinkedHashMap<>();
        for (String c : columns) {
            if (!KNOWN.contains(c) && !c.isEmpty() && v.get(c) != null && !v.get(c).isEmpty()) {
                attributes.put(c, v.get(c));
            }
        }
        return new LeadRow(line, blankToNull(v.get("name")), v.get("phone"), blankToNull(v.get("email")), blankToNull(v.get("source")),
                blankToNull(v.get("consent")), blankToNull(v.get("consent_at")), blankToNull(v.get("consent_source")), attributes,
                "true".equalsIgnoreCase(v.get("instant")), null);
    }

    private static LeadRow errorRow(int line, List<String> fields, List<String> columns, String error) {
        int phoneAt = columns.indexOf("phone");
        String phone = phoneAt >= 0 && phoneAt < fields.size() ? fields.get(phoneAt) : null;
        return new LeadRow(line, null, phone, null, null, null, null, null, Map.of(), false, error);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
