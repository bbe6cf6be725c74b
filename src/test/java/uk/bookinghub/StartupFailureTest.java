package uk.bookinghub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import uk.bookinghub.support.RunningHub;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A start that cannot serve, fails: the hub started as a process (as {@code java -jar} does) that
 * cannot serve says why in one {@code [CRITICAL ALERT] The hub cannot start: …} line that names what
 * to do, and exits 1: no stack-trace wall, no half-started hub, no "JVM shutdown hook triggered by
 * SIGTERM" line that would send an operator looking for who killed it. The line is what the operator
 * reads, so these tests read the process's output.
 */
class StartupFailureTest {

    private static final String CANNOT_START = "[CRITICAL ALERT] The hub cannot start: ";

    private record Run(int exit, String output) {

        /** The one critical line, without the log prefix. */
        String reason() {
            return output.lines().filter(l -> l.contains(CANNOT_START)).map(l -> l.substring(l.indexOf(CANNOT_START) + CANNOT_START.length()))
                    .findFirst().orElse("(no '" + CANNOT_START + "' line in:\n" + output + ")");
        }

        void isOneClearLineAndExitCodeOne() {
            assertThat(exit).as(output).isEqualTo(1);
            assertThat(output.lines().filter(l -> l.contains(CANNOT_START))).as(output).hasSize(1);
            assertThat(output).doesNotContain("\tat ").doesNotContain("triggered by SIGTERM");
        }
    }

    private final Path dir = temp();

    private static Path temp() {
        try {
            return Files.createTempDirectory("hub-start-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void removeTemp() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /** The hub in its own JVM, from {@code workDir}, on free loopback ports unless {@code env} says otherwise. */
    private Run run(Path workDir, Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "uk.bookinghub.HubApp"));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        Map<String, String> e = pb.environment();
        for (String k : List.of("HUB_ROUTES_RELOAD", "HUB_CONFIG", "HUB_ROUTES_DIR", "DATABASE_URL", "HUB_JOLOKIA_WRITE", "HUB_JOLOKIA_PASSWORD", "HUB_JWT_SECRET", "JAVA_TOOL_OPTIONS")) {
            e.remove(k);
        }
        e.put("CAMEL_MAIN_PROFILE", "prod");
        e.put("HOST", "127.0.0.1");
        e.put("PORT", String.valueOf(RunningHub.freePort()));
        e.put("HUB_MANAGEMENT_PORT", String.valueOf(RunningHub.freePort()));
        e.put("HUB_SQLITE_PATH", dir.resolve("hub.db").toString());
        e.putAll(env);
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("hub.log").toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the hub kept running with " + env + ":\n" + Files.readString(dir.resolve("hub.log")));
        }
        return new Run(p.exitValue(), Files.readString(dir.resolve("hub.log"), StandardCharsets.UTF_8));
    }

    private Run run(Map<String, String> env) throws Exception {
        return run(Path.of("").toAbsolutePath(), env);
    }

    /** A copy of routes/ plus one more file. */
    private Path routesWith(String fileName, String yaml) throws IOException {
        Path routes = Files.createDirectory(dir.resolve("routes"));
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        Files.writeString(routes.resolve(fileName), yaml);
        return routes;
    }

    @Test
    void badDatabaseUrlIsOneClearLineAndANonZeroExit() throws Exception {
        Run r = run(Map.of("DATABASE_URL", "mysql://root:hunter2@localhost/hub"));
        r.isOneClearLineAndExitCodeOne();
        assertThat(r.reason()).startsWith("unsupported database URL scheme 'mysql'");
        assertThat(r.output()).doesNotContain("hunter2");
    }

    @Test
    void unreachableDatabaseIsOneClearLineAndANonZeroExit() throws Exception {
        int closed = RunningHub.freePort();
        Run r = run(Map.of("DATABASE_URL", "postgres://postgres:pw@127.0.0.1:" + closed + "/hub"));
        r.isOneClearLineAndExitCodeOne();
        assertThat(r.reason()).startsWith("cannot connect to jdbc:postgresql://127.0.0.1:" + closed + "/hub");
    }

    @Test
    void aDatabasePortThatIsNotANumberIsNamed() throws Exception {
        Run r = run(Map.of("DATABASE_URL", "postgres://u@host:notaport/db"));
        r.isOneClearLineAndExitCodeOne();
        assertThat(r.reason()).isEqualTo("database URL port 'notaport' is not a port number 1-65535 (expected postgres://user:pass@host:port/database)");
    }

