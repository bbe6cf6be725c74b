package uk.bookinghub;

import org.junit.jupiter.api.Test;

import uk.bookinghub.support.Readme;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's "Changing a route" table lists every file in routes/, once, and nothing else. */
class ReadmeRoutesTest {

    @Test
    void theReadmesRouteFileTableListsExactlyTheFilesInRoutes() throws Exception {
        List<String> listed = Readme.load().section("Changing a route (ops)").stream()
                .filter(l -> l.startsWith("| `"))
                .map(l -> l.substring(3, l.indexOf('`', 3)))
                .toList();
        List<String> files;
        try (Stream<Path> s = Files.list(Path.of("routes"))) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".camel.yaml")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        assertThat(listed).as("README 'Changing a route (ops)' table").doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(files);
    }
}
