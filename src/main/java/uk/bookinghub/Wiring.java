package uk.bookinghub;

import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the capability configuration classes share. Each package that is a capability has one
 * {@code <Capability>Configuration} (a {@link org.apache.camel.CamelConfiguration} listed in
 * {@code camel.main.configuration-classes}): its settings arrive as {@code @PropertyInject} fields
 * (no default in Java: a key missing from application.properties stops start-up and names it), and
 * its {@code configure} binds its beans under the names the routes use. camel-main injects the
 * properties of every listed class first, then calls {@code configure} in the listed order, so a
 * class finds the beans of the classes listed before it in the registry ({@link #need}).
 */
public final class Wiring {

    private Wiring() {
    }

    /** A bean an earlier configuration class bound; its absence is a wiring mistake, said at start-up. */
    public static <T> T need(CamelContext camel, String name, Class<T> type) {
        T bean = camel.getRegistry().lookupByNameAndType(name, type);
        if (bean == null) {
            throw new IllegalStateException("bean '" + name + "' (" + type.getSimpleName() + ") is not bound: the configuration class that binds it"
                    + " must come earlier in camel.main.configuration-classes");
        }
        return bean;
    }

    /**
     * A bean bound by a configuration class listed later (two capabilities that use each other),
     * looked up on its first use. {@code type} is an interface.
     */
    public static <T> T later(CamelContext camel, String name, Class<T> type) {
        Object[] found = new Object[1];
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "later(" + name + ")";
                };
            }
            if (found[0] == null) {
                found[0] = need(camel, name, type);
            }
            try {
                return method.invoke(found[0], args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }));
    }

    /** Runs {@code close} when the context stops, after the routes; closers run in the reverse order they were added. */
    public static void onStop(CamelContext camel, String what, Runnable close) {
        try {
            camel.addService(new ServiceSupport() {
                @Override
                protected void doStop() {
                    close.run();
                }

                @Override
                public String toString() {
                    return "stop " + what;
                }
            }, true, true);
        } catch (Exception e) {
            throw new IllegalStateException("cannot register the shutdown of " + what, e);
        }
    }

    /** A fixed pool of daemon threads named {@code name-1…}, shut down when the context stops. */
    public static ExecutorService pool(CamelContext camel, String name, int threads) {
        ExecutorService pool = threads == 1 ? Executors.newSingleThreadExecutor(daemon(name)) : Executors.newFixedThreadPool(threads, daemon(name));
        onStop(camel, name, pool::shutdownNow);
        return pool;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** An unset setting ({@code KEY = {{env:NAME:}}}) as null. */
    public static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
