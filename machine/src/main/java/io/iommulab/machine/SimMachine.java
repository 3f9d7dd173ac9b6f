package io.iommulab.machine;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.machine.BusMonitor;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.machine.StreamRef;
import io.iommulab.machine.dt.BoardCheck;
import io.iommulab.machine.dt.DtBindings;
import io.iommulab.machine.dt.IommuSpec;
import io.iommulab.machine.dt.IrqSpec;
import io.iommulab.machine.hosting.HostedIommu;
import io.iommulab.machine.hosting.ModelHost;
import io.iommulab.machine.inject.FailNthCountdown;
import io.iommulab.machine.irq.IrqController;
import io.iommulab.machine.irq.IrqLineImpl;
import io.iommulab.machine.master.BusPort;
import io.iommulab.machine.master.DmaMasterImpl;
import io.iommulab.machine.memory.PageAllocatorImpl;
import io.iommulab.machine.memory.SparseMemory;
import io.iommulab.machine.mmio.MmioBus;
import io.iommulab.machine.power.PowerDomains;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A booted board: the hardware side of iommulab. Built from a device tree, it owns physical
 * memory, the page allocator, the MMIO bus, the interrupt lines, the power domains, the hosted
 * IOMMU models and the DMA masters. Software reaches it only through the {@link Machine} interface.
 *
 * <p>{@link #boot} is the entry point outside OSGi (unit tests); inside the framework the machine
 * factory component calls it and registers the result as the {@code Machine} service.
 *
 * <p>Page allocator placement: software allocates from the upper half of every RAM region; the
 * lower half is left to workloads and tests that place buffers by physical address (where a real
 * machine keeps firmware and the kernel image).
 */
public final class SimMachine implements Machine {
    private static final Logger LOG = LoggerFactory.getLogger(SimMachine.class);

    private final DeviceTree tree;
    private final List<RamRegion> ram;
    private final SparseMemory memory;
    private final PageAllocatorImpl pages;
    private final MmioBus bus;
    /** the fail-nth countdown of this machine: its allocator, interrupt lines and models ask it, and software through it */
    private final FailNthCountdown failNth = new FailNthCountdown();
    private final IrqController irqs = new IrqController(failNth);
    private final PowerDomains power;
    /** the bus's debug port: a tool (the DMA sanitizer) sees transactions and stale IOTLB hits */
    private final BusPort port = new BusPort();
    private final ModelHost host;
    private final List<DmaMaster> masters;
    private final Map<String, DmaMaster> mastersByPath = new LinkedHashMap<>();
    /**
     * Each node's interrupt specifiers, parsed once (the tree does not change): a driver asks for
     * its lines one index at a time (platform_get_irq), an SMMU for 129 of them at every probe and
     * takeover, and a parse per index made that quadratic.
     */
    private final Map<DtNode, List<IrqSpec>> interrupts = new java.util.concurrent.ConcurrentHashMap<>();

    private SimMachine(DeviceTree tree, List<IommuModelFactory> models, Map<String, String> properties) {
        BoardCheck.check(tree);
        this.tree = tree;
        this.bus = new MmioBus(Boolean.parseBoolean(properties.getOrDefault(MachineFactory.MMIO_COUNT_PROPERTY, "false")));
        this.ram = ramOf(tree);
        this.memory = new SparseMemory(ram);
        List<RamRegion> softwareRam = new ArrayList<>();
        for (RamRegion r : ram) {
            long half = (r.size() / 2) & -PageAllocator.PAGE_SIZE;
            softwareRam.add(new RamRegion(r.base() + half, r.size() - half));
        }
        this.pages = new PageAllocatorImpl(memory, softwareRam, failNth);
        this.power = new PowerDomains(tree);
        List<DtNode> iommuNodes = new ArrayList<>();
        for (DtNode n : tree.allNodes()) {
            if (n.hasProperty("#iommu-cells")) {
                iommuNodes.add(n);
            }
        }
        this.host = new ModelHost(iommuNodes, memory, bus, power, (n, i) -> irqLine(n, i).source(), port, properties,
                failNth);
        host.addFactories(models);
        this.masters = List.copyOf(scanMasters());
        for (DmaMaster m : masters) {
            mastersByPath.put(m.name(), m);
        }
    }

    /**
     * Boots a board.
     *
     * @param tree       the board's device tree
     * @param models     hardware model factories available at boot (more may come with {@link #addModelFactory})
     * @param properties machine properties, e.g. {@code iommulab.model.<node-path>.<key>} model options
     * @throws DeviceTreeException if the tree has no usable memory node
     */
    public static SimMachine boot(DeviceTree tree, List<IommuModelFactory> models, Map<String, String> properties) {
        SimMachine m = new SimMachine(tree, models, properties);
        long mib = 0;
        for (RamRegion r : m.ram) {
            mib += r.size() >> 20;
        }
        LOG.debug("machine: {}: {} MiB RAM, {} IOMMU nodes ({} modelled), {} DMA masters",
                tree.model(), mib, m.host.iommus().size(), m.host.modelled(), m.masters.size());
        return m;
    }

    private static List<RamRegion> ramOf(DeviceTree tree) {
        List<RegRange> regs = DtBindings.memory(tree);
        List<RamRegion> out = new ArrayList<>();
        for (RegRange r : regs) {
            if (r.size() > 0) {
                out.add(new RamRegion(r.address(), r.size()));
            }
        }
        if (out.isEmpty()) {
            throw new DeviceTreeException(tree.source(), "/", "no memory node with a non-empty reg: the board has no RAM");
        }
        try {
            new SparseMemory(out);
        } catch (IommuException e) {
            throw new DeviceTreeException(tree.source(), "memory", e.getMessage());
        }
        return List.copyOf(out);
    }

    // ---- DMA masters ----

    private List<DmaMaster> scanMasters() {
        List<DmaMaster> out = new ArrayList<>();
        for (DtNode n : tree.allNodes()) {
            if (!n.isAvailable()) {
                continue;
            }
            if (n.hasProperty("iommus")) {
                platformMaster(n, out);
            }
            if (n.hasProperty("iommu-map")) {
                pciMasters(n, n, out);
            }
        }
        return out;
    }

    /** A malformed {@code iommus} refuses the board (BoardCheck has named it): a master never silently vanishes. */
    private void platformMaster(DtNode n, List<DmaMaster> out) {
        List<IommuSpec> specs = DtBindings.iommus(tree, n);
        List<StreamRef> streams = new ArrayList<>();
        List<HostedIommu> targets = new ArrayList<>();
        for (IommuSpec s : specs) {
            streams.add(new StreamRef(s.iommu().path(), s.args()));
            targets.add(hosted(n, s));
        }
        if (!streams.isEmpty()) {
            out.add(new DmaMasterImpl(n, streams, targets, -1, power.gate(n), memory, port));
        }
    }

    private void pciMasters(DtNode bridge, DtNode parent, List<DmaMaster> out) {
        for (DtNode c : parent.children()) {
            if (!c.isAvailable() || !isPciNode(c)) {
                continue;
            }
            int rid = DtBindings.pciRequesterId(c);
            Optional<IommuSpec> s = DtBindings.mapRid(tree, bridge, rid);
            if (s.isPresent()) {
                StreamRef ref = new StreamRef(s.get().iommu().path(), s.get().args());
                out.add(new DmaMasterImpl(c, List.of(ref), List.of(hosted(c, s.get())), rid, power.gate(c), memory, port));
            }
            pciMasters(bridge, c, out);
        }
    }

    /** A PCI node: its parent decodes 3-cell (PCI) addresses and it has a reg. */
    private static boolean isPciNode(DtNode n) {
        return n.hasProperty("reg") && n.parent().map(p -> p.u32("#address-cells", 2) == 3).orElse(false);
    }

    private HostedIommu hosted(DtNode master, IommuSpec s) {
        HostedIommu h = host.iommu(s.iommu().path());
        if (h == null) {
            throw new DeviceTreeException(tree.source(), master.path(),
                    "references " + s.iommu().path() + ", which has no #iommu-cells");
        }
        return h;
    }

    // ---- Machine ----

    @Override
    public DeviceTree deviceTree() {
        return tree;
    }

    @Override
    public List<RamRegion> ram() {
        return ram;
    }

    @Override
    public PhysicalMemory memory() {
        return memory;
    }

    @Override
    public PageAllocator pages() {
        return pages;
    }

    @Override
    public MmioWindow ioremap(DtNode node, int index) {
        List<RegRange> reg = node.reg();
        if (index < 0 || index >= reg.size()) {
            throw new IommuException(Errno.ENODEV, String.format("%s: no reg entry %d (it has %d)", node.path(), index, reg.size()));
        }
        return bus.ioremap(node, index, reg.get(index));
    }

    @Override
    public IrqLine irq(DtNode node, int index) {
        return irqLine(node, index);
    }

    private IrqLineImpl irqLine(DtNode node, int index) {
        List<IrqSpec> specs = interrupts.computeIfAbsent(node, n -> List.copyOf(DtBindings.interrupts(tree, n)));
        if (index < 0 || index >= specs.size()) {
            throw new IommuException(Errno.ENODEV, String.format("%s: no interrupt %d (it has %d)", node.path(), index, specs.size()));
        }
        IrqSpec s = specs.get(index);
        return irqs.line(s.controller(), s.cells());
    }

    @Override
    public void pmDomainAttach(DtNode node) {
        power.attach(node);
    }

    @Override
    public void pmDomainDetach(DtNode node) {
        power.detach(node.path());
    }

    @Override
    public void setBusMonitor(BusMonitor monitor) {
        port.monitor(monitor);
    }

    @Override
    public io.iommulab.api.machine.FailNth failNth() {
        return failNth;
    }

    @Override
    public Map<String, List<String>> irqHandlers() {
        Map<String, List<String>> out = new java.util.TreeMap<>();
        for (IrqLineImpl line : irqs.lines()) {
            List<String> names = new ArrayList<>();
            for (IrqLineImpl.Action a : line.actions()) {
                names.add(a.devName());
            }
            if (!names.isEmpty()) {
                out.put(line.name(), List.copyOf(names));
            }
        }
        return out;
    }

    @Override
    public boolean isPowered(DtNode node) {
        return power.isPowered(node);
    }

    @Override
    public List<IommuHardware> iommuHardware() {
        return host.hardware();
    }

    @Override
    public List<DmaMaster> masters() {
        return masters;
    }

    @Override
    public Optional<DmaMaster> master(String path) {
        return Optional.ofNullable(mastersByPath.get(path));
    }

    // ---- hardware arriving and leaving ----

    /** A model factory appears (its bundle started): unmodelled matching nodes get a model. */
    public void addModelFactory(IommuModelFactory factory) {
        host.addFactory(factory);
    }

    /** Unplugs every model (a detached machine closing); windows onto their registers then fail with EIO. */
    public void unplugAll() {
        for (IommuModelFactory f : host.factories()) {
            host.removeFactory(f);
        }
    }

    /** A model factory goes away (its bundle stopped): its models are unplugged. */
    public void removeModelFactory(IommuModelFactory factory) {
        host.removeFactory(factory);
    }

    // ---- machine-side views for the shell and tests (not for software) ----

    /** @return the physical memory implementation */
    public SparseMemory sparseMemory() {
        return memory;
    }

    /** @return the page allocator implementation */
    public PageAllocatorImpl pageAllocator() {
        return pages;
    }

    /** @return the MMIO bus */
    public MmioBus bus() {
        return bus;
    }

    /** @return interrupt lines in use */
    public List<IrqLineImpl> irqLines() {
        return irqs.lines();
    }

    /** @return the power domains */
    public PowerDomains powerDomains() {
        return power;
    }

    @Override
    public Map<String, Long> hardwareCounters(String iommuPath) {
        IommuModel model = hosted(iommuPath).model();
        Map<String, Long> out = new java.util.TreeMap<>(model == null ? Map.of() : model.counters());
        if (bus.counting()) {
            long[] rw = bus.accesses(iommuPath);
            out.put("mmio.reads", rw[0]);
            out.put("mmio.writes", rw[1]);
        }
        return Map.copyOf(out);
    }

    @Override
    public List<io.iommulab.api.hw.IotlbEntry> iotlbEntries(String iommuPath) {
        IommuModel model = hosted(iommuPath).model();
        return model == null ? List.of() : List.copyOf(model.iotlbEntries());
    }

    /** @return the IOMMU node with this path; ENODEV if there is none */
    private HostedIommu hosted(String iommuPath) {
        for (HostedIommu h : host.iommus()) {
            if (h.path().equals(iommuPath)) {
                return h;
            }
        }
        throw new IommuException(Errno.ENODEV, "no IOMMU node " + iommuPath + " on this board");
    }

    @Override
    public io.iommulab.api.hw.TableWalk hardwareWalk(String iommuPath, int sid, long iova) {
        for (HostedIommu h : host.iommus()) {
            if (h.path().equals(iommuPath)) {
                IommuModel model = h.model();
                if (model == null) {
                    throw new IommuException(Errno.ENODEV, "IOMMU node " + iommuPath + " has no hardware model");
                }
                io.iommulab.api.hw.TableWalk w = model.walk(sid, iova);
                if (w == null) {
                    throw new IommuException(Errno.EOPNOTSUPP, "the hardware model of " + iommuPath + " (" + model
                            + ") offers no walk to tools");
                }
                return w;
            }
        }
        throw new IommuException(Errno.ENODEV, "no IOMMU node " + iommuPath + " on this board");
    }

    /** @return the hosted IOMMUs */
    public List<HostedIommu> hostedIommus() {
        return host.iommus();
    }

    /** @return number of IOMMU nodes with a model */
    public int modelledIommus() {
        return host.modelled();
    }

    /** @return registered model factories */
    public List<IommuModelFactory> modelFactories() {
        return host.factories();
    }
}
