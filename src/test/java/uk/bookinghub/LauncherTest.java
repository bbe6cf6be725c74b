package uk.bookinghub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import uk.bookinghub.support.Readme;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/hub}, the one way the hub is started: the README's commands, the Dockerfile and the
 * benchmarks all go through it (so the figures in BENCHMARKS.md are those of the hub people run),
 * and it picks the newest Java runtime, ParallelGC and, from Java 19, the class-data archive.
 */
class LauncherTest {

    private static final Path LAUNCHER = Path.of("bin/hub");

    @TempDir
    Path tmp;

    /** A fake JDK home whose java prints its arguments; {@code release} names the version. */
    private Path jdk(String name, String version) throws IOException {
        Path home = tmp.resolve(name);
        Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"" + version + "\"\n");
        Path java = home.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\necho \"ran $*\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return java;
    }

    private static String run(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("sh", LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("HUB_JAVA");
        pb.environment().remove("HUB_JVM_OPTS");
        pb.environment().remove("HUB_CDS_ARCHIVE");
        pb.environment().remove("HUB_JAR");
        pb.environment().putAll(env);
        Process p = pb.start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void theReadmeTheDockerfileAndTheBenchmarksStartTheHubThroughTheLauncher() throws Exception {
        List<String> section = Readme.load().section("The two commands");
        int tryIt = 0;
        while (tryIt < section.size() && !section.get(tryIt).startsWith("Try it")) {
            tryIt++;
        }
        assertThat(Readme.hubStart(Readme.commands(section.subList(0, tryIt))).env()).as("the first command: bin/hub, nothing set").isEmpty();
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        assertThat(dockerfile).contains("ENTRYPOINT [\"/app/bin/hub\"]").contains("COPY bin /app/bin");
        assertThat(dockerfile).doesNotContain("ENTRYPOINT [\"java\"");
        String readmeStart = Files.readString(Path.of("bench/readme-start.sh"));
        assertThat(readmeStart).contains("bin/hub");
        // every benchmark that starts a hub does it with the launcher (hub_start of readme-start.sh), never java itself
        try (var files = Files.list(Path.of("bench"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".sh")).toList()) {
                String text = Files.readString(f);
                assertThat(text).as(f + " runs java -jar itself").doesNotContainPattern("java \\$HUB_J\\w*_OPTS");
            }
        }
    }

    @Test
    void itRunsTheNewestJavaWithParallelGcTheClassDataArchiveFromJava19AndCompactHeadersFrom25() throws Exception {
        Path java17 = jdk("jdk17", "17.0.15");
        Path java99 = jdk("jdk99", "99.0.1");
        // the newest of JAVA_HOME and the others (the machine's own JDKs are older than 99)
        String out = run(Map.of("JAVA_HOME", java99.getParent().getParent().toString()), "restore", "--from", "x.pgdump");
        assertThat(out).startsWith("ran -XX:+UseParallelGC -XX:+UseCompactObjectHeaders -XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=target/booking-hub.jsa")
                .contains("--sun-misc-unsafe-memory-access=allow").doesNotContain("--enable-native-access")
                .endsWith("-jar target/booking-hub.jar restore --from x.pgdump");
        // Java 17 chosen by hand: no archive or header flags it would not know
        String old = run(Map.of("HUB_JAVA", java17.toString(), "HUB_JVM_OPTS", "-Xmx1g"));
        assertThat(old).isEqualTo("ran -XX:+UseParallelGC -Xmx1g -jar target/booking-hub.jar");
        // the archive beside another jar, or off
        assertThat(run(Map.of("HUB_JAVA", java99.toString(), "HUB_JAR", "/tmp/x/hub.jar")))
                .contains("-XX:SharedArchiveFile=/tmp/x/hub.jsa").endsWith("-jar /tmp/x/hub.jar");
        assertThat(run(Map.of("HUB_JAVA", java99.toString(), "HUB_CDS_ARCHIVE", "off"))).doesNotContain("SharedArchive")
                .contains("-XX:+UseCompactObjectHeaders");
        // Java 24 has compact headers only as an experiment: not turned on there
        assertThat(run(Map.of("HUB_JAVA", jdk("jdk24", "24.0.2").toString()))).doesNotContain("CompactObjectHeaders")
                .contains("--sun-misc-unsafe-memory-access=allow");
        // an archive older than the jar (a rebuild) is removed before the start, so the JVM writes a fresh one at the
        // stop (the JVM refuses a stale one and then writes none); one newer than the jar is kept
        Path dir = Files.createTempDirectory("hub-launch-");
        Path jar = Files.writeString(dir.resolve("hub.jar"), "jar");
        Path jsa = Files.writeString(dir.resolve("hub.jsa"), "archive");
        Files.setLastModifiedTime(jsa, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        run(Map.of("HUB_JAVA", java99.toString(), "HUB_JAR", jar.toString()));
        assertThat(jsa).doesNotExist();
        Files.writeString(jsa, "archive");
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        run(Map.of("HUB_JAVA", java99.toString(), "HUB_JAR", jar.toString()));
        assertThat(jsa).exists();
        // a dry run prints what it would run
        assertThat(run(Map.of("HUB_JAVA", java17.toString(), "HUB_LAUNCH_DRY_RUN", "1"))).isEqualTo(java17 + " -XX:+UseParallelGC -jar target/booking-hub.jar");
    }
}
