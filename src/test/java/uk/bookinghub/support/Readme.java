package uk.bookinghub.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The repository's README.md, read the way a newcomer reads it: sections, code blocks, shell commands. */
public final class Readme {

    private final List<String> lines;

    private Readme(List<String> lines) {
        this.lines = lines;
    }

    public static Readme load() {
        try {
            return new Readme(Files.readAllLines(Path.of("README.md")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines of the section under this heading (any level), up to the next heading of the same or a higher level. */
    public List<String> section(String heading) {
        int start = -1;
        int level = 0;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.startsWith("#") && l.replaceFirst("^#+\\s*", "").equals(heading)) {
                start = i + 1;
                level = l.indexOf(' ');
                break;
            }
        }
        if (start < 0) {
            throw new IllegalStateException("README.md has no section '" + heading + "'");
        }
        List<String> out = new ArrayList<>();
        for (int i = start; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.startsWith("#") && l.indexOf(' ') > 0 && l.indexOf(' ') <= level && l.substring(0, l.indexOf(' ')).chars().allMatch(c -> c == '#')) {
                break;
            }
            out.add(l);
        }
        return out;
    }

    /** The indented (4-space) code lines of a section, shell continuations ({@code \}) joined into one command each. */
    public static List<String> commands(List<String> section) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = null;
        for (String l : section) {
            if (!l.startsWith("    ")) {
                if (cur != null) {
                    out.add(cur.toString().trim());
                    cur = null;
                }
                continue;
            }
            String code = l.substring(4);
            boolean more = code.stripTrailing().endsWith("\\");
            if (more) {
                code = code.stripTrailing();
                code = code.substring(0, code.length() - 1);
            }
            if (cur == null) {
                cur = new StringBuilder();
            }
            cur.append(code.trim()).append(' ');
            if (!more) {
                out.add(cur.toString().trim());
                cur = null;
            }
        }
        if (cur != null) {
            out.add(cur.toString().trim());
        }
        return out;
    }

    /** Splits one shell command into words: single and double quotes, backslash escapes, a trailing {@code # comment} dropped. */
    public static List<String> words(String command) {
        List<String> out = new ArrayList<>();
        StringBuilder w = null;
        char quote = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < command.length()) {
                    w.append(command.charAt(++i));
                } else {
                    w.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                w = w == null ? new StringBuilder() : w;
            } else if (Character.isWhitespace(c)) {
                if (w != null) {
                    out.add(w.toString());
                    w = null;
                }
            } else if (c == '#' && w == null) {
                break;
            } else {
                w = w == null ? new StringBuilder() : w;
                w.append(c == '\\' && i + 1 < command.length() ? command.charAt(++i) : c);
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unbalanced quote in: " + command);
        }
        if (w != null) {
            out.add(w.toString());
        }
        return out;
    }

    /** A {@code NAME=value ... bin/hub} command (the launcher, {@code bin/hub}), taken apart: its environment. */
    public record HubStart(java.util.Map<String, String> env) {
    }

    /** The one {@code bin/hub} start among these, with no arguments (anything up to {@code &&} first removed). */
    public static HubStart hubStart(List<String> commands) {
        List<HubStart> found = new ArrayList<>();
        for (String c : commands) {
            String cmd = c.contains("&&") ? c.substring(c.lastIndexOf("&&") + 2) : c;
            List<String> w = words(cmd);
            int hub = w.indexOf("bin/hub");
            if (hub < 0) {
                continue;
            }
            java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
            for (String a : w.subList(0, hub)) {
                int eq = a.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("not an environment assignment before bin/hub: " + a + " in " + c);
                }
                env.put(a.substring(0, eq), a.substring(eq + 1));
            }
            if (hub + 1 != w.size()) {
                throw new IllegalArgumentException("arguments after bin/hub: " + c);
            }
            found.add(new HubStart(env));
        }
        if (found.size() != 1) {
            throw new IllegalStateException("expected one 'bin/hub' start, found " + found.size() + " in " + commands);
        }
        return found.get(0);
    }
}
