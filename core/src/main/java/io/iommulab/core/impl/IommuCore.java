package io.iommulab.core.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.IommuService;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.TraceEventDTO;
import io.iommulab.api.machine.Machine;
import java.util.ArrayList;
import java.util.List;
import io.iommulab.api.dto.InjectionDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.dto.SanitizerDTO;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The IOMMU core as a service: starts when a machine is booted, binds IOMMU drivers as their
 * services come and go (bus_set_iommu / module unload). A thin wrapper of {@link IommuCoreEngine}.
 */
@Component(service = IommuService.class, immediate = true)
public final class IommuCore implements IommuService {

    private final Machine machine;
    private final IommuCoreEngine engine;
    /** drivers bound before activation, and the order they came in */
    private final List<IommuDriver> early = new ArrayList<>();
    private final java.util.Map<IommuDriver, String> origins = new java.util.IdentityHashMap<>();
    private final BundleContext context;
    /**
     * Service property a driver may carry naming another bundle its behaviour comes from (a DART
     * variant's bundle), shown with the driver's own bundle.
     */
    public static final String ORIGIN_PROPERTY = "iommulab.origin";
    private boolean active;

    @Activate
    public IommuCore(@Reference(name = "machine") Machine machine, BundleContext context) {
        this.machine = machine;
        this.context = context;
        this.engine = new IommuCoreEngine(machine, CoreConfig.from(context::getProperty));
        engine.setUpdateInProgress(this::updateInProgress);
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

    /**
     * A driver service (or the page-table code a driver needs) leaves in a live update when some
     * bundle is stopping only for a while: a bundle update or refresh stops it transiently, keeping
     * it persistently started, while a stop or an uninstall marks it stopped first. (A transient
     * stop that is not followed by a new version ends as an unload when the live-update timeout
     * passes.)
     */
    private boolean updateInProgress() {
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.STOPPING) {
                BundleStartLevel sl = b.adapt(BundleStartLevel.class);
                if (sl != null && sl.isPersistentlyStarted()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** "io.iommulab.dart 0.2.0.SNAPSHOT", and the variant's bundle when the driver names one */
    private static String origin(ServiceReference<?> ref) {
        Bundle b = ref.getBundle();
        if (b == null) {
            return null;
        }
        String s = b.getSymbolicName() + " " + b.getVersion();
        Object variant = ref.getProperty(ORIGIN_PROPERTY);
        return variant != null ? s + " + " + variant : s;
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
