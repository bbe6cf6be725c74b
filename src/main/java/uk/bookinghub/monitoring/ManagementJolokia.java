package uk.bookinghub.monitoring;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.Utils;

import org.apache.camel.component.platform.http.plugin.JolokiaPlatformHttpPlugin;
import org.apache.camel.support.service.ServiceSupport;
import org.jolokia.json.JSONStructure;
import org.jolokia.server.core.config.ConfigKey;
import org.jolokia.server.core.config.StaticConfiguration;
import org.jolokia.server.core.http.HttpRequestHandler;
import org.jolokia.server.core.http.security.AuthorizationHeaderParser;
import org.jolokia.server.core.restrictor.policy.PolicyRestrictor;
import org.jolokia.server.core.service.JolokiaServiceManagerFactory;
import org.jolokia.server.core.service.api.JolokiaServiceManager;
import org.jolokia.server.core.service.api.LogHandler;
import org.jolokia.server.core.service.api.Restrictor;
import org.jolokia.server.core.util.NetworkUtil;
import org.jolokia.server.core.util.RequestType;
import org.jolokia.service.jmx.LocalRequestHandler;
import org.jolokia.service.serializer.JolokiaSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import javax.management.ObjectName;

/**
 * Jolokia on the management port ({@code /observe/jolokia}), in place of Camel's stock plugin (bound
 * as the bean {@code jolokia}, which Camel's plugin registry looks up first). The stock plugin allows
 * whatever {@code jolokia-access.xml} allows and checks no password; this one:
 * <ul>
 *   <li>reads, lists and searches only the {@code org.apache.camel} and {@code java.lang} domains;</li>
 *   <li>refuses every browser request from a page that is not on this host's loopback (strict
 *       Origin / Referer check), so no web page can drive it, whatever method or content type;</li>
 *   <li>runs a route's {@code start} / {@code stop} / {@code reset} (the only operations the policy
 *       file allows) only with the operator's switch on ({@code HUB_JOLOKIA_WRITE=true}) and the
 *       password ({@code HUB_JOLOKIA_PASSWORD}) sent as HTTP Basic for the user {@code operator} in a POST,
 *       parsed by Jolokia's own {@link AuthorizationHeaderParser}; never any other operation, never a
 *       write.</li>
 * </ul>
 */
public class ManagementJolokia extends ServiceSupport implements JolokiaPlatformHttpPlugin {

    private static final Logger LOG = LoggerFactory.getLogger(ManagementJolokia.class);

    /** The HTTP Basic user that carries the operator's password. */
    public static final String OPERATOR = "operator";
    static final Set<String> DOMAINS = Set.of("org.apache.camel", "java.lang");
    private static final ThreadLocal<Boolean> AUTHENTICATED = ThreadLocal.withInitial(() -> false);

    private boolean write;
    private String password = "";
    private JolokiaServiceManager serviceManager;
    private HttpRequestHandler requestHandler;

    private org.apache.camel.CamelContext camelContext;

    @Override
    public void setCamelContext(org.apache.camel.CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public org.apache.camel.CamelContext getCamelContext() {
        return camelContext;
    }

    public void setWrite(boolean write) {
        this.write = write;
    }

    public void setPassword(String password) {
        this.password = password == null ? "" : password;
    }

    @Override
    public String getId() {
        return NAME;
    }

    @Override
    protected void doStart() {
        if (write && password.length() < 12) {
            throw new IllegalStateException("HUB_JOLOKIA_WRITE=true needs HUB_JOLOKIA_PASSWORD of at least 12 characters"
                    + " (route start / stop over Jolokia is never open without one); unset HUB_JOLOKIA_WRITE for read-only");
        }
        Restrictor policy;
        try (InputStream in = ManagementJolokia.class.getResourceAsStream("/jolokia-access.xml")) {
            policy = new PolicyRestrictor(in);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read jolokia-access.xml: " + e.getMessage(), e);
        }
        var config = new StaticConfiguration(ConfigKey.AGENT_ID, NetworkUtil.getAgentId(hashCode(), "vertx"),
                ConfigKey.ALLOW_ERROR_DETAILS, "false");
        serviceManager = JolokiaServiceManagerFactory.createJolokiaServiceManager(config, new Log(), new Access(policy, write));
        serviceManager.addService(new JolokiaSerializer());
        serviceManager.addService(new LocalRequestHandler(1));
        requestHandler = new HttpRequestHandler(serviceManager.start());
        LOG.info("Jolokia on the management port: {}", write
                ? "read-only, plus route start / stop / reset for the user '" + OPERATOR + "' with HUB_JOLOKIA_PASSWORD (HUB_JOLOKIA_WRITE=true)"
                : "read-only (org.apache.camel and java.lang; HUB_JOLOKIA_WRITE=true with HUB_JOLOKIA_PASSWORD allows route start / stop / reset)");
    }

    @Override
    protected void doStop() {
        if (serviceManager != null) {
            serviceManager.stop();
        }
    }

    @Override
    public Object getHandler() {
        return (Handler<RoutingContext>) this::handle;
    }

    private void handle(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        String authorization = req.getHeader("Authorization");
        boolean operator = false;
        if (write && authorization != null) {
            if (!isOperator(authorization)) {
                ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Basic realm=\"booking-hub jolokia\"")
                        .putHeader("Content-Type", "application/json")
                        .end("{\"status\":401,\"error\":\"wrong user or password for the booking hub's Jolokia\"}");
                return;
            }
            // only a POST runs an operation: a browser always sends Origin with a POST (checked below), while a
            // GET from an <img> or a link may carry neither Origin nor Referer, yet the browser's cached password
            operator = req.method() == HttpMethod.POST;
        }
        int status = 200;
        JSONStructure json;
        AUTHENTICATED.set(operator);
        try {
            String host = req.remoteAddress() == null ? null : req.remoteAddress().host();
            requestHandler.checkAccess(req.scheme(), host, host, originOrReferer(req));
            if (req.method() == HttpMethod.GET) {
                json = requestHandler.handleGetRequest(req.uri(), Utils.pathOffset(req.path(), ctx), params(req.params()));
            } else {
                if (ctx.body() == null || ctx.body().buffer() == null) {
                    throw new IllegalArgumentException("a POST needs a JSON body");
                }
                json = requestHandler.handlePostRequest(req.uri(), new ByteArrayInputStream(ctx.body().buffer().getBytes()),
                        StandardCharsets.UTF_8.name(), params(req.params()));
            }
        } catch (SecurityException e) {
            status = 403;
            json = requestHandler.handleThrowable(e);
        } catch (Exception e) {
            status = e instanceof IllegalArgumentException ? 400 : 500;
            json = requestHandler.handleThrowable(e);
        } finally {
            AUTHENTICATED.remove();
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(json == null ? "" : json.toJSONString());
    }

    private boolean isOperator(String authorization) {
        AuthorizationHeaderParser.Result r = AuthorizationHeaderParser.parse(authorization);
        return r.isValid() && "Basic".equalsIgnoreCase(r.getMethod()) && OPERATOR.equals(r.getUser()) && r.getPassword() != null
                && MessageDigest.isEqual(r.getPassword().getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8));
    }

