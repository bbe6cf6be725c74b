package uk.bookinghub.events;

import io.micrometer.core.instrument.Gauge;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.StartupListener;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.HubApp;
import uk.bookinghub.Wiring;
import uk.bookinghub.analytics.AnalyticsReports;
import uk.bookinghub.api.ApiCatalog;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.metrics.BusinessMetrics;
import uk.bookinghub.store.Database;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The live event stream (issue 16, README "Event stream"): binds {@code eventTickets} (the ticket
 * endpoint), {@code eventStreams} (the SSE handler, put on the platform-http router once the HTTP
 * server is up) and {@code eventsPurge} (the 24 h retention); runs this instance's {@link EventTail},
 * and on PostgreSQL its {@link EventListener} (LISTEN on a dedicated connection); on SQLite the tail
 * is woken by each commit. Every stream is ended cleanly as soon as the hub starts stopping.
 */
public class EventsConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(EventsConfiguration.class);

    @PropertyInject("hub.events.max-streams-per-client")
    int maxPerClient;
    @PropertyInject("hub.events.max-streams")
    int maxStreams;
    @PropertyInject("hub.events.heartbeat-ms")
    long heartbeatMs;
    @PropertyInject("hub.events.retry-ms")
    long retryMs;
    @PropertyInject("hub.events.poll-ms")
    long pollMs;
    @PropertyInject("hub.events.ticket-ttl-seconds")
    int ticketTtlSeconds;
    @PropertyInject("hub.events.metrics-every-ms")
    long metricsEveryMs;
    @PropertyInject("hub.events.keep-hours")
    int keepHours;
    @PropertyInject("hub.events.announce-every-ms")
    long announceGapMs;

    @Override
    public void configure(CamelContext camel) {
        Database db = Wiring.need(camel, "hubDatabase", Database.class);
        Clock clock = Wiring.need(camel, "hubClock", Clock.class);
        ClientStore clients = Wiring.need(camel, "clientStore", ClientStore.class);
        AnalyticsReports reports = Wiring.need(camel, "analyticsReports", AnalyticsReports.class);
        BusinessMetrics meters = Wiring.need(camel, "businessMetrics", BusinessMetrics.class);
        if (maxPerClient < 1 || maxStreams < 1 || heartbeatMs < 1000 || retryMs < 0 || pollMs < 50 || ticketTtlSeconds < 5 || keepHours < 1 || announceGapMs < 1 || announceGapMs > 1000) {
            throw new IllegalStateException("hub.events.*: max-streams-per-client and max-streams at least 1, heartbeat-ms at least 1000, "
                    + "poll-ms at least 50, ticket-ttl-seconds at least 5, keep-hours at least 1, announce-every-ms 1 to 1000");
        }
        EventStore store = new EventStore(db);
        EventTickets tickets = new EventTickets(store, clock, Duration.ofSeconds(ticketTtlSeconds));
        LiveMetrics metrics = new LiveMetrics(clientId -> clients.byId(clientId).map(c -> {
            LocalDate today = reports.today(c);
            return reports.metrics(c, new AnalyticsReports.Period(today, today));
        }).orElse(null), metricsEveryMs);
        var blocking = Wiring.pool(camel, "hub-events", 8);
        EventStreams streams = new EventStreams(store, tickets, clients,
                () -> camel.getRegistry().lookupByNameAndType("apiCatalog", ApiCatalog.class),
                () -> camel.getRegistry().lookupByNameAndType("auditDoor", uk.bookinghub.audit.AuditDoor.class), blocking, metrics,
                new EventStreams.Settings(maxPerClient, maxStreams, heartbeatMs, retryMs), meters.registry());
        EventTail tail = new EventTail(store, streams, pollMs);
        streams.tail(tail);
        EventListener listener = store.announcedByNotify() ? new EventListener(store, tail, (int) Math.min(pollMs, 5000)) : null;
        EventAnnouncer announcer = store.announcedByNotify() ? new EventAnnouncer(store, announceGapMs) : null;
        db.onCommit(tail::wake); // this instance's own commits wake its tail at once
        if (announcer != null) {
            db.onCommit(announcer::committed); // and the other instances' tails by NOTIFY, coalesced
        }
        if (listener != null) {
            Gauge.builder("hub.events.listening", listener, l -> l.listening() ? 1 : 0).strongReference(true)
                    .description("1 while this instance's LISTEN connection for new events is up (else its stream tail polls every hub.events.poll-ms)")
                    .register(meters.registry());
        }
        camel.getRegistry().bind("eventTickets", tickets);
        camel.getRegistry().bind("eventStreams", streams);
        camel.getRegistry().bind("eventsPurge", new EventsPurge(store, clock, Duration.ofHours(keepHours)));

        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hub-events-metrics");
            t.setDaemon(true);
            return t;
        });
        Wiring.onStop(camel, "the event stream", () -> {
            streams.closeAll();
            ticker.shutdownNow();
            if (listener != null) {
                listener.close();
            }
            if (announcer != null) {
                announcer.close();
            }
            tail.close();
        });
        try {
            camel.addStartupListener(new StartupListener() {
                @Override
                public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                    // the HTTP server is up only once every route has started
                }

                @Override
                public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
                    var router = HubApp.appRouter(context);
                    if (router == null) {
                        LOG.error("[EVENTS] no HTTP router: GET /api/events answers 503");
                        return;
                    }
                    tail.start();
                    if (listener != null) {
                        listener.start();
                    }
                    if (announcer != null) {
                        announcer.start();
                    }
                    ticker.scheduleWithFixedDelay(() -> {
                        try {
                            streams.tickMetrics();
                        } catch (RuntimeException e) {
                            LOG.debug("[EVENTS] metrics tick: {}", e.toString());
                        }
                    }, 1, 1, TimeUnit.SECONDS);
                    // before Camel's own route for the path (HubApp's checks, at the very first orders, still run first)
                    router.get("/api/events").order(Integer.MIN_VALUE + 100).handler(streams);
                    LOG.info("[EVENTS] GET /api/events served ({} streams per client, {} per instance, heartbeat {} ms, retry {} ms)",
                            maxPerClient, maxStreams, heartbeatMs, retryMs);
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        camel.getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
            {
                setIgnoreExchangeEvents(true);
                setIgnoreRouteEvents(true);
                setIgnoreServiceEvents(true);
                setIgnoreStepEvents(true);
            }

            @Override
            public void notify(CamelEvent event) {
                if (event instanceof CamelEvent.CamelContextStoppingEvent) {
                    streams.closeAll(); // before the HTTP server goes: each stream ends cleanly and its browser reconnects elsewhere
                }
            }
        });
    }
}
