package uk.bookinghub;

import org.junit.jupiter.api.Test;

import uk.bookinghub.support.RunningHub;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hub started as a process (as {@code java -jar} does) with a bad or unreachable database
 * says so in one clear log line and exits non-zero: no stack-trace wall, no half-started hub.
 */
class StartupFailureTest {

    private record Run(int exit, String output) {
    }

    private static Run run(String databaseUrl) throws Exception {
        return run(databaseUrl, java.util.Map.of());
    }

    private static Run run(String databaseUrl, java.util.Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "uk.bookinghub.HubApp"));
        pb.environment().put("DATABASE_URL", databaseUrl);
        pb.environment().put("PORT", String.valueOf(RunningHub.freePort()));
        pb.environment().put("HUB_MANAGEMENT_PORT", String.valueOf(RunningHub.freePort()));
        pb.environment().put("CAMEL_MAIN_PROFILE", "prod");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly();
            throw new AssertionError("the hub kept running with DATABASE_URL=" + databaseUrl);
        }
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void badDatabaseUrlIsOneClearLineAndANonZeroExit() throws Exception {
        Run r = run("mysql://root:hunter2@localhost/hub");
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("The hub cannot start: unsupported database URL scheme 'mysql'");
        assertThat(r.output()).doesNotContain("hunter2").doesNotContain("\tat ");
    }

    @Test
    void unreachableDatabaseIsOneClearLineAndANonZeroExit() throws Exception {
        int closed = RunningHub.freePort();
        Run r = run("postgres://postgres:pw@127.0.0.1:" + closed + "/hub");
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("The hub cannot start: cannot connect to jdbc:postgresql://127.0.0.1:" + closed + "/hub");
        assertThat(r.output()).doesNotContain("\tat ");
    }

    /** Defaults live only in application.properties: a key missing there is named at start-up, never silently defaulted in Java. */
    @Test
    void aSettingMissingFromThePropertiesFileIsNamedAndANonZeroExit() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("hub-config");
        java.nio.file.Path config = dir.resolve("application.properties");
        java.nio.file.Files.write(config, java.nio.file.Files.readAllLines(java.nio.file.Path.of("application.properties")).stream()
                .filter(l -> !l.startsWith("hub.leads.chunk-size")).toList());
        Run r = run("", java.util.Map.of("HUB_CONFIG", config.toString(), "HUB_SQLITE_PATH", dir.resolve("hub.db").toString(),
                "HUB_ROUTES_DIR", java.nio.file.Path.of("routes").toAbsolutePath().toString()));
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("The hub cannot start:").contains("hub.leads.chunk-size");
        assertThat(r.output()).doesNotContain("\tat ");
    }
}