    /** The page a browser request comes from; null for clients that send neither header (curl, Hawtio's server-side proxy, Java). */
    private static String originOrReferer(HttpServerRequest req) {
        String origin = req.getHeader("Origin");
        if (origin == null) {
            origin = req.getHeader("Referer");
        }
        return origin == null ? null : origin.replaceAll("[\\n\\r]", "");
    }

    private static Map<String, String[]> params(MultiMap params) {
        Map<String, String[]> out = new HashMap<>();
        for (String name : params.names()) {
            out.put(name, params.getAll(name).toArray(new String[0]));
        }
        return out;
    }

    /** The policy file, narrowed to two domains and to operations an authenticated operator asked for. */
    static final class Access implements Restrictor {
        private final Restrictor policy;
        private final boolean write;

        Access(Restrictor policy, boolean write) {
            this.policy = policy;
            this.write = write;
        }

        private static boolean inDomains(ObjectName name) {
            return name != null && DOMAINS.contains(name.getDomain());
        }

        @Override
        public boolean isHttpMethodAllowed(org.jolokia.server.core.util.HttpMethod method) {
            return policy.isHttpMethodAllowed(method);
        }

        @Override
        public boolean isTypeAllowed(RequestType type) {
            if (type == RequestType.EXEC) {
                return write && AUTHENTICATED.get(); // and then only the operations the policy file allows
            }
            return type != RequestType.WRITE && policy.isTypeAllowed(type);
        }

        @Override
        public boolean isAttributeReadAllowed(ObjectName name, String attribute) {
            return inDomains(name) && policy.isAttributeReadAllowed(name, attribute);
        }

        @Override
        public boolean isAttributeWriteAllowed(ObjectName name, String attribute) {
            return false;
        }

        @Override
        public boolean isOperationAllowed(ObjectName name, String operation) {
            // "stop()" and "stop(long)" are the operation "stop" of the policy file
            String bare = operation == null ? "" : operation.contains("(") ? operation.substring(0, operation.indexOf('(')) : operation;
            return write && AUTHENTICATED.get() && inDomains(name) && !name.isPattern() && policy.isOperationAllowed(name, bare);
        }

        @Override
        public boolean isRemoteAccessAllowed(String... hostOrAddress) {
            return policy.isRemoteAccessAllowed(hostOrAddress);
        }

        @Override
        public boolean isOriginAllowed(String origin, boolean onlyWhenStrictCheckingIsEnabled) {
            return origin == null || policy.isOriginAllowed(origin, onlyWhenStrictCheckingIsEnabled);
        }

        @Override
        public boolean isObjectNameHidden(ObjectName name) {
            return !inDomains(name) || policy.isObjectNameHidden(name);
        }

        @Override
        public boolean ignoreScheme() {
            return policy.ignoreScheme();
        }
    }

    private static final class Log implements LogHandler {
        @Override
        public void debug(String message) {
            LOG.debug(message);
        }

        @Override
        public void info(String message) {
            LOG.info(message);
        }

        @Override
        public void error(String message, Throwable t) {
            LOG.error(message, t);
        }

        @Override
        public boolean isDebug() {
            return LOG.isDebugEnabled();
        }
    }
}
