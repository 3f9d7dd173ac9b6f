package io.iommulab.core.impl.lab;

import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * never calls into a stopped bundle). Outside OSGi (tests, benchmarks) bind drivers by hand.
 */
@Component(service = LabFactory.class)
public final class LabFactoryComponent implements LabFactory {
    private static final Logger LOG = LoggerFactory.getLogger(LabFactoryComponent.class);

    private final List<IommuDriver> drivers = new ArrayList<>();
    private final List<LabImpl> open = new ArrayList<>();

    @Reference(service = IommuDriver.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    public void bindDriver(IommuDriver driver) {
        List<LabImpl> labs;
        synchronized (this) {
            drivers.add(driver);
            labs = List.copyOf(open);
        }
        labs.forEach(l -> l.engine().addDriver(driver));
    }

    public void unbindDriver(IommuDriver driver) {
        List<LabImpl> labs;
        synchronized (this) {
            drivers.remove(driver);
            labs = List.copyOf(open);
        }
        labs.forEach(l -> l.engine().removeDriver(driver));
    }

    @Override
    public Lab open(DetachedMachine machine, Map<String, String> config) {
        IommuCoreEngine engine;
        List<IommuDriver> now;
        LabImpl lab;
        try {
            engine = new IommuCoreEngine(machine, CoreConfig.from(config::get));
        } catch (IommuException e) {
            machine.close();
            throw e;
        }
        synchronized (this) {
            now = List.copyOf(drivers);
            lab = new LabImpl(machine, engine, this::closed);
            open.add(lab);
        }
        LOG.info("lab: {} opened with {} driver(s)", machine.deviceTree().source(), now.size());
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
