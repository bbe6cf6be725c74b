package uk.bookinghub;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import uk.bookinghub.analytics.AnalyticsStore;
import uk.bookinghub.calls.CallStore;
import uk.bookinghub.calls.VapiWebhook;
import uk.bookinghub.clients.ClientStore;
import uk.bookinghub.clients.ClientView;
import uk.bookinghub.clients.Onboarding;
import uk.bookinghub.clients.TenantResolver;
import uk.bookinghub.http.JsonReply;
import uk.bookinghub.monitoring.DatabaseHealth;
import uk.bookinghub.monitoring.DeadLetters;
import uk.bookinghub.monitoring.ErrorLog;
import uk.bookinghub.monitoring.HealthReport;
import uk.bookinghub.security.AdminAuth;
import uk.bookinghub.security.ApiKeys;
import uk.bookinghub.store.Database;
import uk.bookinghub.store.DatabaseUrl;

import uk.bookinghub.calendar.CalendarSync;
import uk.bookinghub.dialler.Dialler;
import uk.bookinghub.reminders.FollowUps;
import uk.bookinghub.reminders.Reminders;
import uk.bookinghub.calendar.GoogleCalendars;
import uk.bookinghub.booking.BookingApi;
import uk.bookinghub.booking.BookingStore;
import uk.bookinghub.booking.BookingTools;
import uk.bookinghub.leads.LeadStore;
import uk.bookinghub.messaging.DeadLettersApi;
import uk.bookinghub.messaging.MailSettings;
import uk.bookinghub.messaging.MessageSender;
import uk.bookinghub.messaging.MessagesApi;
import uk.bookinghub.messaging.Outbox;
import uk.bookinghub.messaging.RateCap;
import uk.bookinghub.messaging.SendFailures;
import uk.bookinghub.messaging.TwilioClients;
import uk.bookinghub.messaging.TwilioWebhooks;
import uk.bookinghub.leads.LeadsApi;
import uk.bookinghub.leads.OptOutStore;
import uk.bookinghub.leads.OptOutsApi;
import uk.bookinghub.phones.PhoneClassifier;

import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Binds the hub's beans into Camel's registry. Runs after {@code application.properties} is read
 * and before any route is loaded, so the database is open and migrated (Flyway) before a route
 * can take a request. The beans themselves are plain Java; this is the one Camel-aware place
 * that wires them.
 */
