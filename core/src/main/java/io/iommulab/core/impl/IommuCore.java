package io.iommulab.core.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.IommuService;
import io.iommulab.api.config.Configurable;
import io.iommulab.api.config.SettingDTO;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.InjectionDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.TraceEventDTO;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.Machine;
import io.iommulab.klib.RateLimit;
import io.iommulab.lib.config.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IOMMU core as a service: starts when a machine is booted, binds IOMMU drivers as their
 * services come and go (bus_set_iommu / module unload). A thin wrapper of {@link IommuCoreEngine}.
 *
 * <p>Its policy is the configuration {@value CoreSettings#PID} ({@link Config}, {@link CoreSettings})
 * over the framework properties: a changed configuration is applied by {@link #modified} while the
 * machine runs, never by a deactivation (which would tear down every group and domain). It is also
 * registered as {@link Configurable}, so that {@code iommu:config} lists and changes it.
 */
@Component(service = {IommuService.class, Configurable.class}, immediate = true, configurationPid = CoreSettings.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = IommuCore.Config.class)
public final class IommuCore implements IommuService, Configurable {

    /**
     * The metatype of the core's configuration: keys, defaults and descriptions as tools see them
     * ({@code iommu:config} shows the descriptions). A method's name is its key ({@code $_$} is a
     * dash); {@link CoreSettings} reads and checks the values, and a test holds the two together.
     */
    @ObjectClassDefinition(id = CoreSettings.PID, name = "IOMMU core policy", description = "How the IOMMU core sets up "
            + "default domains, traces and rate-limits messages. Each key can also be a framework property "
            + "iommulab.iommu.KEY, which a configuration overrides.")
    public @interface Config {
        @AttributeDefinition(name = "Default domain type", description = "Default domain type of a group whose driver asks"
                + " for none (iommu.passthrough: identity). Applies to default domains set up after the change.",
                options = {@Option(value = "dma", label = "DMA"), @Option(value = "dma-fq", label = "DMA with flush queue"),
                    @Option(value = "identity", label = "identity (passthrough)"), @Option(value = "blocked", label = "blocked"),
                    @Option(value = "unmanaged", label = "unmanaged")})
        String default$_$domain() default "dma";

        @AttributeDefinition(name = "Strict invalidation", description = "true: unmap invalidates the IOTLB before it "
                + "returns (iommu.strict=1); false: lazy, DMA default domains get a flush queue (DMA-FQ) where the driver"
                + " can defer flushes. Applies to default domains set up after the change.")
        boolean strict() default true;

        @AttributeDefinition(name = "Trace", description = "Record iommu trace events (iommu:trace). Applies at once.")
        boolean trace() default true;

        @AttributeDefinition(name = "Trace events", description = "How many trace events the ring keeps: a power of two "
                + "from 16 to 1048576. Applies at once; a smaller ring keeps the newest events.", min = "16",
                max = "1048576")
        int trace$_$events() default CoreConfig.DEFAULT_TRACE_EVENTS;

        @AttributeDefinition(name = "Rate limit interval (ms)", description = "Window of every rate-limited message "
                + "(drivers' fault reports, the DMA sanitizer's findings), as kernel.printk_ratelimit; 0: no rate "
                + "limiting. Applies at once, from each message site's next message.", min = "0", max = "3600000")
        long ratelimit$_$interval$_$ms() default 5000;

        @AttributeDefinition(name = "Rate limit burst", description = "Messages per window of every rate-limited "
                + "message site, as kernel.printk_ratelimit_burst; 0 suppresses them (counted, reported when a window"
                + " opens). Applies at once.", min = "0", max = "1000000")
        int ratelimit$_$burst() default RateLimit.BURST;
    }

    private static final Logger LOG = LoggerFactory.getLogger(IommuCore.class);

    private final Machine machine;
    private final IommuCoreEngine engine;
    /** drivers bound before activation, and the order they came in */
    private final List<IommuDriver> early = new ArrayList<>();
    private final java.util.Map<IommuDriver, String> origins = new java.util.IdentityHashMap<>();
    private final BundleContext context;
    /** {@link BundleUpdates#ORIGIN_PROPERTY} */
    public static final String ORIGIN_PROPERTY = BundleUpdates.ORIGIN_PROPERTY;
    private boolean active;
    /** the settings in effect, with their sources */
    private volatile Values settings;

    /**
     * A configuration with a bad value is refused (logged; the core starts on the framework
     * properties); a bad framework property fails the activation, as it always did.
     */
    @Activate
    public IommuCore(@Reference(name = "machine") Machine machine, BundleContext context, Map<String, Object> properties) {
        this.machine = machine;
        this.context = context;
        Values v;
        try {
            v = CoreSettings.SETTINGS.read(properties, context::getProperty);
        } catch (IommuException e) {
            LOG.error("configuration refused, the framework properties apply: {}", e.getMessage());
            v = CoreSettings.SETTINGS.read(Map.of(), context::getProperty);
        }
        this.engine = new IommuCoreEngine(machine, CoreConfig.from(context::getProperty, v));
        this.settings = v;
        RateLimit.setLimits(CoreSettings.limits(v));
        engine.setUpdateInProgress(this::updateInProgress);
    }

    /**
     * The configuration changed (or was deleted: then {@code properties} holds none of its keys):
     * the new settings take effect while the core runs ({@link IommuCoreEngine#reconfigure}). A
     * configuration with a bad value is refused whole, with one line naming the PID, the key and
     * the value, and nothing changes.
     */
    @Modified
    void modified(Map<String, Object> properties) {
        Values next;
        try {
            next = CoreSettings.SETTINGS.read(properties, context::getProperty);
        } catch (IommuException e) {
            LOG.error("configuration refused, nothing changed: {}", e.getMessage());
            return;
        }
        engine.reconfigure(engine.config().withSettings(next));
        RateLimit.setLimits(CoreSettings.limits(next));
        String changes = next.changesFrom(settings);
        settings = next;
        if (!changes.isEmpty()) {
            LOG.info("{}: {}", CoreSettings.PID, changes);
        }
    }

    @Override
    public String pid() {
        return CoreSettings.PID;
    }

    @Override
    public List<SettingDTO> settings() {
        return settings.dtos();
    }

    @Override
    public String check(String key, String value) {
        return CoreSettings.SETTINGS.check(key, value);
    }

    @Activate
    void activate() {
        List<IommuDriver> pending;
        synchronized (this) {
            active = true;
            pending = new ArrayList<>(early);
            early.clear();
        }
        for (IommuDriver d : pending) {
            String origin;
            synchronized (this) {
                origin = origins.remove(d);
            }
            engine.addDriver(d, origin);
        }
    }

    @Deactivate
    void deactivate() {
        synchronized (this) {
            active = false;
        }
        engine.shutdown();
        RateLimit.setLimits(RateLimit.Limits.DEFAULT); // the core's configuration no longer applies
    }

    @Reference(service = IommuDriver.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindDriver(IommuDriver driver, ServiceReference<IommuDriver> ref) {
        String origin = origin(ref);
        synchronized (this) {
            if (!active) {
                early.add(driver);
                origins.put(driver, origin);
                return;
            }
        }
        engine.addDriver(driver, origin);
    }

    void unbindDriver(IommuDriver driver, ServiceReference<IommuDriver> ref) {
        synchronized (this) {
            if (early.remove(driver)) {
                origins.remove(driver);
                return;
            }
        }
        engine.removeDriver(driver, updateInProgress());
    }

    private boolean updateInProgress() {
        return BundleUpdates.inProgress(context);
    }

    private static String origin(ServiceReference<?> ref) {
        return BundleUpdates.origin(ref);
    }

    /**
     * The Machine service's properties changed: the machine bumps {@code machine.hardware.generation}
     * when hardware models are plugged in or out, so nodes may have gained or lost their hardware.
     */
    @Reference(name = "hardwareChanges", service = Machine.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, bind = "machineSeen", updated = "machineUpdated", unbind = "machineGone")
    void machineUpdated(Machine m) {
        synchronized (this) {
            if (!active) {
                return;
            }
        }
        engine.hardwareChanged();
    }

    // Felix SCR does not deliver `updated` for a constructor-injected reference, so a second,
    // dynamic reference to the same service listens for the property change; binding it is a no-op.
    void machineSeen(Machine m) {
    }

    void machineGone(Machine m) {
    }

    /** @return the engine, for the DMA API and the shell of this bundle */
    public IommuCoreEngine engine() {
        return engine;
    }

    Machine machine() {
        return machine;
    }

    @Override
    public List<IommuNodeDTO> iommus() {
        return engine.iommus();
    }

    @Override
    public List<DeviceDTO> devices() {
        return engine.devices();
    }

    @Override
    public List<GroupDTO> groups() {
        return engine.groups();
    }

    @Override
    public List<DomainDTO> domains() {
        return engine.domains();
    }

    @Override
    public IommuDomain domainOf(String device) {
        return engine.domainOf(device);
    }

    @Override
    public IommuDomain domainAlloc(String device, DomainType type) {
        return engine.domainAlloc(device, type);
    }

    @Override
    public void attachGroup(IommuDomain domain, String device) {
        engine.attachGroup(domain, device);
    }

    @Override
    public void detachGroup(IommuDomain domain, String device) {
        engine.detachGroup(domain, device);
    }

    @Override
    public List<FaultDTO> faults() {
        return engine.faults();
    }

    @Override
    public List<TraceEventDTO> trace() {
        return engine.trace();
    }

    @Override
    public void clearTrace() {
        engine.clearTrace();
    }

    @Override
    public List<LiveUpdateDTO> liveUpdates() {
        return engine.liveUpdates();
    }

    @Override
    public int waitingCalls() {
        return engine.waitingCalls();
    }

    @Override
    public SanitizerDTO sanitizer() {
        return engine.sanitizer();
    }

    @Override
    public SanitizerDTO setSanitizer(boolean on) {
        return engine.setSanitizer(on);
    }

    @Override
    public void clearSanitizer() {
        engine.clearSanitizer();
    }

    @Override
    public InjectionDTO inject(String iommu, String point, long count) {
        return engine.inject(iommu, point, count);
    }

    @Override
    public List<InjectionDTO> injections() {
        return engine.injections();
    }

    @Override
    public List<io.iommulab.api.dto.IommuPageDTO> iommuPages() {
        return engine.iommuPages();
    }
}
