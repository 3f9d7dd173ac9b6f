package io.iommulab.smmu.impl;

import io.iommulab.testkit.MmioRecordingDriver;

import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.pgtable.lpae.ArmLpaeS1Format;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import io.iommulab.smmu.model.SmmuModelFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;

/**
 * A test board booted on the real machine with the SMMU hardware model, the IOMMU core engine over
 * it, and an arm-smmu driver made without OSGi (behind a {@link MmioRecordingDriver}; the arm-lpae-s1 format
 * handed in from pgtable). {@code registered} is what the engine has as the driver: the recorder, or
 * a test's wrapper around it.
 */
final class SmmuRig {

    static final ArmLpaeS1Format LPAE = new ArmLpaeS1Format();
    /** Page-table formats by name, as the pgtable bundle registers them. */
    static final Function<String, PageTableFormat> FORMATS = n -> PageTableFormat.ARM_LPAE_S1.equals(n) ? LPAE : null;

    final SimMachine machine;
    final IommuCoreEngine engine;
    final MmioRecordingDriver<ArmSmmuDriver> rec;
    final ArmSmmuDriver driver;
    final IommuDriver registered;

    private SmmuRig(SimMachine machine, IommuCoreEngine engine, MmioRecordingDriver<ArmSmmuDriver> rec, IommuDriver registered) {
        this.machine = machine;
        this.engine = engine;
        this.rec = rec;
        this.driver = rec.inner;
        this.registered = registered;
    }

    /** Boots {@code smmu-boards/iommulab-<board>.dts} with the core's defaults and disable_bypass on. */
    static SmmuRig boot(String board) {
        return boot(board, CoreConfig.defaults(), System::nanoTime, true);
    }

    static SmmuRig boot(String board, CoreConfig config, LongSupplier clock, boolean disableBypass) {
        return boot(board, config, ArmSmmuDriver.create(FORMATS, clock, disableBypass), Map.of());
    }

    /** Boots the board and adds {@code driver} behind a recorder whose windows report {@code windowSizes} (by node path). */
    static SmmuRig boot(String board, CoreConfig config, ArmSmmuDriver driver, Map<String, Long> windowSizes) {
        return boot(tree(board), config, driver, windowSizes);
    }

    /** Boots {@code tree} (an SMMU twin of another board, say) with the core's defaults and disable_bypass on. */
    static SmmuRig boot(DeviceTree tree) {
        return boot(tree, CoreConfig.defaults(), ArmSmmuDriver.create(FORMATS, System::nanoTime, true), Map.of());
    }

    /** Boots the board with the engine holding {@code wrap} of the recorder (a test's changed driver). */
    static SmmuRig boot(String board, UnaryOperator<IommuDriver> wrap) {
        return boot(tree(board), CoreConfig.defaults(), ArmSmmuDriver.create(FORMATS, System::nanoTime, true), Map.of(), wrap);
    }

    private static SmmuRig boot(DeviceTree tree, CoreConfig config, ArmSmmuDriver driver, Map<String, Long> windowSizes) {
        return boot(tree, config, driver, windowSizes, d -> d);
    }

    private static SmmuRig boot(DeviceTree tree, CoreConfig config, ArmSmmuDriver driver, Map<String, Long> windowSizes,
            UnaryOperator<IommuDriver> wrap) {
        SimMachine m = SimMachine.boot(tree, List.of(new SmmuModelFactory()), Map.of());
        MmioRecordingDriver<ArmSmmuDriver> rec = new MmioRecordingDriver<>(driver);
        SmmuRig rig = new SmmuRig(m, new IommuCoreEngine(m, config), rec, wrap.apply(rec));
        windowSizes.forEach((path, size) -> rig.rec.windowSize.put(path, s -> size));
        rig.engine.addDriver(rig.registered);
        return rig;
    }

    static DeviceTree tree(String board) {
        String res = "smmu-boards/iommulab-" + board + ".dts";
        try (InputStream in = SmmuRig.class.getClassLoader().getResourceAsStream(res)) {
            if (in == null) {
                throw new IllegalStateException("test board " + res + " is missing");
            }
            return DeviceTrees.parse(res, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    DtNode node(String path) {
        return machine.deviceTree().node(path).orElseThrow(() -> new IllegalArgumentException("no node " + path));
    }

    /** @return the SMMU's registers as the machine maps them (not through the driver) */
    MmioWindow regs(String smmuPath) {
        return machine.ioremap(node(smmuPath), 0);
    }

    /** @return GR0 register {@code offset} of the SMMU, read through the machine */
    int gr0(String smmuPath, int offset) {
        return regs(smmuPath).readl(offset);
    }

    /** @return GR1 register {@code offset} of the SMMU (4 KiB pages) */
    int gr1(String smmuPath, int offset) {
        return regs(smmuPath).readl(0x1000 + offset);
    }

    /** @return register {@code offset} of context bank {@code cb} */
    int cb(String smmuPath, int cb, int offset) {
        return regs(smmuPath).readl(bankBase(smmuPath, cb) + offset);
    }

    /** @return 64-bit register {@code offset} of context bank {@code cb} (low word at +0) */
    long cbq(String smmuPath, int cb, int offset) {
        MmioWindow w = regs(smmuPath);
        long base = bankBase(smmuPath, cb) + offset;
        return (w.readl(base) & 0xffff_ffffL) | ((long) w.readl(base + 4) << 32);
    }

    /** @return byte offset of bank {@code cb}: (NUMPAGE + cb) pages, NUMPAGE from ID1 */
    long bankBase(String smmuPath, int cb) {
        int id1 = gr0(smmuPath, SmmuRegs.GR0_ID1);
        int numPage = 1 << (((id1 >>> 28) & 7) + 1);
        return (long) (numPage + cb) << 12;
    }

    DmaMaster master(String path) {
        return machine.master(path).orElseThrow(() -> new IllegalArgumentException("no DMA master " + path));
    }

    IommuNodeDTO iommu(String path) {
        return engine.iommus().stream().filter(i -> i.node().equals(path)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no IOMMU node " + path));
    }

    DeviceDTO device(String path) {
        return engine.devices().stream().filter(d -> d.node().equals(path)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no device " + path));
    }

    /** @return the probed SMMU at {@code path} */
    SmmuInstance smmu(String path) {
        return driver.instances().stream().filter(s -> s.node().equals(path)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(path + " is not probed"));
    }

    /** @return the master's configuration (its stream-map entries) */
    MasterCfg cfg(String master) {
        return (MasterCfg) rec.masters.get(master).priv();
    }

    /** @return the first RAM address: tests use the RAM from 16 MiB on for DMA buffers */
    long ram() {
        return machine.ram().get(0).base();
    }
}
