package io.iommulab.fuzz;

import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.dart.impl.AppleDartDriver;
import io.iommulab.dart.impl.DartFamiliesComponent;
import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.model.impl.DartModelFactory;
import io.iommulab.dart.model.impl.DartModelFamiliesComponent;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.usb4.impl.T8103Usb4Variant;
import io.iommulab.dart.usb4.model.impl.T8103Usb4ModelVariant;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.BoardCheck;
import io.iommulab.pgtable.dart.DartFormat;
import io.iommulab.pgtable.lpae.ArmLpaeS1Format;
import io.iommulab.smmu.impl.ArmSmmuDriver;
import io.iommulab.smmu.model.SmmuModelFactory;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testiommu.model.TestIommuModelFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What {@code machine:boot} and the bundles do with a board in the launcher, without OSGi (as the
 * drivers' unit tests boot boards): the board check, the machine with every hardware model (DART
 * with its Thunderbolt variant, SMMU, test IOMMU), the IOMMU core over it, and every driver added,
 * which probes the IOMMUs and their masters (bindings, power domains, interrupts, {@code iommus} and
 * {@code iommu-map}).
 */
final class Stack implements AutoCloseable {

    private static final ArmLpaeS1Format LPAE = new ArmLpaeS1Format();
    /** Page-table formats by name, as the pgtable bundle registers them. */
    private static final Function<String, PageTableFormat> FORMATS = n -> {
        PageTableFormat f = DartFormat.byName(n);
        return f != null ? f : PageTableFormat.ARM_LPAE_S1.equals(n) ? LPAE : null;
    };

    final SimMachine machine;
    final IommuCoreEngine engine;
    final List<IommuDriver> drivers;

    private Stack(SimMachine machine, IommuCoreEngine engine, List<IommuDriver> drivers) {
        this.machine = machine;
        this.engine = engine;
        this.drivers = drivers;
    }

    /**
     * @throws io.iommulab.api.error.IommuException (a DeviceTreeException among them) for a board the
     *         check or the machine refuses; a driver that cannot probe a node leaves it unprobed instead
     */
    static Stack boot(DeviceTree tree) {
        return over(machine(tree));
    }

    /**
     * What {@code machine:boot} does before software runs: the board check, then the machine.
     *
     * @throws io.iommulab.api.error.IommuException for a board the check or the machine refuses
     */
    static SimMachine machine(DeviceTree tree) {
        BoardCheck.check(tree);
        return SimMachine.boot(tree, models(), Map.of());
    }

    /**
     * The IOMMU core over a booted machine, with every driver added: it probes what it can. Nothing
     * here may throw: a board the machine booted is the core's and the drivers' to cope with.
     */
    static Stack over(SimMachine m) {
        IommuCoreEngine engine;
        try {
            engine = new IommuCoreEngine(m, CoreConfig.defaults());
        } catch (RuntimeException | Error e) {
            m.unplugAll();
            throw e;
        }
        List<IommuDriver> drivers = new ArrayList<>();
        for (DartHw v : DartVariants.all()) {
            drivers.add(AppleDartDriver.create(v, FORMATS));
        }
        drivers.add(AppleDartDriver.create(new T8103Usb4Variant(new DartFamiliesComponent()).hw(), FORMATS));
        drivers.add(ArmSmmuDriver.create(FORMATS, System::nanoTime, true));
        drivers.add(new TestIommuDriver());
        Stack s = new Stack(m, engine, drivers);
        try {
            drivers.forEach(engine::addDriver);
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** @return the hardware of a launcher with the test IOMMU's bundles deployed */
    private static List<IommuModelFactory> models() {
        return List.of(DartModelFactory.builtInAnd(T8103Usb4ModelVariant.build(new DartModelFamiliesComponent())),
                new SmmuModelFactory(), new TestIommuModelFactory());
    }

    /** Removes the drivers (their teardown runs) and unplugs the hardware. */
    @Override
    public void close() {
        try {
            engine.shutdown();
        } finally {
            machine.unplugAll();
        }
    }
}
