package uk.bookinghub.leads;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The counters and the problem rows (capped) of one import, as the report and the job progress show them. */
final class ImportReport {
    int total;
    int imported;
    int invalid;
    int duplicateInFile;
    int recentlyContacted;
    int warned;
    int optedOut;
    int alreadyImported;
    /** Rows of a person the client erased on request (a suppression entry): never stored, never contacted. */
    int suppressed;
    /** Leads imported per lead source ("" when the row gave none): the import's lead.imported events. */
    final Map<String, Integer> importedBySource = new LinkedHashMap<>();
    private final int maxProblems;
    private final List<Map<String, Object>> problems = new ArrayList<>();
    private int moreProblems;

    ImportReport(int maxProblems) {
        this.maxProblems = maxProblems;
    }

    /** Whether another problem row would still be listed (not just counted). */
    boolean listsMoreProblems() {
        return problems.size() < maxProblems;
    }

    void problem(int line, String value, String reason, boolean imported) {
        if (problems.size() >= maxProblems) {
            moreProblems++;
            return;
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("line", line);
        p.put("value", value);
        p.put("reason", reason);
        p.put("imported", imported);
        problems.add(p);
    }

    /** One more lead imported, of this source. */
    void imported(String source) {
        imported++;
        importedBySource.merge(source == null ? "" : source, 1, Integer::sum);
    }

    Map<String, Object> counts() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total", total);
        m.put("imported", imported);
        m.put("invalid", invalid);
        m.put("duplicateInFile", duplicateInFile);
        m.put("recentlyContacted", recentlyContacted);
        m.put("warned", warned);
        m.put("optedOut", optedOut);
        m.put("alreadyImported", alreadyImported);
        m.put("suppressed", suppressed);
        return m;
    }

    Map<String, Object> summary(String importId) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("importId", importId);
        m.putAll(counts());
        List<Map<String, Object>> sorted = new ArrayList<>(problems);
        sorted.sort(java.util.Comparator.comparingInt(p -> (Integer) p.get("line")));
        m.put("problems", sorted);
        m.put("moreProblems", moreProblems);
        return m;
    }
}