    @Test
    void thePublicPortTakenByAnotherProcessStopsTheStart() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            Run r = run(Map.of("PORT", String.valueOf(other.getLocalPort())));
            r.isOneClearLineAndExitCodeOne();
            assertThat(r.reason()).isEqualTo("the public port " + other.getLocalPort()
                    + " on 127.0.0.1 is already in use by another process (stop it, or give the hub another port with PORT)");
        }
    }

    @Test
    void theManagementPortTakenByAnotherProcessStopsTheStart() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            Run r = run(Map.of("HUB_MANAGEMENT_PORT", String.valueOf(other.getLocalPort())));
            r.isOneClearLineAndExitCodeOne();
            assertThat(r.reason()).isEqualTo("the management port " + other.getLocalPort()
                    + " on 127.0.0.1 is already in use by another process (stop it, or give the hub another port with HUB_MANAGEMENT_PORT)");
        }
    }

    @Test
    void anEmptyRoutesFolderStopsTheStart() throws Exception {
        Path empty = Files.createDirectory(dir.resolve("routes"));
        Files.writeString(empty.resolve("notes.txt"), "not a route file");
        Run r = run(Map.of("HUB_ROUTES_DIR", empty.toString()));
        r.isOneClearLineAndExitCodeOne();
        assertThat(r.reason()).isEqualTo("no route files (*.camel.yaml) in " + empty
                + " (the hub would serve nothing: run from the repository root or set HUB_ROUTES_DIR)");
    }

    @Test
    void aMissingRoutesFolderStopsTheStart() throws Exception {
        Path missing = dir.resolve("no-such-routes");
        Run r = run(Map.of("HUB_ROUTES_DIR", missing.toString()));
        r.isOneClearLineAndExitCodeOne();
        assertThat(r.reason()).isEqualTo("routes folder not found: " + missing + " (run from the repository root or set HUB_ROUTES_DIR)");
    }

    @Test
    void startingFromTheWrongDirectoryNamesTheMissingConfiguration() throws Exception {
        Run r = run(dir, new HashMap<>());
        r.isOneClearLineAndExitCodeOne();
        assertThat(r.reason()).isEqualTo("configuration file not found: " + dir.resolve("application.properties")
                + " (set HUB_CONFIG or run from the repository root)");
    }

    @Test
    void aRouteThatCannotStartStopsTheStart() throws Exception {
        // two consumers of one direct: endpoint: whichever starts second cannot (the start order is Camel's)
        Path routes = routesWith("ops-extra.camel.yaml", """
                - route:
                    id: ops-extra-a
                    description: A consumer of direct:ops-extra
                    from:
                      uri: direct:ops-extra
                      steps:
                        - log: a
                - route:
                    id: ops-extra-b
                    description: A second consumer of the same endpoint
                    from:
                      uri: direct:ops-extra
                      steps:
                        - log: b
                """);
        Run r = run(Map.of("HUB_ROUTES_DIR", routes.toString()));
        r.isOneClearLineAndExitCodeOne();
        assertThat(r.reason()).matches("route ops-extra-[ab] \\(file:" + java.util.regex.Pattern.quote(routes.resolve("ops-extra.camel.yaml").toString())
                        + "\\): .*Multiple consumers for the same endpoint is not allowed: direct://ops-extra.*")
                .endsWith("(fix the route file, or what it depends on, and start again)");
    }

    @Test
    void aRouteThatCannotBeBuiltStopsTheStart() throws Exception {
        Path routes = routesWith("ops-extra.camel.yaml", """
                - route:
                    id: ops-extra
                    description: A route calling a bean that does not exist
                    from:
                      uri: timer:ops-extra
                      steps:
                        - bean:
                            ref: noSuchBean
                            method: go
                """);
        Run r = run(Map.of("HUB_ROUTES_DIR", routes.toString()));
        r.isOneClearLineAndExitCodeOne();
        assertThat(r.reason()).isEqualTo("route ops-extra cannot be built: No bean could be found in the registry for: noSuchBean"
                + " (fix its route file and start again)");
    }

    @Test
    void aTokenSecretShorterThan256BitsIsNamedNotShown() throws Exception {
        Run r = run(Map.of("HUB_JWT_SECRET", "hunter2-is-not-long-enough"));
        r.isOneClearLineAndExitCodeOne();
        assertThat(r.reason()).startsWith("HUB_JWT_SECRET (hub.auth.jwt-secret) is 26 bytes; HS256 tokens need a secret of at least 32 bytes (256 bits)");
        assertThat(r.output()).doesNotContain("hunter2");
    }

    @Test
    void aSettingMissingFromThePropertiesFileIsNamed() throws Exception {
        Path config = dir.resolve("application.properties");
        Files.write(config, Files.readAllLines(Path.of("application.properties")).stream()
                .filter(l -> !l.startsWith("hub.leads.chunk-size")).toList());
        Run r = run(Map.of("HUB_CONFIG", config.toString(), "HUB_ROUTES_DIR", Path.of("routes").toAbsolutePath().toString()));
        r.isOneClearLineAndExitCodeOne();
        assertThat(r.reason()).contains("hub.leads.chunk-size");
    }
}
