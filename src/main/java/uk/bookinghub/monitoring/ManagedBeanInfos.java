package uk.bookinghub.monitoring;

import org.apache.camel.CamelContext;
import org.apache.camel.api.management.ManagedInstance;
import org.apache.camel.api.management.ManagedResource;
import org.apache.camel.api.management.NotificationSenderAware;
import org.apache.camel.spi.ManagementMBeanAssembler;
import org.apache.camel.support.management.MBeanInfoAssembler;
import org.apache.camel.support.management.MixinRequiredModelMBean;
import org.apache.camel.support.management.NotificationSenderAdapter;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.ObjectHelper;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanNotificationInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.modelmbean.InvalidTargetObjectTypeException;
import javax.management.modelmbean.ModelMBean;
import javax.management.modelmbean.ModelMBeanAttributeInfo;
import javax.management.modelmbean.ModelMBeanInfo;
import javax.management.modelmbean.ModelMBeanInfoSupport;
import javax.management.modelmbean.ModelMBeanNotificationInfo;
import javax.management.modelmbean.ModelMBeanOperationInfo;
import javax.management.modelmbean.RequiredModelMBean;

/**
 * The hub's JMX MBean assembler: Camel's MBeans, with the description of each managed class worked out once instead
 * of once per MBean.
 *
 * <p>Camel's own assembler describes every MBean (its attributes, operations and notifications) by reflection over
 * its class's annotations: for the hub's ~140 routes, their consumers, endpoints and services that was ~0.5 s of the
 * start's main thread and ~95 MB of its ~300 MB of allocations (async-profiler; BENCHMARKS.md, issue 19), the same
 * answer each time for the same class. Here the first MBean of a class is described by Camel's own
 * {@link MBeanInfoAssembler}, and every MBean, the first included, gets its own deep copy of that description: each
 * attribute, operation and notification with its own descriptor, as if Camel had built it, so nothing one MBean's
 * descriptors hold can show in another's. The MBean itself is assembled as Camel assembles it (a managed instance's
 * own annotated bean mixed with the standard one; notifications wired).
 * {@code RoutesLoadTest.everyMBeanIsDescribedAsCamelWouldEachWithItsOwnCopy} compares every route, consumer and
 * endpoint MBean of a running hub with what Camel's assembler builds for the same object.
 */
public final class ManagedBeanInfos extends ServiceSupport implements ManagementMBeanAssembler {

    /** What a description depends on: the managed object's class and, for a managed instance, its custom bean's. */
    private record Key(Class<?> managed, Class<?> custom) {
    }

    private final CamelContext camelContext;
    private final MBeanInfoAssembler camels;
    private final Map<Key, Optional<ModelMBeanInfo>> described = new ConcurrentHashMap<>();

    public ManagedBeanInfos(CamelContext camelContext) {
        this.camelContext = camelContext;
        this.camels = new MBeanInfoAssembler(camelContext);
    }

    /** Installs it; the context's management agent takes its assembler when it starts, so call this before. */
    public static void install(CamelContext context) {
        context.getCamelContextExtension().setManagementMBeanAssembler(new ManagedBeanInfos(context));
    }

    @Override
    public ModelMBean assemble(MBeanServer server, Object managed, ObjectName name) throws JMException {
        Object custom = managed instanceof ManagedInstance instance ? instance.getInstance() : null;
        if (custom != null && !ObjectHelper.hasAnnotation(custom.getClass().getAnnotations(), ManagedResource.class)) {
            custom = null; // only an annotated custom bean adds to the standard MBean
        }
        ModelMBeanInfo info = custom != null ? info(managed, custom, name) : null;
        ModelMBeanInfo standard = info != null ? info(managed, null, name) : null;
        if (info == null) {
            custom = null;
            info = info(managed, null, name);
            if (info == null) {
                return null; // a proxy: Camel's assembler does not manage those either
            }
        }
        var agent = camelContext.getManagementStrategy().getManagementAgent();
        boolean mask = agent.getMask() != null && agent.getMask();
        RequiredModelMBean mixin = null;
        Object target = managed;
        if (standard != null) {
            mixin = new RequiredModelMBean(standard);
            resource(mixin, managed);
            target = custom;
        }
        RequiredModelMBean mbean = new MixinRequiredModelMBean(info, mask, standard, mixin);
        resource(mbean, target);
        if (target instanceof NotificationSenderAware aware) {
            aware.setNotificationSender(new NotificationSenderAdapter(mbean));
        }
        return mbean;
    }

    private static void resource(RequiredModelMBean mbean, Object target) throws JMException {
        try {
            mbean.setManagedResource(target, "ObjectReference");
        } catch (InvalidTargetObjectTypeException e) {
            throw new JMException(e.getMessage());
        }
    }

    /** The description of this object's class (pair), Camel's own the first time, as a deep copy every time. */
    private ModelMBeanInfo info(Object managed, Object custom, ObjectName name) throws JMException {
        Key key = new Key(managed.getClass(), custom == null ? null : custom.getClass());
        Optional<ModelMBeanInfo> first = described.get(key);
        if (first == null) {
            first = Optional.ofNullable(camels.getMBeanInfo(camelContext, managed, custom, name.toString()));
            Optional<ModelMBeanInfo> raced = described.putIfAbsent(key, first);
            first = raced != null ? raced : first;
        }
        return first.map(ManagedBeanInfos::copy).orElse(null);
    }

    /** A deep copy: new attribute, operation and notification infos, each with its own descriptor. */
    static ModelMBeanInfo copy(ModelMBeanInfo info) {
        MBeanAttributeInfo[] attributes = info.getAttributes();
        ModelMBeanAttributeInfo[] a = new ModelMBeanAttributeInfo[attributes.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = new ModelMBeanAttributeInfo((ModelMBeanAttributeInfo) attributes[i]);
        }
        MBeanOperationInfo[] operations = info.getOperations();
        ModelMBeanOperationInfo[] o = new ModelMBeanOperationInfo[operations.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = new ModelMBeanOperationInfo((ModelMBeanOperationInfo) operations[i]);
        }
        MBeanNotificationInfo[] notifications = info.getNotifications();
        ModelMBeanNotificationInfo[] n = new ModelMBeanNotificationInfo[notifications.length];
        for (int i = 0; i < n.length; i++) {
            n[i] = new ModelMBeanNotificationInfo((ModelMBeanNotificationInfo) notifications[i]);
        }
        return new ModelMBeanInfoSupport(info.getClassName(), info.getDescription(), a, null, o, n);
    }

    @Override
    protected void doInit() throws Exception {
        ServiceHelper.initService(camels);
    }

    @Override
    protected void doStart() throws Exception {
        ServiceHelper.startService(camels);
    }

    @Override
    protected void doStop() throws Exception {
        ServiceHelper.stopService(camels);
    }
}
