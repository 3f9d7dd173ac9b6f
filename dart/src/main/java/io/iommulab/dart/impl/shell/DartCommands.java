package io.iommulab.dart.impl.shell;

import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.dart.impl.AppleDartDriver;
import io.iommulab.dart.impl.DartInstance;
import io.iommulab.dart.impl.hw.T8020Regs;
import io.iommulab.dart.impl.hw.T8110Regs;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartLayout;
import io.iommulab.dart.spi.DartParams;
import io.iommulab.dart.spi.DartVariant;
import io.iommulab.klib.Bitmap;
import io.iommulab.klib.Bits;
import io.iommulab.lib.dt.NodeNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The {@code dart:} shell scope: read-only views of the DARTs through their registers (what
 * m1n1's dump does on hardware) and of the model's IOTLB counters through the machine's debug
 * port. Nothing here writes a register. A {@code <dart>} argument is a DT path, a unique node name
 * ({@code iommu@382f00000}), a unique path suffix ({@code soc/iommu@382f00000}) or a DT label
 * ({@code sio_dart}).
 *
 * <p>Fields: {@code drivers} the apple-dart driver services (one per variant); {@code machine} the
 * machine, for DARTs that did not probe and for the hardware counters.
 */
@Component(service = DartCommands.class, property = {
    "osgi.command.scope=dart",
    "osgi.command.function=darts", "osgi.command.function=regs", "osgi.command.function=streams",
    "osgi.command.function=errors", "osgi.command.function=iotlb"})
public final class DartCommands {

    @Reference(service = IommuDriver.class, target = "(" + DartVariant.PROPERTY + "=*)", cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<IommuDriver> drivers = List.of();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Machine machine;

    /** For SCR. */
    public DartCommands() {
    }

    /** For tests: commands over drivers and a machine made without OSGi. */
    public static DartCommands over(List<? extends IommuDriver> drivers, Machine machine) {
        DartCommands c = new DartCommands();
        c.drivers = List.copyOf(drivers);
        c.machine = machine;
        return c;
    }

    /** A DART the commands look at: its variant, registers and stream count; {@code instance} null if not probed. */
    private record Target(String node, DartHw hw, MmioWindow regs, int numStreams, DartInstance instance) {
    }

    @Descriptor("DART nodes: variant, probe state, streams, page size, IAS -> OAS, bypass, locked, the bundles of the driver and the variant")
    public List<DartDTO> darts() {
        List<DartDTO> out = new ArrayList<>();
        Map<String, DartInstance> probed = probed();
        for (String node : nodes()) {
            DartInstance inst = probed.get(node);
            if (inst != null) {
                DartParams p = inst.params();
                AppleDartDriver d = inst.driver();
                out.add(new DartDTO(node, inst.variant().identity().name(), "probed", p.numStreams(), p.pageSize(), p.ias(), p.oas(),
                        p.supportsBypass(), p.fourLevel(), locked(inst.variant(), inst.hardware()::readl), d.driverBundle(),
                        d.variantBundle()));
                continue;
            }
            AppleDartDriver d = driverFor(node);
            DartHw hw = d != null ? d.variant() : null;
            String driver = d != null ? d.driverBundle() : null;
            String variantBundle = d != null ? d.variantBundle() : null;
            if (machine != null && !dtNode(node).isAvailable()) {
                out.add(new DartDTO(node, hw != null ? hw.identity().name() : null, "disabled", 0, 0, 0, 0, false, false, null,
                        driver, variantBundle));
                continue;
            }
            Boolean locked = null;
            try {
                if (hw != null && machine != null) {
                    MmioWindow w = machine.ioremap(dtNode(node), 0);
                    locked = locked(hw, off -> w.readl(off));
                }
            } catch (IommuException e) {
                locked = null;
            }
            out.add(new DartDTO(node, hw != null ? hw.identity().name() : null, "not probed", 0, 0, 0, 0, false, false, locked,
                    driver, variantBundle));
        }
        return out;
    }

    private static Boolean locked(DartHw hw, java.util.function.IntUnaryOperator readl) {
        try {
            return (readl.applyAsInt(hw.global().lock()) & hw.global().lockBit()) != 0;
        } catch (IommuException e) {
            return null;
        }
    }

    @Descriptor("every register of a DART, read and decoded by name (reads only)")
    public List<RegisterDTO> regs(@Descriptor("DART: DT path, unique node name or suffix, or label") String dart) {
        Target t = target(dart);
        List<RegisterDTO> out = new ArrayList<>();
        for (RegisterView r : DartRegisterMap.of(t.hw(), t.numStreams())) {
            int v = t.regs().readl(r.offset());
            out.add(new RegisterDTO(r.name(), r.offset(), v, r.decoder().apply(v)));
        }
        return out;
    }

    @Descriptor("per stream of a DART: enabled, TCR decoded (blocked/bypass/translate/4-level), TTBRs")
    public List<StreamDTO> streams(@Descriptor("DART: DT path, unique node name or suffix, or label") String dart) {
        Target t = target(dart);
        DartHw hw = t.hw();
        int[] words = new int[(t.numStreams() + 31) / 32];
        for (int i = 0; i < words.length; i++) {
            words[i] = t.regs().readl(hw.global().enableStreams().get(i));
        }
        long[] enabled = Bitmap.fromArr32(words);
        List<StreamDTO> out = new ArrayList<>();
        for (int sid = 0; sid < t.numStreams(); sid++) {
            int tcr = t.regs().readl(hw.tcr().offset(sid));
            List<String> ttbrs = new ArrayList<>();
            for (int idx = 0; idx < hw.ttbr().count(); idx++) {
                int v = t.regs().readl(hw.ttbr().offset(sid, idx));
                ttbrs.add(String.format("0x%08x (%s)", v, DartRegisterMap.decodeTtbr(hw, v)));
            }
            out.add(new StreamDTO(sid, Bitmap.test(enabled, sid), tcr, DartRegisterMap.decodeTcr(hw, tcr), ttbrs));
        }
        return out;
    }

    @Descriptor("the error unit of a DART: ERROR decoded, ERROR_ADDR (T8110: ERROR_MASK, ERROR_STREAMS)")
    public ErrorDTO errors(@Descriptor("DART: DT path, unique node name or suffix, or label") String dart) {
        Target t = target(dart);
        DartHw hw = t.hw();
        int status = t.regs().readl(hw.global().error());
        boolean t8110 = hw.identity().layout() == DartLayout.T8110;
        int lo = t8110 ? T8110Regs.ERROR_ADDR_LO : T8020Regs.ERROR_ADDR_LO;
        int hi = t8110 ? T8110Regs.ERROR_ADDR_HI : T8020Regs.ERROR_ADDR_HI;
        long iova = (t.regs().readl(lo) & 0xffff_ffffL) | ((long) t.regs().readl(hi) << 32);
        int flag = t8110 ? T8110Regs.ERROR_FLAG : T8020Regs.ERROR_FLAG;
        int streamMask = t8110 ? T8110Regs.ERROR_STREAM : T8020Regs.ERROR_STREAM;
        int codeMask = t8110 ? T8110Regs.ERROR_CODE : T8020Regs.ERROR_CODE;
        int code = Bits.get(codeMask, status);
        String extra = "";
        if (t8110) {
            int[] words = new int[T8110Regs.ERROR_STREAMS_WORDS];
            for (int i = 0; i < words.length; i++) {
                words[i] = t.regs().readl(T8110Regs.ERROR_STREAMS + 4 * i);
            }
            String streams = Bitmap.toText(Bitmap.fromArr32(words), DartHw.MAX_STREAMS);
            extra = String.format("ERROR_MASK 0x%x, ERROR_STREAMS: %s", t.regs().readl(T8110Regs.ERROR_MASK),
                    streams.isEmpty() ? "none" : streams);
        }
        String decoded = DartRegisterMap.decodeError(hw.identity().layout(), status);
        String name = (status & flag) != 0 ? decoded.substring(decoded.indexOf('(') + 1, decoded.lastIndexOf(')')) : "";
        return new ErrorDTO(t.node(), status, (status & flag) != 0, Bits.get(streamMask, status), code, name, iova, extra);
    }

    @Descriptor("the hardware model's IOTLB counters of a DART (hits, misses, walks, faults, invalidations)")
    public Map<String, Long> iotlb(@Descriptor("DART: DT path, unique node name or suffix, or label") String dart) {
        String node = resolve(dart);
        Machine m = machine;
        if (m == null) {
            throw new IommuException(Errno.ENODEV, "no machine: the counters of " + node + " come from the simulated hardware");
        }
        return new LinkedHashMap<>(new TreeMap<>(m.hardwareCounters(node)));
    }

    // ---------------------------------------------------------------- resolution

    private List<AppleDartDriver> dartDrivers() {
        List<AppleDartDriver> out = new ArrayList<>();
        for (IommuDriver d : drivers) {
            if (d instanceof AppleDartDriver a) {
                out.add(a);
            }
        }
        return out;
    }

    private Map<String, DartInstance> probed() {
        Map<String, DartInstance> out = new LinkedHashMap<>();
        for (AppleDartDriver d : dartDrivers()) {
            for (DartInstance i : d.instances()) {
                out.put(i.node(), i);
            }
        }
        return out;
    }

    /** @return DART nodes: the machine's IOMMU nodes a variant binds (in DT order), then probed ones it did not list */
    private List<DtNode> dartNodes() {
        Map<String, DtNode> out = new LinkedHashMap<>();
        Machine m = machine;
        if (m != null) {
            for (IommuHardware h : m.iommuHardware()) {
                if (variantFor(h.node()) != null) {
                    out.put(h.node().path(), h.node());
                }
            }
        }
        for (DartInstance i : probed().values()) {
            out.putIfAbsent(i.node(), i.platformDevice().node());
        }
        return List.copyOf(out.values());
    }

    /** @return the paths of {@link #dartNodes()} */
    private List<String> nodes() {
        List<String> out = new ArrayList<>();
        dartNodes().forEach(n -> out.add(n.path()));
        return out;
    }

    /** @return the driver whose variant binds this node (first node compatible a driver lists), or null */
    private AppleDartDriver driverFor(DtNode node) {
        for (String c : node.compatible()) {
            for (AppleDartDriver d : dartDrivers()) {
                if (d.compatibles().contains(c)) {
                    return d;
                }
            }
        }
        return null;
    }

    private AppleDartDriver driverFor(String path) {
        Machine m = machine;
        if (m == null) {
            DartInstance i = probed().get(path);
            return i != null ? i.driver() : null;
        }
        return m.deviceTree().node(path).map(this::driverFor).orElse(null);
    }

    /** @return the variant that binds this node, or null */
    private DartHw variantFor(DtNode node) {
        AppleDartDriver d = driverFor(node);
        return d != null ? d.variant() : null;
    }

    private DartHw variantFor(String path) {
        AppleDartDriver d = driverFor(path);
        return d != null ? d.variant() : null;
    }

    private DtNode dtNode(String path) {
        return machine.deviceTree().node(path)
                .orElseThrow(() -> new IommuException(Errno.ENODEV, "no DT node " + path));
    }

    /** @return the DT path of the DART {@code name} names; EINVAL listing the DARTs when several match */
    String resolve(String name) {
        List<DtNode> nodes = dartNodes();
        return NodeNames.resolve("DART", name, nodes).map(DtNode::path).orElseThrow(() -> {
            List<String> paths = new ArrayList<>();
            nodes.forEach(n -> paths.add(n.path()));
            return new IommuException(Errno.ENODEV, "no DART named '" + (name == null ? "" : name) + "' (DARTs: "
                    + String.join(", ", paths) + ")");
        });
    }

    private Target target(String name) {
        String node = resolve(name);
        DartInstance inst = probed().get(node);
        if (inst != null) {
            return new Target(node, inst.variant(), inst.hardware().mmio().regs(), inst.numStreams(), inst);
        }
        DartHw hw = variantFor(node);
        if (hw == null || machine == null) {
            throw new IommuException(Errno.ENODEV, node + " is not a DART a variant binds");
        }
        MmioWindow w = machine.ioremap(dtNode(node), 0);
        int streams = hw.strategies().params().readParams(hw, w).numStreams();
        return new Target(node, hw, w, Math.min(streams, DartHw.MAX_STREAMS), null);
    }
}
