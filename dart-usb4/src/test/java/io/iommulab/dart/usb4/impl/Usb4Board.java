package io.iommulab.dart.usb4.impl;

import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.dart.impl.AppleDartDriver;
import io.iommulab.dart.impl.DartFamiliesComponent;
import io.iommulab.dart.model.impl.DartModelFactory;
import io.iommulab.dart.model.impl.DartModelFamiliesComponent;
import io.iommulab.dart.usb4.model.impl.T8103Usb4ModelVariant;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.pgtable.dart.DartFormat;
import io.iommulab.testkit.MmioRecordingDriver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * {@code boards/usb4.dts} booted on the machine with the DART model and the usb4 hardware variant,
 * the core engine over it, and the apple-dart driver for the usb4 variant behind a recorder of its
 * MMIO writes: as our driver runs it, or with upstream's STREAM_SELECT words
 * ({@link T8103Usb4Variant#UPSTREAM_STREAM_SELECT_PROPERTY}), for tests that show what the upstream
 * bug leaves stale.
 */
final class Usb4Board {

    static final String DART = "/soc/iommu@38b004000";
    static final String NHI = "/soc/thunderbolt@38a000000";

    final SimMachine machine;
    final IommuCoreEngine engine;
    final MmioRecordingDriver<AppleDartDriver> rec;
    /** the DART's registers as the machine maps them (not through the driver) */
    final MmioWindow regs;

    private Usb4Board(SimMachine machine, IommuCoreEngine engine, MmioRecordingDriver<AppleDartDriver> rec) {
        this.machine = machine;
        this.engine = engine;
        this.rec = rec;
        this.regs = machine.ioremap(machine.deviceTree().node(DART).orElseThrow(), 0);
    }

    /** @param upstreamStreamSelect true to run the driver with upstream's STREAM_SELECT words */
    static Usb4Board boot(boolean upstreamStreamSelect) {
        SimMachine machine;
        try (InputStream in = Usb4Board.class.getClassLoader().getResourceAsStream("boards/usb4.dts")) {
            machine = SimMachine.boot(DeviceTrees.parse("usb4.dts", in.readAllBytes()),
                    List.of(DartModelFactory.builtInAnd(T8103Usb4ModelVariant.build(new DartModelFamiliesComponent()))), Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        IommuCoreEngine engine = new IommuCoreEngine(machine, CoreConfig.defaults());
        MmioRecordingDriver<AppleDartDriver> rec = new MmioRecordingDriver<>(AppleDartDriver.create(
                new T8103Usb4Variant(new DartFamiliesComponent(), upstreamStreamSelect).hw(), DartFormat::byName));
        engine.addDriver(rec);
        return new Usb4Board(machine, engine, rec);
    }

    DmaMaster nhi() {
        return machine.master(NHI).orElseThrow();
    }

    long ram() {
        return machine.ram().get(0).base();
    }
}
