package io.iommulab.bench;

import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.core.impl.LiveUpdatePhases;
import io.iommulab.dart.model.impl.DartModelFactory;
import io.iommulab.dart.model.impl.DartModelFamiliesComponent;
import io.iommulab.dart.spi.DartFamilies;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.usb4.impl.T8103Usb4Variant;
import io.iommulab.dart.usb4.model.impl.T8103Usb4ModelVariant;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.BoardTwins;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.smmu.model.SmmuModelFactory;
import io.iommulab.testkit.DelegatingDriver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The live-update bench's machine, without OSGi: a board, its IOMMU backend's drivers and the
 * IOMMU core engine, and the two kinds of update a bundle update makes.
 * <ul>
 * <li>{@link #updateDriver}: the driver bundle ({@code dart} or {@code smmu}) updated: every driver
 * object of the old revision leaves in a live update, then every driver of the new revision comes,
 * as the core's service tracker sees a bundle update; each driver that drove something takes its
 * IOMMUs over (one takeover each, with its own blackout).</li>
 * <li>{@link #swapPgtable}: the {@code pgtable} bundle updated under the DART drivers: each driver's
 * format service leaves and a new object of the same format arrives, and the driver re-opens its
 * live tables with it while the core holds its domains still.</li>
 * </ul>
 * The code of each new revision is either the same classes again ({@code fresh = false}: compiled,
 * the best case) or a {@link FreshCode} copy of the bundle's private packages, new classes as
 * Felix gives an updated bundle ({@code fresh = true}).
 *
 * <p>Boards: {@link Board#DEFAULT} is the built-in t8103 default board (nine t8103 DARTs and one usb4
 * DART for the dart backend, its ARM SMMUv2 twin for smmu), every master the backend probes on a
 * DMA domain; {@link Board#USB4} has one Thunderbolt/USB4 DART ({@code apple,t8103-usb4-dart}, 64
 * streams) with 64 single-stream DMA masters, each its own group on its own DMA domain (its twin:
 * one SMMU with 64 SMRs).
 *
 * <p>Every driver is a {@link BenchDriver}, which drops its record when {@link #keepRecord} says so,
 * as a driver whose old bundle was uninstalled leaves none: the new one reads the hardware.
 */
final class LiveUpdateRig {

    static final String DART = "dart";
    static final String SMMU = "smmu";
    /** Streams of one usb4 DART (dart-facts §1.1), the {@link Board#USB4} board's masters. */
    static final int USB4_STREAMS = 64;

    /** The bench's boards. */
    enum Board {
        /** the built-in default board (t8103, M1-like) */
        DEFAULT,
        /** one usb4 DART with a master on each of its 64 streams */
        USB4
    }

    /**
     * What one takeover (or pgtable swap) of an update reported, with where its time went (a swap
     * has no preparation phases: the driver re-opened the tables before it asked for the pause).
     */
    record Takeover(LiveUpdateDTO dto, LiveUpdatePhases phases) {
    }

    final String backend;
    final Board board;
    final boolean fresh;
    final SimMachine machine;
    final IommuCoreEngine engine;
    /** the masters on a DMA domain, in DT order */
    final List<DmaMaster> masters = new ArrayList<>();
    /** whether the next drivers to leave hand their records to the next version */
    volatile boolean keepRecord = true;
    private final FreshCode sameCode;
    private final FreshCode samePgtable = new FreshCode(LiveUpdateRig.class.getClassLoader(), List.of("io.iommulab.pgtable"));
    private List<BenchDriver> current;
    private int generation;
    /** the format services bound now, by format name */
    private Map<String, PageTableFormat> formats;
    private int pgtableGeneration;

    static {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
    }

    private LiveUpdateRig(String backend, Board board, boolean fresh) {
        this.backend = backend;
        this.board = board;
        this.fresh = fresh;
        this.sameCode = revisionLoader(backend);
        DeviceTree tree = board == Board.DEFAULT ? DeviceTrees.board("default")
                : DeviceTrees.parse("live-update bench board", usb4Board().getBytes(StandardCharsets.US_ASCII));
        this.machine = switch (backend) {
            case DART -> SimMachine.boot(tree, List.of(DartModelFactory.builtInAnd(
                    T8103Usb4ModelVariant.build(new DartModelFamiliesComponent()))), Map.of());
            case SMMU -> {
                SmmuModelFactory models = new SmmuModelFactory();
                yield SimMachine.boot(BoardTwins.twinTree(tree, models), List.of(models), Map.of());
            }
            default -> throw new IllegalArgumentException("no backend " + backend + " (" + DART + ", " + SMMU + ")");
        };
        this.engine = new IommuCoreEngine(machine, CoreConfig.defaults());
        this.formats = pgtableRevision();
        this.current = revision();
        for (BenchDriver d : current) {
            engine.addDriver(d, origin());
        }
        for (DmaMaster m : machine.masters()) {
            var d = engine.domainOf(m.name());
            if (d != null && d.type().isDma()) {
                masters.add(m);
            }
        }
        if (board == Board.USB4 && masters.size() != USB4_STREAMS) {
            throw new IllegalStateException("only " + masters.size() + " of the " + USB4_STREAMS + " masters are on a DMA domain");
        }
        if (masters.isEmpty()) {
            throw new IllegalStateException("no master of the " + board + " board is on a DMA domain");
        }
    }

    /**
     * @param backend {@value #DART} or {@value #SMMU}
     * @param fresh   each update brings new classes (as Felix does), else the same classes again
     */
    static LiveUpdateRig boot(String backend, Board board, boolean fresh) {
        return new LiveUpdateRig(backend, board, fresh);
    }

    /** @return a loader for one revision of the backend's bundle: its private packages defined again */
    private static FreshCode revisionLoader(String backend) {
        return new FreshCode(LiveUpdateRig.class.getClassLoader(),
                List.of(backend.equals(DART) ? "io.iommulab.dart.impl" : "io.iommulab.smmu.impl"));
    }

    private String origin() {
        return "bench " + backend + " r" + generation;
    }

    /**
     * The driver objects of the next revision of the backend's bundle, made (and their classes
     * loaded) before the old ones leave, as the new revision's components are activated before
     * they register. DART: one driver per variant (t8103, t6000, t8110 and usb4, whose variant
     * bundle is not updated: its record is rebuilt on the new families, as its component is
     * re-activated on the new DartFamilies service).
     */
    private List<BenchDriver> revision() {
        FreshCode code = fresh && current != null ? revisionLoader(backend) : sameCode;
        List<BenchDriver> out = new ArrayList<>();
        if (backend.equals(DART)) {
            DartFamilies families = (DartFamilies) code.make("io.iommulab.dart.impl.DartFamiliesComponent");
            List<DartHw> variants = new ArrayList<>();
            for (Object hw : (List<?>) code.call("io.iommulab.dart.impl.hw.DartVariants", "all", new Class<?>[0])) {
                variants.add((DartHw) hw);
            }
            variants.add(new T8103Usb4Variant(families).hw());
            Function<String, PageTableFormat> none = n -> null; // the formats are services, bound as SCR binds them
            for (DartHw hw : variants) {
                BenchDriver d = new BenchDriver((IommuDriver) code.call("io.iommulab.dart.impl.AppleDartDriver", "create",
                        new Class<?>[] {DartHw.class, Function.class}, hw, none), this, hw.identity().pgtableFormat());
                d.formatArrived(formats.get(d.format), pgtableOrigin());
                out.add(d);
            }
        } else {
            Function<String, PageTableFormat> lookup = n -> formats.get(n);
            LongSupplier clock = System::nanoTime;
            out.add(new BenchDriver((IommuDriver) code.call("io.iommulab.smmu.impl.ArmSmmuDriver", "create",
                    new Class<?>[] {Function.class, LongSupplier.class}, lookup, clock), this, null));
        }
        return out;
    }

    /**
     * One update of the backend's bundle: the old revision's drivers leave in a live update, the
     * new revision's come and take over.
     *
     * @return the takeovers, one per driver that drove something
     */
    List<Takeover> updateDriver() {
        generation++;
        List<BenchDriver> next = revision();
        for (BenchDriver d : current) {
            engine.removeDriver(d, true);
        }
        List<Takeover> out = new ArrayList<>();
        for (BenchDriver d : next) {
            LiveUpdateDTO last = newest();
            engine.addDriver(d, origin());
            if (newest() != last) {
                out.add(new Takeover(newest(), engine.liveUpdatePhases()));
            }
        }
        current = next;
        return out;
    }

    /**
     * One update of the {@code pgtable} bundle under the DART drivers: every driver's format
     * service leaves, then the new revision's arrives and each driver moves its live tables to it.
     *
     * @return the swaps, one per driver with live tables
     */
    List<Takeover> swapPgtable() {
        if (!backend.equals(DART)) {
            throw new IllegalArgumentException("a pgtable swap moves the live tables of the " + DART
                    + " drivers; the " + backend + " driver does not move its domains to a new format");
        }
        pgtableGeneration++;
        Map<String, PageTableFormat> next = pgtableRevision();
        for (BenchDriver d : current) {
            d.formatLeft(formats.get(d.format));
        }
        List<Takeover> out = new ArrayList<>();
        for (BenchDriver d : current) {
            LiveUpdateDTO last = newest();
            d.formatArrived(next.get(d.format), pgtableOrigin());
            if (newest() != last) {
                out.add(new Takeover(newest(), engine.liveUpdatePhases()));
            }
        }
        formats = next;
        return out;
    }

    /** @return the newest live update the core reports (identity tells a new one), null if none */
    private LiveUpdateDTO newest() {
        List<LiveUpdateDTO> h = engine.liveUpdates();
        return h.isEmpty() ? null : h.get(h.size() - 1);
    }

    String pgtableOrigin() {
        return "bench pgtable r" + pgtableGeneration;
    }

    /**
     * The formats of the next revision of the pgtable bundle: new objects of the format
     * components, of new classes when {@link #fresh}.
     */
    private Map<String, PageTableFormat> pgtableRevision() {
        FreshCode code = fresh && formats != null ? new FreshCode(LiveUpdateRig.class.getClassLoader(),
                List.of("io.iommulab.pgtable")) : samePgtable;
        return Map.of(PageTableFormat.APPLE_DART, (PageTableFormat) code.make("io.iommulab.pgtable.osgi.AppleDartFormatComponent"),
                PageTableFormat.APPLE_DART2, (PageTableFormat) code.make("io.iommulab.pgtable.osgi.AppleDart2FormatComponent"),
                PageTableFormat.ARM_LPAE_S1, (PageTableFormat) code.make("io.iommulab.pgtable.osgi.ArmLpaeS1FormatComponent"));
    }

    void close() {
        engine.shutdown();
    }

    /**
     * The {@link Board#USB4} board: RAM (2 GiB: the DMA buffers in the lower half, the page tables
     * in the upper), an AIC, the usb4 DART and its 64 masters ({@code iommus = <&dart0 sid>}).
     */
    static String usb4Board() {
        StringBuilder b = new StringBuilder();
        b.append("/dts-v1/;\n/ {\n\tmodel = \"iommulab live-update bench: a usb4 DART, ").append(USB4_STREAMS)
                .append(" masters\";\n\tcompatible = \"iommulab,bench-live-update\";\n")
                .append("\t#address-cells = <2>;\n\t#size-cells = <2>;\n\tinterrupt-parent = <&aic>;\n")
                .append("\tmemory@800000000 {\n\t\tdevice_type = \"memory\";\n\t\treg = <0x8 0x0 0x0 0x80000000>;\n\t};\n")
                .append("\tsoc {\n\t\tcompatible = \"simple-bus\";\n\t\t#address-cells = <2>;\n\t\t#size-cells = <2>;\n\t\tranges;\n")
                .append("\t\taic: interrupt-controller@23b100000 {\n\t\t\tcompatible = \"apple,aic\";\n")
                .append("\t\t\treg = <0x2 0x3b100000 0x0 0x8000>;\n\t\t\t#interrupt-cells = <3>;\n\t\t\tinterrupt-controller;\n\t\t};\n")
                .append("\t\tdart0: iommu@38b004000 {\n\t\t\tcompatible = \"apple,t8103-usb4-dart\";\n")
                .append("\t\t\treg = <0x3 0x8b004000 0x0 0x4000>;\n")
                .append("\t\t\tinterrupts = <0 800 4>;\n\t\t\t#iommu-cells = <1>;\n\t\t};\n");
        for (int i = 0; i < USB4_STREAMS; i++) {
            long reg = 0x3a0000000L + (long) i * 0x1000;
            b.append(String.format("\t\tdma@%x {\n\t\t\tcompatible = \"iommulab,bench-dma\";\n", reg))
                    .append(String.format("\t\t\treg = <0x%x 0x%x 0x0 0x1000>;\n", reg >>> 32, reg & 0xffffffffL))
                    .append(String.format("\t\t\tiommus = <&dart0 %d>;\n\t\t};\n", i));
        }
        return b.append("\t};\n};\n").toString();
    }

    /** A driver of the bench: drops its record when the rig says so (the next version reads the hardware). */
    static final class BenchDriver extends DelegatingDriver {
        private final LiveUpdateRig rig;
        /** the page-table format the DART variant uses; null for the SMMU */
        final String format;

        BenchDriver(IommuDriver base, LiveUpdateRig rig, String format) {
            super(base);
            this.rig = rig;
            this.format = format;
        }

        /** AppleDartDriver.formatArrived of whichever revision {@code base} is */
        void formatArrived(PageTableFormat f, String origin) {
            invoke("formatArrived", new Class<?>[] {PageTableFormat.class, String.class}, f, origin);
        }

        /** AppleDartDriver.formatLeft */
        void formatLeft(PageTableFormat f) {
            invoke("formatLeft", new Class<?>[] {PageTableFormat.class}, f);
        }

        private void invoke(String method, Class<?>[] params, Object... args) {
            try {
                base.getClass().getMethod(method, params).invoke(base, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(base.getClass().getName() + "." + method + ": " + e, e);
            }
        }

        @Override
        public PreservedIommu preserve(IommuDevice iommu) {
            PreservedIommu rec = base.preserve(iommu); // lets go of the interrupt either way
            return rig.keepRecord ? rec : null;
        }
    }
}
