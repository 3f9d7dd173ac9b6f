package io.iommulab.dart.impl;

import io.iommulab.testkit.MmioRecordingDriver;

import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.machine.SimMachine;
import io.iommulab.dart.model.impl.DartModelFactory;
import io.iommulab.dart.model.impl.DartModelFamiliesComponent;
import io.iommulab.dart.usb4.model.impl.T8103Usb4ModelVariant;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.pgtable.dart.DartFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A test board booted on the real machine with the DART hardware model, the IOMMU core engine over
 * it, and apple-dart drivers made without OSGi (page-table formats handed in from pgtable).
 */
final class DartRig {

    /** Page-table formats by name, as the pgtable bundle registers them. */
    static final Function<String, PageTableFormat> FORMATS = DartFormat::byName;

    final SimMachine machine;
    final IommuCoreEngine engine;
    final List<IommuDriver> drivers = new ArrayList<>();

    private DartRig(SimMachine machine, IommuCoreEngine engine) {
        this.machine = machine;
        this.engine = engine;
    }

    /** Boots {@code boards/<board>.dts} with the core's defaults and a driver for every built-in variant. */
    static DartRig boot(String board) {
        return boot(board, Map.of(), CoreConfig.defaults(), System::nanoTime, DartVariants.all());
    }

    static DartRig boot(String board, Map<String, String> props, CoreConfig config, LongSupplier clock, List<DartHw> variants) {
        SimMachine m = SimMachine.boot(tree(board), List.of(hardware()), props);
        DartRig rig = new DartRig(m, new IommuCoreEngine(m, config));
        for (DartHw v : variants) {
            rig.add(AppleDartDriver.create(v, FORMATS, clock));
        }
        return rig;
    }

    /** @return the DART hardware of a launcher: the model's built-in variants and the Thunderbolt one */
    static DartModelFactory hardware() {
        return DartModelFactory.builtInAnd(T8103Usb4ModelVariant.build(new DartModelFamiliesComponent()));
    }

    /** Boots the machine and the core with no driver yet. */
    static DartRig bootWithoutDrivers(String board, CoreConfig config) {
        SimMachine m = SimMachine.boot(tree(board), List.of(hardware()), Map.of());
        return new DartRig(m, new IommuCoreEngine(m, config));
    }

    static DeviceTree tree(String board) {
        String res = "dart-boards/iommulab-" + board + ".dts";
        try (InputStream in = DartRig.class.getClassLoader().getResourceAsStream(res)) {
            if (in == null) {
                throw new IllegalStateException("test board " + res + " is missing");
            }
            return DeviceTrees.parse(res, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    DartRig add(IommuDriver driver) {
        drivers.add(driver);
        engine.addDriver(driver);
        return this;
    }

    /** @return the driver (unwrapped) for a variant name */
    AppleDartDriver driver(String variant) {
        for (IommuDriver d : drivers) {
            AppleDartDriver a = d instanceof MmioRecordingDriver<?> r ? (AppleDartDriver) r.inner : (AppleDartDriver) d;
            if (a.variant().identity().name().equals(variant)) {
                return a;
            }
        }
        throw new IllegalArgumentException("no driver for variant " + variant);
    }

    DtNode node(String path) {
        return machine.deviceTree().node(path).orElseThrow(() -> new IllegalArgumentException("no node " + path));
    }

    /** @return the DART's registers as the machine maps them (not through the driver) */
    MmioWindow regs(String dartPath) {
        return machine.ioremap(node(dartPath), 0);
    }

    DmaMaster master(String path) {
        return machine.master(path).orElseThrow(() -> new IllegalArgumentException("no DMA master " + path));
    }

    IommuNodeDTO iommu(String path) {
        return engine.iommus().stream().filter(i -> i.node().equals(path)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no IOMMU node " + path));
    }

    /** @return the probed DART at {@code path} */
    DartInstance dart(String path) {
        for (IommuDriver d : drivers) {
            AppleDartDriver a = d instanceof MmioRecordingDriver<?> r ? (AppleDartDriver) r.inner : (AppleDartDriver) d;
            for (DartInstance i : a.instances()) {
                if (i.node().equals(path)) {
                    return i;
                }
            }
        }
        throw new IllegalArgumentException(path + " is not probed");
    }

    /** @return the first RAM address: the lower half of RAM is left to tests for DMA buffers */
    long ram() {
        return machine.ram().get(0).base();
    }
}