public class HubConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(HubConfiguration.class);

    @Override
    public void configure(CamelContext camel) {
        PropertiesComponent props = camel.getPropertiesComponent();
        Clock clock = Clock.systemUTC();

        DatabaseUrl url = DatabaseUrl.parse(text(props, "hub.database.url", ""), text(props, "hub.database.sqlite-path", "data/hub.db"));
        Database db = Database.open(url, integer(props, "hub.database.pool-size", 10), integer(props, "hub.database.connect-timeout-ms", 3000));
        int applied = db.migrate();
        LOG.info("Database {} ready ({} migration(s) applied)", url, applied);

        int maxBatch = integer(props, "hub.database.max-batch", 64);
        long writeTimeout = integer(props, "hub.database.write-timeout-ms", 10000);
        CallStore calls = new CallStore(db, integer(props, "hub.database.writers", 2), maxBatch, writeTimeout);
        AnalyticsStore analytics = new AnalyticsStore(db, maxBatch, writeTimeout);
        ClientStore clients = new ClientStore(db, integer(props, "hub.clients.cache-ttl-ms", 30000));
        TenantResolver tenants = new TenantResolver(clients, clock, integer(props, "hub.tenant-resolution.keep", 200));
        ErrorLog errors = new ErrorLog(db, clock);
        DatabaseHealth dbHealth = new DatabaseHealth(db);
        long maxBody = integer(props, "vapi.webhook.max-body-bytes", 1_048_576);

        boolean testNumbers = Boolean.parseBoolean(text(props, "hub.leads.allow-test-numbers", "false"));
        PhoneClassifier phones = new PhoneClassifier(testNumbers);
        if (testNumbers) {
            LOG.warn("HUB_ALLOW_TEST_NUMBERS is on: Ofcom drama ranges (07700 900xxx, 01632 960xxx, ...) count as valid numbers");
        }
        OptOutStore optOuts = new OptOutStore(db, clock, integer(props, "hub.opt-outs.cache-ttl-ms", 300_000));
        int validatorThreads = Math.max(1, integer(props, "hub.leads.validator-threads", Runtime.getRuntime().availableProcessors()));
        ExecutorService validators = Executors.newFixedThreadPool(validatorThreads, daemon("hub-lead-validate"));
        ExecutorService importJobs = Executors.newSingleThreadExecutor(daemon("hub-lead-import"));
        AdminAuth adminAuth = new AdminAuth(text(props, "hub.admin.token", ""));
        ApiKeys apiKeys = new ApiKeys(clients);

        DeadLetters deadLetters = new DeadLetters(db, errors, clock);
        configureQuartz(camel, props, url);
        var registry = camel.getRegistry();
        registry.bind("hubDatabase", db);
        registry.bind("hubDataSource", db.dataSource());
        registry.bind("jsonReply", JsonReply.success());
        registry.bind("httpErrorReply", JsonReply.error());
        registry.bind("adminAuth", adminAuth);
        registry.bind("apiKeys", apiKeys);
        LeadStore leadStore = new LeadStore(db);
        registry.bind("leadsApi", new LeadsApi(leadStore, optOuts, phones, validators, validatorThreads, importJobs, clock,
                integer(props, "hub.leads.max-upload-bytes", 209_715_200), integer(props, "hub.leads.async-threshold-rows", 5000),
                integer(props, "hub.leads.chunk-size", 5000), integer(props, "hub.leads.max-problems", 100),
                integer(props, "hub.leads.copy-streams", 2)));
        registry.bind("optOutsApi", new OptOutsApi(optOuts, clients, phones));
        registry.bind("clientStore", clients);
        registry.bind("clientView", new ClientView());
        Onboarding onboarding = new Onboarding(clients, clock, integer(props, "hub.http.max-json-bytes", 65536));
        onboarding.phones(phones);
        registry.bind("onboarding", onboarding);
        registry.bind("tenantResolver", tenants);
        registry.bind("analyticsStore", analytics);
        registry.bind("errorLog", errors);
        registry.bind("deadLetters", deadLetters);
        registry.bind("databaseHealth", dbHealth);
        // --- messaging: outbox, senders, Twilio and SMTP, templates, dead letters
        boolean twilio = configured(props, "twilio.account-sid") && configured(props, "twilio.auth-token");
        MailSettings mail = MailSettings.of(text(props, "mail.service", ""), text(props, "mail.host", ""), text(props, "mail.port", ""),
                text(props, "mail.security", ""), text(props, "mail.username", ""), text(props, "mail.password", ""), text(props, "mail.from", ""));
        props.addOverrideProperty("hub.mail.endpoint", mail.uri());
        java.util.Properties startTls = new java.util.Properties();
        startTls.setProperty("mail.smtp.starttls.enable", "true");
        startTls.setProperty("mail.smtp.starttls.required", "true");
        registry.bind("mailStartTls", startTls);
        String instance = text(props, "camel.main.name", "booking-hub") + "@" + java.lang.management.ManagementFactory.getRuntimeMXBean().getName();
        MessageSender.Settings messaging = new MessageSender.Settings(twilio, blankToNull(text(props, "twilio.from-number", "")),
                blankToNull(text(props, "twilio.messaging-service-sid", "")), mail.configured(), mail.from(), instance,
                integer(props, "hub.messaging.batch-size", 200), java.time.Duration.ofSeconds(integer(props, "hub.messaging.lease-seconds", 300)),
                integer(props, "hub.messaging.max-redeliveries", 5));
        LOG.info("Messaging: SMS {}, email {}", twilio ? "through Twilio" + (text(props, "twilio.base-url", "").isEmpty() ? "" : " at " + text(props, "twilio.base-url", ""))
                : "not configured", mail);
        Outbox outbox = new Outbox(db, clock);
        com.twilio.http.TwilioRestClient twilioClient = TwilioClients.create(text(props, "twilio.account-sid", ""), text(props, "twilio.auth-token", ""),
                text(props, "twilio.base-url", ""), text(props, "hub.public-base-url", ""));
        registry.bind("twilioRestClient", twilioClient);
        registry.bind("outbox", outbox);
        registry.bind("sendFailures", new SendFailures());
        MessageSender sender = new MessageSender(outbox, optOuts, clients, deadLetters, messaging,
                new RateCap(decimal(props, "hub.messaging.sms-per-second", 10)), new RateCap(decimal(props, "hub.messaging.email-per-second", 5)));
        registry.bind("outboxSender", sender);
        if (twilio) {
            sender.twilioClient(twilioClient);
        }
        registry.bind("outboxRedelivery", (org.apache.camel.Processor) sender::onRedelivery);
        int sendThreads = Math.max(1, integer(props, "hub.messaging.send-threads", 16));
        // camel-twilio runs its API calls on the thread pool profile named "CamelTwilio" (else Camel's default of 10
        // threads): size it like the senders, or a slow Twilio answer would cap the whole hub at 10 requests in flight
        camel.getExecutorServiceManager().registerThreadPoolProfile(new org.apache.camel.builder.ThreadPoolProfileBuilder("CamelTwilio")
                .poolSize(sendThreads).maxPoolSize(sendThreads).maxQueueSize(-1).build());
        ExecutorService sendPool = Executors.newFixedThreadPool(sendThreads, daemon("hub-send"));
        registry.bind("outboxSendPool", sendPool);
        MessagesApi messagesApi = new MessagesApi(outbox, optOuts, messaging, clock, integer(props, "hub.http.max-json-bytes", 65536));
        messagesApi.phones(phones);
        registry.bind("messagesApi", messagesApi);
        registry.bind("inboundMessages", new uk.bookinghub.messaging.InboundMessages(db));

        // --- booking: appointments, the assistant's tools, client booking settings
        BookingStore bookings = new BookingStore(db, clock);
        GoogleCalendars google = new GoogleCalendars(text(props, "google.client-email", ""), text(props, "google.private-key", ""),
                text(props, "google.base-url", ""), "booking-hub");
        registry.bind("googleCalendars", google);
        CalendarSync calendarSync = new CalendarSync(bookings, clients, google, camel, clock, integer(props, "hub.calendar.max-attempts", 8),
                integer(props, "hub.calendar.retry-initial-ms", 10_000));
        registry.bind("calendarSync", calendarSync);
        ExecutorService calendarSyncPool = Executors.newFixedThreadPool(8, daemon("hub-calendar-sync"));
        registry.bind("calendarSyncPool", calendarSyncPool);
        BookingTools bookingTools = new BookingTools(bookings, messagesApi, calendarSync, clock);
        registry.bind("bookingTools", bookingTools);
        BookingApi bookingApi = new BookingApi(bookings, bookingTools, clients, clock, integer(props, "hub.http.max-json-bytes", 65536),
                text(props, "hub.public-base-url", "") + "/webhooks/vapi");
        registry.bind("bookingApi", bookingApi);
        VapiWebhook vapiWebhook = new VapiWebhook(text(props, "vapi.webhook.secret", ""), maxBody, tenants, calls, clock, bookingTools::answer,
                callId -> uk.bookinghub.calls.CallFacts.lookup(db, callId));
        registry.bind("vapiWebhook", vapiWebhook);
        vapiWebhook.inboundCalls(text(props, "vapi.assistant-id", ""), (clientId, number) -> leadStore.newestByNumber(clientId, number)
                .map(e -> new VapiWebhook.KnownCaller(e.getKey(), e.getValue())));

        // --- dialler: queued leads become Vapi calls inside each client's calling rules
        Dialler dialler = new Dialler(db, clients, optOuts, new Dialler.VapiSettings(blankToNull(text(props, "vapi.private-key", "")),
                blankToNull(text(props, "vapi.assistant-id", "")), blankToNull(text(props, "vapi.phone-number-id", "")),
                blankToNull(text(props, "vapi.base-url", ""))), clock,
                integer(props, "hub.dialler.batch-size", 100), java.time.Duration.ofSeconds(integer(props, "hub.dialler.call-timeout-seconds", 1800)));
        registry.bind("dialler", dialler);
        dialler.camel(camel);
        registry.bind("diallerRetry", dialler.beforeRetry());
        registry.bind("reminders", new Reminders(db, clients, messagesApi, optOuts, outbox, clock));
        bookingApi.callingSettings(dialler);
        FollowUps followUps = new FollowUps(db, clients, messagesApi, optOuts, clock, integer(props, "hub.http.max-json-bytes", 65536));
        registry.bind("followUps", followUps);
        bookingTools.onBooked(followUps);
        registry.bind("deadLettersApi", new DeadLettersApi(deadLetters, outbox));
        registry.bind("twilioWebhooks", new TwilioWebhooks(text(props, "twilio.auth-token", ""), text(props, "hub.public-base-url", ""), outbox,
                optOuts, clients, messaging, clock));

        // --- the front door: every REST route is checked and authenticated by its declaration
        String vapiHeader = text(props, "vapi.webhook.secret-header", "X-Vapi-Secret");
        uk.bookinghub.api.ApiCatalog apiCatalog = new uk.bookinghub.api.ApiCatalog(camel, vapiHeader);
        registry.bind("apiCatalog", apiCatalog);
        // the REST DSL inlines each verb's direct: route into the route that serves it; give that route the verb's words
        camel.getCamelContextExtension().getContextPlugin(org.apache.camel.model.Model.class)
                .addModelLifecycleStrategy(new org.apache.camel.model.ModelLifecycleStrategySupport() {
                    @Override
                    public void onAddRouteDefinition(org.apache.camel.model.RouteDefinition route) {
                        if (Boolean.TRUE.equals(route.isRest()) && route.getDescriptionText() == null && route.getInput() != null) {
                            route.setDescription(uk.bookinghub.api.ApiCatalog.describe(route.getInput().getUri()));
                        }
                    }
                });
        camel.addLifecycleStrategy(new org.apache.camel.support.LifecycleStrategySupport() {
            @Override
            public void onEndpointAdd(org.apache.camel.Endpoint endpoint) {
                if (endpoint instanceof org.apache.camel.component.platform.http.PlatformHttpEndpoint http && apiCatalog.streamsUploads(http.getPath())) {
                    http.setUseStreaming(true);
                    LOG.info("HTTP: {} streams its request body (an upload: read once into a buffer of its Content-Length)", http.getPath());
                }
            }
        });
        camel.getManagementStrategy().addEventNotifier(new org.apache.camel.support.EventNotifierSupport() {
            {
                setIgnoreExchangeEvents(true);
                setIgnoreCamelContextEvents(true);
                setIgnoreServiceEvents(true);
                setIgnoreStepEvents(true);
            }

            @Override
            public void notify(org.apache.camel.spi.CamelEvent event) {
                if (event instanceof org.apache.camel.spi.CamelEvent.RouteAddedEvent || event instanceof org.apache.camel.spi.CamelEvent.RouteReloadedEvent) {
                    apiCatalog.invalidate(); // a route file was (re)loaded: read the declarations again
                }
            }
        });
        registry.bind("frontDoor", new uk.bookinghub.api.FrontDoor(apiCatalog, adminAuth, apiKeys, vapiWebhook, vapiHeader,
                (TwilioWebhooks) registry.lookupByName("twilioWebhooks")));

        HealthReport health = new HealthReport(dbHealth, new HealthReport.Integrations(
                twilio && (configured(props, "twilio.from-number") || configured(props, "twilio.messaging-service-sid")),
                mail.configured(),
                configured(props, "vapi.private-key"),
                google.configured()), outbox::backlog);
        // the supervising route controller starts the routes after the context: ready once it has finished
        health.startedWhen(() -> camel.getStatus().isStarted() && !camel.getRouteController().isStartingRoutes());
        registry.bind("healthReport", health);

        try {
            camel.addService(new ServiceSupport() { // closes writers then the pool, after the routes have stopped
                @Override
                protected void doStop() {
                    sendPool.shutdownNow();
                    calendarSyncPool.shutdownNow();
                    outbox.close();
                    importJobs.shutdownNow();
                    validators.shutdownNow();
                    calls.close();
                    analytics.close();
                    db.close();
                }
            }, true, true);
        } catch (Exception e) {
            throw new IllegalStateException("cannot register the database shutdown hook", e);
        }
    }

    /**
     * On PostgreSQL, Quartz keeps its triggers in the database (tables from migration V7) as a
     * cluster: several hub instances fire each schedule once, and a surviving instance takes over
     * the triggers of one that died. SQLite (one instance) and the tests keep Quartz in memory.
     */
    private static void configureQuartz(CamelContext camel, PropertiesComponent props, DatabaseUrl url) {
        boolean clustered = url.dialect().sharedByInstances()
                && Boolean.parseBoolean(text(props, "hub.quartz.clustered", "true"));
        java.util.Map<String, Object> q = new java.util.LinkedHashMap<>();
        q.put("org.quartz.scheduler.instanceName", "BookingHub");
        q.put("org.quartz.scheduler.instanceId", "AUTO");
        q.put("org.quartz.threadPool.threadCount", "4");
        q.put("org.quartz.jobStore.misfireThreshold", "60000");
        if (clustered) {
            q.put("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
            q.put("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
            q.put("org.quartz.jobStore.dataSource", "hub");
            q.put("org.quartz.jobStore.tablePrefix", "qrtz_");
            q.put("org.quartz.jobStore.isClustered", "true");
            q.put("org.quartz.jobStore.clusterCheckinInterval", text(props, "hub.quartz.checkin-ms", "5000"));
            q.put("org.quartz.dataSource.hub.provider", "hikaricp");
            q.put("org.quartz.dataSource.hub.driver", "org.postgresql.Driver");
            q.put("org.quartz.dataSource.hub.URL", url.jdbcUrl());
            if (url.user() != null) {
                q.put("org.quartz.dataSource.hub.user", url.user());
            }
            if (url.password() != null) {
                q.put("org.quartz.dataSource.hub.password", url.password());
            }
            q.put("org.quartz.dataSource.hub.maxConnections", "4");
        } else {
            q.put("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        }
        camel.getComponent("quartz", org.apache.camel.component.quartz.QuartzComponent.class).setProperties(q);
        LOG.info("Schedules (Quartz): {}", clustered ? "clustered JDBC store in PostgreSQL (each trigger fires on one instance)" : "in memory (one instance)");
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static String text(PropertiesComponent props, String key, String fallback) {
        return props.resolveProperty(key).map(String::trim).orElse(fallback);
    }

    private static int integer(PropertiesComponent props, String key, int fallback) {
        String v = text(props, key, "");
        if (v.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("property " + key + " must be a whole number, got '" + v + "'");
        }
    }

    private static double decimal(PropertiesComponent props, String key, double fallback) {
        String v = text(props, key, "");
        if (v.isEmpty()) {
            return fallback;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("property " + key + " must be a number, got '" + v + "'");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static boolean configured(PropertiesComponent props, String key) {
        return !text(props, key, "").isEmpty();
    }
}
