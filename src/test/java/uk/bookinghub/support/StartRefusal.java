package uk.bookinghub.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A hub started with the real route files plus one more, which must make it refuse to start: the
 * messages of the failure (every cause), for a test to check that they name what is wrong.
 */
public final class StartRefusal {

    private StartRefusal() {
    }

    /** Starts a hub on a fresh SQLite database with {@code routes/} and {@code fileName} holding {@code yaml}; the failure's messages, or null if it started. */
    public static String messages(String fileName, String yaml) throws Exception {
        Path dir = Files.createTempDirectory("routes-refused-");
        try (var files = Files.list(Path.of("routes"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Files.writeString(dir.resolve(fileName), yaml);
        TestDatabase other = TestDatabase.create(TestDatabase.Kind.SQLITE);
        try {
            Throwable failure = null;
            try (RunningHub h = RunningHub.start(other.hubUrl(), Map.of("hub.routes-dir", dir.toString()))) {
                // started: null below
            } catch (RuntimeException e) {
                failure = e;
            }
            if (failure == null) {
                return null;
            }
            StringBuilder messages = new StringBuilder();
            for (Throwable t = failure; t != null; t = t.getCause()) {
                messages.append(t.getMessage()).append(' ');
            }
            return messages.toString();
        } finally {
            other.close();
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }
}
