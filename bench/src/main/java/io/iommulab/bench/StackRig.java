package io.iommulab.bench;

import io.iommulab.api.DomainType;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.StreamRef;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.dart.impl.AppleDartDriver;
import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.machine.SimMachine;
import io.iommulab.dart.model.impl.DartModelFactory;
import io.iommulab.dart.model.impl.DartModelFamiliesComponent;
import io.iommulab.dart.usb4.model.impl.T8103Usb4ModelVariant;
import io.iommulab.machine.dt.BoardTwins;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.pgtable.lpae.ArmLpaeS1Format;
import io.iommulab.smmu.impl.ArmSmmuDriver;
import io.iommulab.smmu.model.SmmuModelFactory;
import io.iommulab.machine.hosting.HostedIommu;
import io.iommulab.pgtable.dart.DartFormat;
import java.util.List;
import java.util.Map;

/**
 * The whole DART stack without OSGi, as the dart module's tests build it ({@code DartRig}): the
 * built-in default board (M1-like) booted on the machine with the DART hardware model, the IOMMU
 * core engine over it, and an apple-dart driver for every built-in variant with the pgtable
 * formats handed in. The benchmarks drive one single-stream master, the audio DMA controller
 * behind {@code sio_dart} (SID 2), whose default domain is a 16 KiB DART1 table.
 *
 * <p>Fields: {@code machine} the booted board; {@code engine} the core; {@code master} the audio
 * DMA controller; {@code iommuPath}/{@code sid} its stream; {@code model} the sio_dart hardware
 * model (machine-internal, read once: the board's models do not change during a benchmark);
 * {@code buffer} a 16 KiB DMA buffer in the lower half of RAM (the half the page allocator leaves
 * to workloads), filled with {@link #pattern}.
 */
final class StackRig {

    /** The single-stream master: admac, {@code iommus = <&sio_dart 2>} on the default board. */
    static final String ADMAC = "/soc/dma-controller@238200000";
    /** sio_dart, a t8103 DART (DART1 tables, 16 KiB pages, IAS 32). */
    static final String SIO_DART = "/soc/iommu@235004000";
    /** The stream admac uses on sio_dart. */
    static final int ADMAC_SID = 2;
    /** DART and CPU page: 16 KiB on M1 (dart-facts §1.2), also the core's default CPU page size. */
    static final long PG = 0x4000;
    /**
     * IOVAs the direct-domain benchmarks use: 4096 pages, i.e. 64 MiB (two DART1 leaf tables),
     * starting at 16 MiB: low in the 4 GiB aperture, far from the top where the DMA API allocates.
     */
    static final long WINDOW_BASE = 0x0100_0000L;
    static final int WINDOW_PAGES = 4096;

    final SimMachine machine;
    final IommuCoreEngine engine;
    final DmaMaster master;
    final String iommuPath;
    final int sid;
    final IommuModel model;
    final long buffer;
    final byte[] pattern = new byte[(int) PG];

    static {
        // Boot and probe log at INFO (tens of lines per fork); warnings and the driver's fault lines still show.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
    }

