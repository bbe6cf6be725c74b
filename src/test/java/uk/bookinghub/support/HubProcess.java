package uk.bookinghub.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The hub started the way an operator starts it: a separate JVM running {@code uk.bookinghub.HubApp}
 * from the repository root, configured only by environment variables (no override properties), on
 * free loopback ports with its own SQLite file and its own copy of {@code routes/}. The JVM is the
 * test's (the jar is not built yet in {@code mvn test}); its classpath is the test classpath.
 * The environment variables that choose a profile or reload are removed unless given.
 */
public final class HubProcess implements AutoCloseable {

    public final int port;
    public final int managementPort;
    public final Path routesDir;
    private final Path dir;
    private final Path log;
    private final Process process;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HubProcess(int port, int managementPort, Path dir, Path routesDir, Path log, Process process) {
        this.port = port;
        this.managementPort = managementPort;
        this.dir = dir;
        this.routesDir = routesDir;
        this.log = log;
        this.process = process;
    }

    /** Starts the hub with these JVM options and environment variables and waits for {@code GET /health} 200. */
    public static HubProcess start(List<String> jvmOptions, Map<String, String> env) {
        try {
            Path dir = Files.createTempDirectory("hub-process-");
            Path routes = Files.createDirectory(dir.resolve("routes"));
            try (var files = Files.list(Path.of("routes"))) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.copy(f, routes.resolve(f.getFileName()));
                }
            }
            int port = RunningHub.freePort();
            int managementPort = RunningHub.freePort();
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvmOptions);
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("uk.bookinghub.HubApp");
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(Path.of("").toAbsolutePath().toFile());
            Map<String, String> e = pb.environment();
            for (String k : List.of("CAMEL_MAIN_PROFILE", "HUB_ROUTES_RELOAD", "HUB_CONFIG", "DATABASE_URL", "HUB_ALLOW_TEST_NUMBERS",
                    "HUB_ADMIN_TOKEN", "VAPI_WEBHOOK_SECRET", "HUB_JOLOKIA_WRITE", "HUB_JOLOKIA_PASSWORD", "JAVA_TOOL_OPTIONS")) {
                e.remove(k);
            }
            e.put("HOST", "127.0.0.1");
            e.put("PORT", String.valueOf(port));
            e.put("HUB_MANAGEMENT_PORT", String.valueOf(managementPort));
            e.put("HUB_SQLITE_PATH", dir.resolve("hub.db").toString());
            e.put("HUB_ROUTES_DIR", routes.toString());
            e.putAll(env);
            Path log = dir.resolve("hub.log");
            pb.redirectErrorStream(true).redirectOutput(log.toFile());
            HubProcess hub = new HubProcess(port, managementPort, dir, routes, log, pb.start());
            hub.awaitHealthy(Duration.ofSeconds(120));
            return hub;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void awaitHealthy(Duration max) {
        try {
            org.awaitility.Awaitility.await().atMost(max).pollInterval(Duration.ofMillis(200)).ignoreExceptionsInstanceOf(IllegalStateException.class)
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new AssertionError("hub exited with " + process.exitValue() + ":\n" + log());
                        }
                        return get("/health").statusCode() == 200;
                    });
        } catch (org.awaitility.core.ConditionTimeoutException | AssertionError e) {
            String printed = log();
            close();
            throw new IllegalStateException("hub did not answer /health 200 within " + max + ":\n" + printed, e);
        }
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Everything the hub printed so far. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).GET());
    }

    public HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temp folder
        }
    }
}
