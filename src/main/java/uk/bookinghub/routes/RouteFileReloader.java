package uk.bookinghub.routes;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.FailedToStartRouteException;
import org.apache.camel.Route;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.ServiceStatus;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.builder.RouteConfigurationBuilder;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicy;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteConfigurationDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.rest.RestDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutesLoader;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.support.RoutePolicySupport;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Live route reload ({@code hub.routes.reload}), all or nothing per file. Camel's own watcher
 * ({@code camel.main.routes-reload-*}) removes a file's running routes before it builds their new
 * version, so a bean, method or placeholder that does not resolve left the file's endpoints 404;
 * it also let a route id of one file replace another file's route, ignored deletions, and reset
 * Micrometer's registry after every reload. This watcher, for each changed file:
 * <ol>
 * <li>waits until the folder has been quiet for a moment, so an editor's save (truncate, then
 * write) is seen once, whole; an empty file is waited out (its routes keep running);</li>
 * <li>parses it (a YAML error is refused before anything is touched) and refuses a route id
 * used twice in the file or owned by another file;</li>
 * <li>swaps the file's routes (routes no longer in it are removed) while the HTTP server holds
 * new requests ({@link HeldRequests}), so no request meets a missing endpoint;</li>
 * <li>if any route of the new version cannot be built or started (an unknown bean or method, a
 * missing {@code {{placeholder}}}...), puts the previous version back before the held requests
 * go on, and logs one WARN line with the file, the route, what is wrong and where.</li>
 * </ol>
 * A route that is replaced by its new version keeps its Micrometer meters (counters and timers
 * count on, {@link #keepMeters}); only a route removed for good loses them.
 * A file that holds route configurations (error-handling, front door) is reloaded together with
 * every file whose routes use them, as one change: all apply, or all stay as they were. A deleted
 * file's routes are stopped and removed. One INFO line per reload says what changed.
 */
public final class RouteFileReloader extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(RouteFileReloader.class);
    private static final String SUFFIX = ".camel.yaml";

    private final CamelContext camel;
    private final Path folder;
    private final long quietMillis;
    private final HeldRequests held;
    /** The content of each file as it now runs: what a refused change goes back to. */
    private final Map<Path, String> running = new LinkedHashMap<>();
    /** The route configurations each file holds in the model (identity: a global one has no id). */
    private final Map<Path, List<RouteConfigurationDefinition>> configurations = new LinkedHashMap<>();
    private boolean configurationsKnown;
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    /** Routes whose meters outlive their removal in the change being applied ({@link #keepMeters}). */
    private final Set<String> replacing = ConcurrentHashMap.newKeySet();
    private final KeepMetersOnStop keepMetersOnStop = new KeepMetersOnStop();
    private final List<String> summaries = new CopyOnWriteArrayList<>();
    private WatchService watcher;
    private Thread thread;

    public RouteFileReloader(CamelContext camel, Path folder) {
        this.camel = camel;
        this.folder = folder.toAbsolutePath().normalize();
        this.quietMillis = 300;
        this.held = new HeldRequests(camel);
    }

    /** The WARN lines of refused changes, oldest first (what the log said). */
    public List<String> refusals() {
        return List.copyOf(refusals);
    }

    /** The INFO summary lines of applied changes, oldest first. */
    public List<String> summaries() {
        return List.copyOf(summaries);
    }

    @Override
    protected void doStart() throws Exception {
        try (var files = Files.list(folder)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (isRouteFile(f)) {
                    running.put(f, Files.readString(f));
                }
            }
        }
        camel.getManagementStrategy().addEventNotifier(keepMetersOnStop);
        camel.getCamelContextExtension().setEventNotificationApplicable(true); // off when no notifier was there at start
        ServiceHelper.startService(keepMetersOnStop);
        watcher = folder.getFileSystem().newWatchService();
        folder.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        thread = new Thread(this::watch, "hub-route-reload");
        thread.setDaemon(true);
        thread.start();
        LOG.info("Live route reload: watching {} (a file is applied whole or refused; the previous version keeps serving)", folder);
    }

    @Override
    protected void doStop() throws Exception {
        camel.getManagementStrategy().removeEventNotifier(keepMetersOnStop);
        ServiceHelper.stopService(keepMetersOnStop);
        if (watcher != null) {
            watcher.close();
        }
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void watch() {
        Set<Path> pending = new LinkedHashSet<>();
        try {
            while (true) {
                WatchKey key = pending.isEmpty() ? watcher.take() : watcher.poll(quietMillis, TimeUnit.MILLISECONDS);
                if (key == null) { // quiet for a moment: the editor has finished writing
                    if (camel.getStatus().isStarted()) {
                        List<Path> now = new ArrayList<>(pending);
                        pending.clear();
                        now.forEach(this::changed);
                    }
                    continue;
                }
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (event.context() instanceof Path name && isRouteFile(name)) {
                        pending.add(folder.resolve(name));
                    }
                }
                key.reset();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ClosedWatchServiceException e) {
            // stopping
        }
    }

    private static boolean isRouteFile(Path f) {
        return f.getFileName().toString().endsWith(SUFFIX);
    }

    /** Applies one changed file (and the files that use its route configurations); never throws. */
    synchronized void changed(Path file) {
        long start = System.nanoTime();
        String name = folder.relativize(file).toString();
        try {
            String content;
            try {
                content = Files.readString(file);
            } catch (NoSuchFileException e) {
                deleted(file, name, start);
                return;
            }
            if (content.isBlank()) {
                LOG.debug("{} is empty (an editor saving?): its routes keep running until it has content", name);
                return;
            }
            if (content.equals(running.get(file))) {
                return;
            }
            Parsed parsed;
            try {
                parsed = parse(file, content);
            } catch (Exception e) {
                refuse(name, null, e);
                return;
            }
            ownConfigurations();
            String problem = ownership(file, parsed);
            if (problem != null) {
                refuse(name, problem);
                return;
            }
            Map<Path, String> change = new LinkedHashMap<>();
            change.put(file, content);
            if (!parsed.configurations.isEmpty()) {
                for (Path user : usersOf(parsed.configurations, file)) {
                    change.put(user, running.get(user));
                }
            }
            apply(change, name, start);
        } catch (Exception e) {
            refuse(name, null, e);
        }
    }

    /** What a file declares: route ids (in order, duplicates kept) and route configuration ids ("" = global). */
    private record Parsed(List<RouteDefinition> routes, Set<String> configurations) {
        List<String> ids() {
            return routes.stream().map(RouteDefinition::getRouteId).filter(id -> id != null).toList();
        }
    }

    private Parsed parse(Path file, String content) throws Exception {
        List<RouteDefinition> routes = new ArrayList<>();
        Set<String> configurations = new TreeSet<>();
        for (RoutesBuilder builder : loader().findRoutesBuilders(resource(file, content))) {
            if (builder instanceof RouteBuilder rb) {
                routes.addAll(rb.configureRoutes(camel).getRoutes());
            }
            if (builder instanceof RouteConfigurationBuilder rcb) {
                rcb.configuration();
                for (RouteConfigurationDefinition c : rcb.getRouteConfigurationCollection().getRouteConfigurations()) {
                    configurations.add(c.getId() == null ? "" : c.getId());
                }
            }
        }
        return new Parsed(routes, configurations);
    }

    /** A route id written twice in the file, or one that another file's route already has; null when none. */
    private String ownership(Path file, Parsed parsed) {
        Map<String, RouteDefinition> seen = new LinkedHashMap<>();
        for (RouteDefinition r : parsed.routes) {
            String id = r.getRouteId();
            if (id == null) {
                continue;
            }
            RouteDefinition first = seen.putIfAbsent(id, r);
            if (first != null) {
                return "route " + id + ": the id is used twice in this file" + lines(first, r) + "; route ids must be unique";
            }
            Route existing = camel.getRoute(id);
            Path owner = existing == null ? null : fileOf(existing.getSourceResource());
            if (owner != null && !owner.equals(file)) {
                return "route " + id + ": the id already belongs to " + folder.relativize(owner) + lines(r)
                        + "; rename it here, or move the route by removing it from that file first";
            }
        }
        return null;
    }

    private static String lines(RouteDefinition... routes) {
        List<String> at = new ArrayList<>();
        for (RouteDefinition r : routes) {
            int line = r.getInput() != null && r.getInput().getLineNumber() > 0 ? r.getInput().getLineNumber() : r.getLineNumber();
            if (line > 0) {
                at.add(String.valueOf(line));
            }
        }
        return at.isEmpty() ? "" : " (line " + String.join(" and ", at) + ")";
    }

    /** The running files whose routes use one of these route configurations (a global one: every file with routes). */
    private Set<Path> usersOf(Set<String> configurations, Path except) {
        Set<Path> users = new TreeSet<>();
        for (Route route : camel.getRoutes()) {
            Path f = fileOf(route.getSourceResource());
            if (f == null || f.equals(except) || !running.containsKey(f)) {
                continue;
            }
            // the definition's ids: the route's own list misses those of REST routes that inlined their direct: route
            RouteDefinition def = model().getRouteDefinition(route.getRouteId());
            String used = def != null && def.getRouteConfigurationId() != null ? def.getRouteConfigurationId() : route.getConfigurationId();
            boolean uses = configurations.contains("");
            for (String id : used == null ? new String[0] : used.split(",")) {
                uses |= configurations.contains(id.trim());
            }
            if (uses) {
                users.add(f);
            }
        }
        return users;
    }

    /** Swaps every file of the change; on any failure every file goes back to what ran before. */
    private void apply(Map<Path, String> change, String name, long start) {
        Map<Path, Set<String>> before = new LinkedHashMap<>();
        Map<Path, Set<String>> after = new LinkedHashMap<>();
        for (var e : change.entrySet()) {
            before.put(e.getKey(), routeIdsOf(e.getKey()));
            try {
                after.put(e.getKey(), new TreeSet<>(parse(e.getKey(), e.getValue()).ids()));
            } catch (Exception ex) {
                refuse(folder.relativize(e.getKey()).toString(), null, ex);
                return;
            }
        }
        Map<Path, Counts> counts = new LinkedHashMap<>();
        held.during(() -> {
            Path current = null;
            try {
                for (var e : change.entrySet()) {
                    current = e.getKey();
                    counts.put(current, swap(current, e.getValue(), before.get(current), after.get(current)));
                }
            } catch (Exception e) {
                String route = routeOf(e);
                for (Path f : change.keySet()) {
                    restore(f, before.get(f));
                }
                refuse(current == null ? name : folder.relativize(current).toString(), route, e,
                        change.size() > 1 ? " (with " + name + ")" : "");
                return;
            } finally {
                replacing.clear();
            }
            change.forEach(running::put);
            counts.values().forEach(c -> dropMeters(c.removed()));
        });
        uk.bookinghub.metrics.EventNotifiers.tidy(camel); // the routes just started left Camel's HTTP servers one notifier more each
        if (counts.size() == change.size()) {
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            List<String> parts = new ArrayList<>();
            counts.forEach((f, c) -> parts.add(folder.relativize(f) + ": " + c));
            String line = "Route file " + name + " reloaded in " + ms + " ms: " + String.join("; ", parts);
            summaries.add(line);
            LOG.info(line);
        }
    }

    private record Counts(Set<String> added, Set<String> updated, Set<String> removed) {
        @Override
        public String toString() {
            return "added " + added + ", updated " + updated + ", removed " + removed;
        }
    }

    /** Replaces one file's routes by the given content; throws when a route cannot be built or started. */
    private Counts swap(Path file, String content, Set<String> old, Set<String> now) throws Exception {
        List<RestDefinition> restsBefore = new ArrayList<>(model().getRestDefinitions());
        Set<String> removed = new TreeSet<>(old);
        removed.removeAll(now);
        for (String id : removed) {
            keepMeters(id); // until the change is applied: a refused one puts the route back, counts and all
            remove(id);
        }
        Set<String> replaced = new TreeSet<>(old);
        replaced.retainAll(now);
        for (String id : replaced) {
            keepMeters(id);
        }
        load(file, content);
        forgetRests(file, restsBefore);
        var catalog = camel.getRegistry().lookupByNameAndType("apiCatalog", uk.bookinghub.api.ApiCatalog.class);
        if (catalog != null) { // the front door must be able to enforce every declared endpoint, as at start
            catalog.invalidate();
            if (!catalog.problems().isEmpty()) {
                throw new IllegalStateException(String.join("; ", catalog.problems()));
            }
        }
        Set<String> added = new TreeSet<>(routeIdsOf(file));
        Set<String> updated = new TreeSet<>(added);
        added.removeAll(old);
        updated.retainAll(old);
        return new Counts(added, updated, removed);
    }

    /**
     * Loads a file into the running context: its route configurations replace the ones it held,
     * then its routes replace theirs. Camel's own update of route configurations looks the old one
     * up by id and so gives a configuration without id (the global front door) a generated id,
     * after which it no longer applies to every route: this replaces them by owner instead.
     */
    private void load(Path file, String content) throws Exception {
        Model model = model();
        for (RoutesBuilder builder : loader().findRoutesBuilders(resource(file, content))) {
            if (builder instanceof RouteConfigurationBuilder rcb) {
                rcb.setCamelContext(camel);
                rcb.configuration();
                var collection = rcb.getRouteConfigurationCollection();
                collection.setCamelContext(camel);
                collection.setResource(rcb.getResource());
                List<RouteConfigurationDefinition> fresh = new ArrayList<>(collection.getRouteConfigurations());
                List<RouteConfigurationDefinition> old = configurations.getOrDefault(file, List.of());
                if (!fresh.isEmpty() || !old.isEmpty()) {
                    Map<RouteConfigurationDefinition, Boolean> gone = new IdentityHashMap<>();
                    old.forEach(c -> gone.put(c, true));
                    model.getRouteConfigurationDefinitions().removeIf(gone::containsKey);
                    model.addRouteConfigurations(fresh);
                    configurations.put(file, fresh);
                }
            }
            if (builder instanceof RouteBuilder rb) {
                rb.updateRoutesToCamelContext(camel);
            }
        }
    }

    /** Which file holds which running route configuration (the model does not record it): read once from the files. */
    private void ownConfigurations() throws Exception {
        if (configurationsKnown) {
            return;
        }
        configurationsKnown = true;
        List<RouteConfigurationDefinition> all = model().getRouteConfigurationDefinitions();
        for (var e : running.entrySet()) {
            Set<String> declared = parse(e.getKey(), e.getValue()).configurations;
            List<RouteConfigurationDefinition> held = new ArrayList<>();
            for (RouteConfigurationDefinition c : all) {
                boolean global = c.getId() == null || !c.hasCustomIdAssigned();
                if (global ? declared.contains("") : declared.contains(c.getId())) {
                    held.add(c);
                }
            }
            if (!held.isEmpty()) {
                configurations.put(e.getKey(), held);
            }
        }
    }

    /** Puts a file back as it ran before a refused change (a version that has run, so it builds). */
    private void restore(Path file, Set<String> old) {
        Model model = model();
        List<RestDefinition> restsBefore = new ArrayList<>(model.getRestDefinitions());
        try {
            Set<String> ids = new TreeSet<>(old);
            ids.addAll(routeIdsOf(file));
            for (Route r : camel.getRoutes()) { // what the refused version left half-built
                if (r.getSourceResource() != null && file.equals(fileOf(r.getSourceResource()))) {
                    ids.add(r.getRouteId());
                }
            }
            for (String id : ids) {
                if (old.contains(id)) { // it comes back: its meters carry on
                    keepMeters(id);
                }
                remove(id);
            }
            String previous = running.get(file);
            if (previous != null) {
                load(file, previous);
            }
        } catch (Exception e) {
            LOG.error("[CRITICAL ALERT] Route file {} could not be put back as it ran: {}; restart the hub", folder.relativize(file), oneLine(e));
        }
        forgetRests(file, restsBefore);
    }

    private void deleted(Path file, String name, long start) {
        if (!running.containsKey(file)) {
            return;
        }
        Set<String> ids = routeIdsOf(file);
        held.during(() -> {
            List<RestDefinition> restsBefore = new ArrayList<>(model().getRestDefinitions());
            for (String id : ids) {
                try {
                    remove(id);
                } catch (Exception e) {
                    LOG.warn("Route file {} deleted: route {} could not be removed: {}", name, id, oneLine(e));
                }
            }
            model().getRestDefinitions().removeIf(r -> restsBefore.contains(r) && file.equals(fileOf(r.getResource())));
            running.remove(file);
            var catalog = camel.getRegistry().lookupByNameAndType("apiCatalog", uk.bookinghub.api.ApiCatalog.class);
            if (catalog != null) {
                catalog.invalidate();
            }
        });
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        String line = "Route file " + name + " deleted in " + ms + " ms: removed " + new TreeSet<>(ids)
                + " (its route configurations, if any, stay until a restart)";
        summaries.add(line);
        LOG.info(line);
    }

    private void remove(String id) throws Exception {
        // stopped first (it waits for requests in flight), outside the model's lock: the front door reads the model per request
        if (camel.getRoute(id) != null) {
            camel.getRouteController().stopRoute(id);
        }
        Model model = model();
        RouteDefinition def = model.getRouteDefinition(id);
        if (def != null) {
            model.removeRouteDefinition(def); // stops the route, removes it and its definition
        }
        if (camel.getRoute(id) != null) {
            camel.getRouteController().stopRoute(id);
            camel.removeRoute(id);
        }
    }

    /**
     * Marks a route that is about to be replaced by a new version of itself (or removed by a change
     * that may yet be refused): camel-micrometer removes a route's meters from the registry when the
     * route is removed ({@code MicrometerRoutePolicy.onRemove}), so its counters and timers would
     * start again from zero. Once the marked route has stopped (Camel stops it, waiting for the
     * exchanges in flight, just before it removes it), its Micrometer route policy is detached
     * ({@link #detachMeters}), so the removal leaves the meters in place and the new version, which
     * registers the same meter ids (name + camelContext, kind, routeId, eventType), gets the same
     * meters and counts on. The route keeps serving until Camel itself replaces it.
     */
    private void keepMeters(String id) {
        replacing.add(id);
        Route route = camel.getRoute(id);
        ServiceStatus status = route == null ? null : camel.getRouteController().getRouteStatus(id);
        if (status != null && status.isStopped()) { // stopped already (an operator's stop): no stop event comes
            detachMeters(route);
        }
    }

    /** A stand-in for a detached policy: does nothing. */
    private static final RoutePolicySupport DETACHED = new RoutePolicySupport() { };

    /** Replaced in place (not removed): a request still iterating the route's policies meets no concurrent modification. */
    private static void detachMeters(Route route) {
        List<RoutePolicy> policies = route.getRoutePolicyList();
        for (int i = 0; i < policies.size(); i++) {
            if (policies.get(i) instanceof MicrometerRoutePolicy) {
                policies.set(i, DETACHED);
            }
        }
    }

    /** Detaches the meters of a marked route when it has stopped, before Camel removes it. */
    private final class KeepMetersOnStop extends SimpleEventNotifierSupport {
        KeepMetersOnStop() {
            // route events only: while one notifier takes exchange events, Camel builds and offers an event for every
            // exchange and step of every route (issue 19; uk.bookinghub.metrics.EventNotifiers)
            setIgnoreExchangeEvents(true);
            setIgnoreCamelContextEvents(true);
            setIgnoreServiceEvents(true);
            setIgnoreStepEvents(true);
        }

        @Override
        public boolean isEnabled(CamelEvent event) {
            return event instanceof CamelEvent.RouteStoppedEvent;
        }

        @Override
        public void notify(CamelEvent event) {
            Route route = ((CamelEvent.RouteStoppedEvent) event).getRoute();
            if (route != null && replacing.contains(route.getRouteId())) {
                detachMeters(route);
            }
        }
    }

    /** Removes the meters of routes that a change removed for good (kept by {@link #keepMeters} until then). */
    private void dropMeters(Set<String> ids) {
        MeterRegistry registry = camel.getRegistry().lookupByNameAndType(MicrometerConstants.METRICS_REGISTRY_NAME, MeterRegistry.class);
        if (registry == null || ids.isEmpty()) {
            return;
        }
        for (Meter meter : List.copyOf(registry.getMeters())) {
            // the hub's registry writes Camel's tag names in snake_case (HubMeterRegistry): route_id
            String route = meter.getId().getTag("route_id") != null ? meter.getId().getTag("route_id") : meter.getId().getTag("routeId");
            if (route != null && ids.contains(route) && MicrometerConstants.KIND_ROUTE.equals(meter.getId().getTag(MicrometerConstants.KIND))) {
                registry.remove(meter);
            }
        }
    }

    /** The loader appends a file's rest declarations on every load: keep only the newest. */
    private void forgetRests(Path file, List<RestDefinition> before) {
        Map<RestDefinition, Boolean> old = new IdentityHashMap<>();
        before.forEach(r -> old.put(r, true));
        model().getRestDefinitions().removeIf(r -> old.containsKey(r) && file.equals(fileOf(r.getResource())));
    }

    private Set<String> routeIdsOf(Path file) {
        Set<String> ids = new TreeSet<>();
        for (Route r : camel.getRoutes()) {
            if (file.equals(fileOf(r.getSourceResource()))) {
                ids.add(r.getRouteId());
            }
        }
        return ids;
    }

    private Path fileOf(Resource resource) {
        if (resource == null || resource.getLocation() == null) {
            return null;
        }
        String location = resource.getLocation();
        if (location.startsWith("file:")) {
            location = location.substring("file:".length());
        } else if (location.contains(":")) {
            return null;
        }
        return Path.of(location).toAbsolutePath().normalize();
    }

    private static Resource resource(Path file, String content) {
        return ResourceHelper.fromString("file:" + file, content);
    }

    private RoutesLoader loader() {
        return PluginHelper.getRoutesLoader(camel);
    }

    private Model model() {
        return camel.getCamelContextExtension().getContextPlugin(Model.class);
    }

    private void refuse(String name, String problem) {
        String line = "Route file " + name + " refused, " + problem + "; the previous version keeps running";
        refusals.add(line);
        LOG.warn(line);
    }

    private void refuse(String name, String route, Exception e) {
        refuse(name, route, e, "");
    }

    private void refuse(String name, String route, Exception e, String with) {
        refuse(name + with, (route == null ? routeOf(e) == null ? "" : "route " + routeOf(e) + ": " : "route " + route + ": ")
                + what(e) + where(e));
    }

    /** The route a build or start failure names, or null. */
    static String routeOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof FailedToCreateRouteException f && f.getRouteId() != null) {
                return f.getRouteId();
            }
            if (t instanceof FailedToStartRouteException f && f.getRouteId() != null) {
                return f.getRouteId();
            }
        }
        return null;
    }

    /** The root cause's own words, on one line. */
    static String what(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return oneLine(root);
    }

    /** The step Camel points at ("at: >>> Bean[ref:x] <<<") and the line, when known. */
    static String where(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof FailedToCreateRouteException f) {
                String m = f.getMessage();
                int a = m == null ? -1 : m.indexOf(">>>");
                int b = m == null ? -1 : m.indexOf("<<<", a + 1);
                String step = a >= 0 && b > a ? m.substring(a + 3, b).trim() : null;
                String loc = f.getLocation();
                if (step != null || loc != null) {
                    return " (at " + (step == null ? "" : step) + (loc == null ? "" : (step == null ? "" : ", ") + loc) + ")";
                }
            }
        }
        return "";
    }

    static String oneLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