    private StackRig(SimMachine machine, IommuCoreEngine engine) {
        this.machine = machine;
        this.engine = engine;
        this.master = machine.master(ADMAC).orElseThrow(() -> new IllegalStateException("default board has no DMA master " + ADMAC));
        List<StreamRef> streams = master.streams();
        // On the SMMU twin the IOMMU is the SMMU standing in for sio_dart: same stream id, maybe another node.
        if (streams.size() != 1 || streams.get(0).sid() != ADMAC_SID) {
            throw new IllegalStateException(ADMAC + " should have one stream, SID " + ADMAC_SID + "; has " + streams);
        }
        this.iommuPath = streams.get(0).iommu();
        this.sid = streams.get(0).sid();
        this.model = hostedModel(machine, iommuPath);
        this.buffer = machine.ram().get(0).base() + 0x100_0000L;
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (i * 31 + 7);
        }
        machine.memory().write(buffer, pattern, 0, pattern.length);
    }

    /**
     * Boots the default board, the core ({@link CoreConfig#defaults()}: DMA default domains, 16 KiB
     * CPU pages) with the given flush policy and tracing, and every built-in DART variant's driver.
     *
     * @param strict iommu.strict: true invalidates on every unmap; false asks for DMA-FQ domains,
     *               which the core grants only to drivers that claim DEFERRED_FLUSH
     * @param trace  record the core's trace events (Linux's trace points are off unless enabled)
     */
    static StackRig boot(boolean strict, boolean trace) {
        CoreConfig d = CoreConfig.defaults();
        CoreConfig config = new CoreConfig(d.defaultDomain(), strict, d.cpuPageSize(), trace);
        SimMachine m = SimMachine.boot(DeviceTrees.board("default"), List.of(DartModelFactory.builtInAnd(T8103Usb4ModelVariant.build(new DartModelFamiliesComponent()))), Map.of());
        IommuCoreEngine engine = new IommuCoreEngine(m, config);
        for (DartHw v : DartVariants.all()) {
            engine.addDriver(AppleDartDriver.create(v, DartFormat::byName));
        }
        StackRig rig = new StackRig(m, engine);
        DomainType t = engine.domainOf(ADMAC).type();
        if (!t.isDma()) {
            throw new IllegalStateException(ADMAC + " should be on a DMA default domain, is on " + t);
        }
        return rig;
    }

    /**
     * The same, on the default board's ARM SMMUv2 twin (every DART replaced by an SMMU with the same
     * masters and stream ids) with the arm-smmu driver: admac's default domain is an arm-lpae-s1
     * table with the 16 KiB granule (the CPU page size), behind a context bank.
     */
    static StackRig bootSmmu(boolean strict, boolean trace) {
        CoreConfig d = CoreConfig.defaults();
        CoreConfig config = new CoreConfig(d.defaultDomain(), strict, d.cpuPageSize(), trace);
        DeviceTree twin = BoardTwins.twinTree(DeviceTrees.board("default"), new SmmuModelFactory());
        SimMachine m = SimMachine.boot(twin, List.of(new SmmuModelFactory()), Map.of());
        IommuCoreEngine engine = new IommuCoreEngine(m, config);
        engine.addDriver(ArmSmmuDriver.create(name -> PageTableFormat.ARM_LPAE_S1.equals(name) ? new ArmLpaeS1Format() : null,
                System::nanoTime));
        StackRig rig = new StackRig(m, engine);
        DomainType t = engine.domainOf(ADMAC).type();
        if (!t.isDma()) {
            throw new IllegalStateException(ADMAC + " should be on a DMA default domain, is on " + t);
        }
        return rig;
    }

    /**
     * The same, on the default board's T8110 twin (every DART replaced by a t8110 DART: TLB_CMD
     * invalidation, DART2 tables, one TTBR per stream) with the apple-dart driver's t8110 variant.
     * The twin keeps only the nodes the t8110 model implements, so that the t8103 DARTs, which the
     * same factory also models, are stood in for too.
     */
    static StackRig bootT8110(boolean strict, boolean trace) {
        CoreConfig d = CoreConfig.defaults();
        CoreConfig config = new CoreConfig(d.defaultDomain(), strict, d.cpuPageSize(), trace);
        DartModelFactory models = DartModelFactory.builtInAnd();
        DeviceTree twin = DeviceTrees.parse("default board, t8110 twin",
                BoardTwins.twin(DeviceTrees.board("default"), models, List.of("apple,t8110-dart")));
        SimMachine m = SimMachine.boot(twin, List.of(models), Map.of());
        IommuCoreEngine engine = new IommuCoreEngine(m, config);
        for (DartHw v : DartVariants.all()) {
            engine.addDriver(AppleDartDriver.create(v, DartFormat::byName));
        }
        StackRig rig = new StackRig(m, engine);
        DomainType t = engine.domainOf(ADMAC).type();
        if (!t.isDma()) {
            throw new IllegalStateException(ADMAC + " should be on a DMA default domain, is on " + t);
        }
        List<String> compatible = m.deviceTree().node(rig.iommuPath).orElseThrow().compatible();
        if (!compatible.contains("apple,t8110-dart")) {
            throw new IllegalStateException(rig.iommuPath + " should be a t8110 DART on the twin, is " + compatible);
        }
        return rig;
    }

    /** @return {@link #boot} for "apple-dart", {@link #bootT8110} for "apple-dart-t8110", {@link #bootSmmu} for "arm-smmu-v2" */
    static StackRig boot(String backend, boolean strict, boolean trace) {
        return switch (backend) {
            case "apple-dart" -> boot(strict, trace);
            case "apple-dart-t8110" -> bootT8110(strict, trace);
            case "arm-smmu-v2" -> bootSmmu(strict, trace);
            default -> throw new IllegalArgumentException("no backend " + backend + " (apple-dart, apple-dart-t8110, arm-smmu-v2)");
        };
    }

    private static IommuModel hostedModel(SimMachine machine, String path) {
        for (HostedIommu h : machine.hostedIommus()) {
            if (h.path().equals(path) && h.model() != null) {
                return h.model();
            }
        }
        throw new IllegalStateException(path + " has no hardware model on the default board");
    }

    /** @return the sio_dart model's counter {@code name} (iotlb.hits, iotlb.misses, walks, faults, invalidations) */
    long counter(String name) {
        Long v = machine.hardwareCounters(iommuPath).get(name);
        if (v == null) {
            throw new IllegalStateException(iommuPath + " model has no counter " + name + ": " + machine.hardwareCounters(iommuPath));
        }
        return v;
    }

    /** @return the model's counters now */
    Map<String, Long> counters() {
        return machine.hardwareCounters(iommuPath);
    }

    /** Checks that a DMA read of {@code len} bytes at {@code iova} returns the buffer's bytes from offset {@code off}. */
    void expectBufferAt(long iova, int off, int len, String what) {
        var r = master.read(0, iova, len);
        if (!r.ok()) {
            throw new IllegalStateException(what + ": DMA read at IOVA 0x" + Long.toHexString(iova) + " faulted: " + r.fault());
        }
        for (int i = 0; i < len; i++) {
            if (r.data()[i] != pattern[off + i]) {
                throw new IllegalStateException(what + ": DMA read at IOVA 0x" + Long.toHexString(iova) + " byte " + i
                        + " is 0x" + Integer.toHexString(r.data()[i] & 0xff) + ", the buffer has 0x"
                        + Integer.toHexString(pattern[off + i] & 0xff));
            }
        }
    }

    /** Checks that a DMA read at {@code iova} faults (nothing mapped there, or nothing cached). */
    void expectFault(long iova, String what) {
        var r = master.read(0, iova, 8);
        if (r.ok()) {
            throw new IllegalStateException(what + ": DMA read at IOVA 0x" + Long.toHexString(iova) + " should fault, but read "
                    + r.bytes() + " bytes");
        }
    }

    /** The IOVAs of the window, each page once, in a random order (splitmix64, fixed seed). */
    static long[] windowIovas() {
        long[] perm = Tables.permutation(new Tables.SplitMix(), WINDOW_PAGES);
        long[] iovas = new long[WINDOW_PAGES];
        for (int i = 0; i < WINDOW_PAGES; i++) {
            iovas[i] = WINDOW_BASE + perm[i] * PG;
        }
        return iovas;
    }

    /** Releases every master and domain (as if every driver went away). */
    void close() {
        engine.shutdown();
    }
}
