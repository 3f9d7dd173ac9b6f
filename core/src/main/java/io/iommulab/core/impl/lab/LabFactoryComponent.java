package io.iommulab.core.impl.lab;

import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.core.impl.BundleUpdates;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.lib.cmdline.Memparse;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens labs: a core engine of its own over a detached machine, bound to the IOMMU driver services
 * as the registered core is (a driver that goes away is removed from every open lab too, so a lab
 * never calls into a stopped bundle). A driver that leaves in a live update (its bundle updated,
 * docs/live-update.md) is retired in every open lab as in the registered core, and its next
 * version takes each lab's IOMMUs, domains and mappings over, so a tool's lab keeps running across
 * bundle updates. Outside OSGi (tests, benchmarks) bind drivers by hand; no update happens there.
 */
@Component(service = LabFactory.class)
public final class LabFactoryComponent implements LabFactory {
    private static final Logger LOG = LoggerFactory.getLogger(LabFactoryComponent.class);
    /**
     * A lab's own setting: how long its DMA API's flush queues hold IOVAs before their timer flushes
     * them (IOVA_FQ_TIMEOUT, 10 ms unless set). A tool that must replay a run the same way sets it
     * long, so that queues flush only when full or when asked to.
     */
    public static final String FQ_TIMEOUT = "iommulab.iommu.fq-timeout-ms";

    private final List<IommuDriver> drivers = new ArrayList<>();
    private final Map<IommuDriver, String> origins = new IdentityHashMap<>();
    private final List<LabImpl> open = new ArrayList<>();
    /** the framework, to tell a live update from an unload; null outside OSGi */
    private volatile BundleContext context;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    /** A driver bound outside OSGi (tests, benchmarks): no bundle, no live update. */
    public void bindDriver(IommuDriver driver) {
        bind(driver, null);
    }

    /** A driver unbound outside OSGi: it goes away for good. */
    public void unbindDriver(IommuDriver driver) {
        unbindDriverService(driver);
    }

    @Reference(service = IommuDriver.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindDriverService(IommuDriver driver, ServiceReference<IommuDriver> ref) {
        bind(driver, BundleUpdates.origin(ref));
    }

    private void bind(IommuDriver driver, String origin) {
        List<LabImpl> labs;
        synchronized (this) {
            drivers.add(driver);
            origins.put(driver, origin);
            labs = List.copyOf(open);
        }
        labs.forEach(l -> l.engine().addDriver(driver, origin));
    }

    void unbindDriverService(IommuDriver driver) {
        List<LabImpl> labs;
        synchronized (this) {
            drivers.remove(driver);
            origins.remove(driver);
            labs = List.copyOf(open);
        }
        boolean liveUpdate = updateInProgress();
        labs.forEach(l -> l.engine().removeDriver(driver, liveUpdate));
    }

    /** @return true while some bundle is being updated (see {@link BundleUpdates#inProgress}); never outside OSGi */
    private boolean updateInProgress() {
        BundleContext c = context;
        return c != null && BundleUpdates.inProgress(c);
    }

    @Override
    public Lab open(DetachedMachine machine, Map<String, String> config) {
        IommuCoreEngine engine;
        LabImpl lab;
        long fqTimeoutMs;
        try {
            String fq = config.get(FQ_TIMEOUT);
            fqTimeoutMs = fq == null || fq.isBlank() ? DmaApiImpl.FQ_TIMEOUT_MS
                    : Memparse.parse(FQ_TIMEOUT, fq).within(1, 86_400_000L);
            engine = new IommuCoreEngine(machine, CoreConfig.from(config::get));
        } catch (IommuException e) {
            machine.close();
            throw e;
        }
        if (context != null) {
            engine.setUpdateInProgress(this::updateInProgress);
        }
        Map<IommuDriver, String> now;
        synchronized (this) {
            now = new LinkedHashMap<>();
            for (IommuDriver d : drivers) {
                now.put(d, origins.get(d));
            }
            lab = new LabImpl(machine, engine, fqTimeoutMs, this::closed);
            open.add(lab);
        }
        LOG.debug("lab: {} opened with {} driver(s)", machine.deviceTree().source(), now.size());
        now.forEach(engine::addDriver);
        return lab;
    }

    private void closed(LabImpl lab) {
        synchronized (this) {
            open.remove(lab);
        }
    }

    @Deactivate
    void deactivate() {
        List<LabImpl> labs;
        synchronized (this) {
            labs = List.copyOf(open);
        }
        labs.forEach(LabImpl::close);
    }

    /** @return labs open now (tests) */
    synchronized int openLabs() {
        return open.size();
    }
}
