package io.iommulab.machine.shell;

import io.iommulab.api.IommuService;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dto.FailNthDTO;
import io.iommulab.api.dto.IotlbDTO;
import io.iommulab.api.dto.RamDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.FailNth;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.machine.StreamRef;
import io.iommulab.lib.cmdline.Memparse;
import io.iommulab.lib.dt.NodeNames;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.BoardCheck;
import io.iommulab.machine.irq.IrqLineImpl;
import io.iommulab.machine.power.PowerDomain;
import io.iommulab.machine.power.PowerDomains;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Gogo commands of scope {@code machine}: boot a board and look at the hardware (IOMMU nodes,
 * DMA masters, interrupt lines, pages, memory, power), and arm the machine's fail-nth countdown
 * ({@code machine:failnth}).
 */
@Component(service = MachineCommands.class, property = {
        "osgi.command.scope=machine",
        "osgi.command.function=boot",
        "osgi.command.function=status",
        "osgi.command.function=hardware",
        "osgi.command.function=masters",
        "osgi.command.function=irqs",
        "osgi.command.function=pages",
        "osgi.command.function=mem",
        "osgi.command.function=poke",
        "osgi.command.function=power",
        "osgi.command.function=failnth",
        "osgi.command.function=iotlb",
        "osgi.command.function=ram"})
public final class MachineCommands {
    private static final int DEFAULT_DUMP = 64;
    private static final int MAX_DUMP = 1 << 16;

    /** null for commands over one machine ({@link #over}) */
    private final MachineFactory factory;
    private final java.util.function.Supplier<Optional<Machine>> current;
    /** the IOMMU core running on the machine, if any: it knows which pages are whose page tables */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile IommuService core;

    @Activate
    public MachineCommands(@Reference MachineFactory factory) {
        this(factory, factory::current);
    }

    /** For tests: commands over a machine booted without OSGi, which boot nothing else. Not a constructor, so SCR sees one. */
    public static MachineCommands over(Machine machine) {
        return over(machine, null);
    }

    /** For tests: {@link #over(Machine)} with the IOMMU core running on that machine. */
    public static MachineCommands over(Machine machine, IommuService core) {
        MachineCommands c = new MachineCommands(null, () -> Optional.of(machine));
        c.core = core;
        return c;
    }

    private MachineCommands(MachineFactory factory, java.util.function.Supplier<Optional<Machine>> current) {
        this.factory = factory;
        this.current = current;
    }

    private MachineFactory factory() {
        if (factory == null) {
            throw new IommuException(Errno.EBUSY, "machine already booted with " + machine().deviceTree().source());
        }
        return factory;
    }

    /**
     * What a boot produced.
     *
     * @param board    the board source
     * @param model    the board's model string
     * @param ramMiB   RAM in MiB
     * @param iommus   IOMMU nodes
     * @param modelled IOMMU nodes with a hardware model
     * @param masters  DMA masters
     */
    public record Summary(String board, String model, long ramMiB, int iommus, int modelled, int masters) {
        @Override
        public String toString() {
            return String.format("%s (%s): %d MiB RAM, %d IOMMU nodes (%d modelled), %d DMA masters",
                    model, board, ramMiB, iommus, modelled, masters);
        }
    }

    /**
     * One IOMMU node.
     *
     * @param node       DT path
     * @param compatible its compatible strings
     * @param model      hardware model name, or null
     * @param reason     why there is no model, or null
     */
    public record HardwareRow(String node, String compatible, String model, String reason) {
        @Override
        public String toString() {
            return String.format("%-32s %-24s %s", node, compatible, model != null ? "model " + model : "(" + reason + ")");
        }
    }

    /**
     * One DMA master.
     *
     * @param node    DT path
     * @param streams its streams as {@code <iommu> sid <n>}
     * @param rid     PCI requester id, or -1
     * @param powered whether its power domains are on
     */
    public record MasterRow(String node, List<String> streams, int rid, boolean powered) {
        @Override
        public String toString() {
            return String.format("%-44s %s%s %s", node, String.join(", ", streams),
                    rid >= 0 ? String.format(" rid 0x%04x", rid) : "", powered ? "on" : "off");
        }
    }

    /**
     * One interrupt line.
     *
     * @param name      line name ({@code aic:781})
     * @param handlers  devices with a handler on it
     * @param raised    times raised
     * @param unhandled times nobody answered HANDLED
     */
    public record IrqRow(String name, List<String> handlers, long raised, long unhandled) {
        @Override
        public String toString() {
            return String.format("%-12s raised %d unhandled %d  %s", name, raised, unhandled, String.join(", ", handlers));
        }
    }

    /**
     * Page allocator state.
     *
     * @param inUse   pages in use
     * @param byOwner pages by owner
     */
    public record Pages(long inUse, Map<String, Long> byOwner) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(String.format("%d pages in use", inUse));
            byOwner.forEach((o, n) -> sb.append(String.format("%n  %8d  %s", n, o)));
            return sb.toString();
        }
    }

    /**
     * One power domain.
     *
     * @param domain   domain name (the provider's DT path)
     * @param label    the genpd name (the node's {@code label}), "" if none
     * @param on       whether it is on
     * @param alwaysOn whether it is {@code apple,always-on}
     * @param available false if its node is disabled (never registered: its devices defer)
     * @param parents  the domains it is a subdomain of
     * @param reasons  why it is on (empty when off)
     */
    public record PowerRow(String domain, String label, boolean on, boolean alwaysOn, boolean available,
            List<String> parents, List<String> reasons) {
        @Override
        public String toString() {
            return String.format("%-56s %-14s %-3s%s%s", domain, label, !available ? "disabled" : on ? "on" : "off",
                    parents.isEmpty() ? "" : "  parents " + String.join(", ", parents),
                    reasons.isEmpty() ? "" : "  [" + String.join("; ", reasons) + "]");
        }
    }

    @Descriptor("boot the default board")
    public Summary boot() {
        return summary(factory().bootDefault());
    }

    /** The file is read and checked first, as the launcher does: a bad board gets its own message, not EBUSY. */
    @Descriptor("boot a board from a DTB or DTS file")
    public Summary boot(@Descriptor("DTB or DTS file") String file) {
        Path p = Path.of(file);
        return summary(factory().boot(p.toString(), BoardCheck.checkFile(p)));
    }

    @Descriptor("show the booted machine")
    public Summary status() {
        return summary(machine());
    }

    @Descriptor("list the IOMMU hardware: node, compatible, model or why there is none")
    public List<HardwareRow> hardware() {
        List<HardwareRow> out = new ArrayList<>();
        for (IommuHardware h : machine().iommuHardware()) {
            out.add(new HardwareRow(h.node().path(), String.join(",", h.node().compatible()), h.model(), h.reason()));
        }
        return out;
    }

    @Descriptor("list the DMA masters: node, streams, PCI requester id, power")
    public List<MasterRow> masters() {
        Machine m = machine();
        List<MasterRow> out = new ArrayList<>();
        for (DmaMaster dm : m.masters()) {
            List<String> streams = new ArrayList<>();
            for (StreamRef s : dm.streams()) {
                streams.add(s.iommu() + " sid " + s.sid());
            }
            out.add(new MasterRow(dm.name(), streams, dm.requesterId(), m.isPowered(dm.node())));
        }
        return out;
    }

    @Descriptor("list the interrupt lines in use: handlers, raised and unhandled counts")
    public List<IrqRow> irqs() {
        List<IrqRow> out = new ArrayList<>();
        for (IrqLineImpl l : sim().irqLines()) {
            List<String> handlers = new ArrayList<>();
            for (IrqLineImpl.Action a : l.actions()) {
                handlers.add(a.devName() + (a.shared() ? " (shared)" : ""));
            }
            out.add(new IrqRow(l.name(), handlers, l.raisedCount(), l.unhandledCount()));
        }
        return out;
    }

    @Descriptor("show allocated pages, in total and by owner")
    public Pages pages() {
        Machine m = machine();
        return new Pages(m.pages().pagesInUse(), m.pages().pagesByOwner());
    }

    @Descriptor("RAM regions, the pages in use in each and by owner, and which pages are page tables of which IOMMU "
            + "domain (and its devices)")
    public RamDTO ram() {
        SimMachine m = sim();
        IommuService c = core;
        return RamView.of(m.ram(), m.pageAllocator(), c != null ? c.iommuPages() : List.of());
    }

    @Descriptor("hex dump of physical memory (64 bytes)")
    public String mem(@Descriptor("physical address (decimal or 0x hex, K/M/G/T suffix)") String paddr) {
        return mem(paddr, Integer.toString(DEFAULT_DUMP));
    }

    @Descriptor("hex dump of physical memory")
    public String mem(@Descriptor("physical address (decimal or 0x hex, K/M/G/T suffix)") String paddr,
                      @Descriptor("bytes to dump, at most 64K") String len) {
        long pa = Memparse.parse("PADDR", paddr).value();
        int n = (int) Memparse.parse("LEN", len).within(1, MAX_DUMP);
        byte[] buf = new byte[n];
        machine().memory().read(pa, buf, 0, buf.length);
        return HexDump.format(pa, buf);
    }

    @Descriptor("write a 32-bit value to physical memory")
    public String poke(@Descriptor("physical address (decimal or 0x hex, K/M/G/T suffix)") String paddr,
                       @Descriptor("32-bit value (decimal or 0x hex)") String value) {
        long pa = Memparse.parse("PADDR", paddr).value();
        long v = Memparse.parse("VALUE", value).within(0, 0xffff_ffffL);
        machine().memory().write32(pa, (int) v);
        return String.format("0x%x <- 0x%08x", pa, (int) v);
    }

    @Descriptor("list every power domain: state, parents and why it is on")
    public List<PowerRow> power() {
        PowerDomains pd = sim().powerDomains();
        List<PowerRow> out = new ArrayList<>();
        for (PowerDomain d : pd.all()) {
            out.add(row(pd, d));
        }
        return out;
    }

    @Descriptor("show the power domains a node needs (its own and its bus ancestors', with parents), parents first")
    public List<PowerRow> power(@Descriptor("DT node: path, unique node name or path suffix, or label; or a power domain's name") String node) {
        SimMachine m = sim();
        DtNode n = powerNode(m, node);
        PowerDomains pd = m.powerDomains();
        List<PowerDomain> domains = new ArrayList<>(pd.chain(n));
        PowerDomain self = pd.byPath(n.path());
        if (self != null && !domains.contains(self)) {
            domains.add(self); // a domain node: its parents, then itself
        }
        List<PowerRow> out = new ArrayList<>();
        for (PowerDomain d : domains) {
            out.add(row(pd, d));
        }
        return out;
    }

    @Descriptor("switch power by hand: 'on' holds a domain (or a node's domains) on; 'off' lets go, refused while a bound device, an on subdomain or always-on keeps it on")
    public List<PowerRow> power(@Descriptor("DT node (a domain or a device): path, unique node name or path suffix, or label; or a power domain's name") String node,
            @Descriptor("on or off") String state) {
        SimMachine m = sim();
        DtNode n = powerNode(m, node);
        PowerDomains pd = m.powerDomains();
        PowerDomain self = pd.byPath(n.path());
        switch (state) {
            case "on" -> {
                if (self != null) {
                    pd.switchOn(self);
                } else {
                    pd.attachByHand(n);
                }
            }
            case "off" -> {
                if (self != null) {
                    pd.switchOff(self.path());
                } else if (!pd.detachByHand(n)) {
                    throw new IommuException(Errno.EBUSY, n.path() + " holds no power switched on by hand"
                            + (pd.holders().contains(n.path()) ? "; it is bound, and its domains stay on while it is" : ""));
                }
            }
            default -> throw new IommuException(Errno.EINVAL, "power state " + state + " is not 'on' or 'off'");
        }
        return power(node);
    }

    @Descriptor("show the fail-nth countdown: armed or not, hits counted, the point that failed (name, where, code)")
    public FailNthDTO failnth() {
        return machine().failNth().state();
    }

    @Descriptor("arm fail-nth: the N-th hit of an injection point from now fails (every point, or those named: "
            + "page-alloc request-irq busy-stuck sync-stuck domain-alloc kzalloc cb-alloc); 'off' disarms and shows what failed")
    public FailNthDTO failnth(@Descriptor("N (1 or more), or off") String nth,
            @Descriptor("injection points that count (none: all)") String... points) {
        FailNth f = machine().failNth();
        if ("off".equalsIgnoreCase(nth.trim())) {
            if (points.length > 0) {
                throw new IommuException(Errno.EINVAL, "fail-nth off takes no points (found " + String.join(" ", points) + ")");
            }
            return f.disarm();
        }
        long n = Memparse.parse("N", nth).within(1, Long.MAX_VALUE);
        List<String> named = new ArrayList<>();
        for (String p : points) {
            for (String one : p.split(",")) {
                if (!one.isBlank()) {
                    named.add(one.trim());
                }
            }
        }
        return f.arm(n, named);
    }

    @Descriptor("the live IOTLB entries of every IOMMU's hardware model (a tool's view through the machine's debug port; "
            + "software never sees them)")
    public List<IotlbDTO> iotlb() {
        Machine m = machine();
        List<IotlbDTO> out = new ArrayList<>();
        for (IommuHardware h : m.iommuHardware()) {
            if (h.model() != null) {
                out.add(IotlbView.of(m, h));
            }
        }
        return out;
    }

    @Descriptor("the live IOTLB entries of an IOMMU's hardware model: stream or context bank and ASID, IOVA, PA, "
            + "size, permissions, masters on the stream")
    public IotlbDTO iotlb(@Descriptor("IOMMU: DT path, unique node name or path suffix, or label") String iommu) {
        Machine m = machine();
        Map<DtNode, IommuHardware> byNode = new java.util.LinkedHashMap<>();
        for (IommuHardware h : m.iommuHardware()) {
            byNode.put(h.node(), h);
        }
        IommuHardware h = byNode.get(NodeNames.resolve("IOMMU", iommu, byNode.keySet()).orElseThrow(() -> new IommuException(
                Errno.ENODEV, "IOMMU " + iommu + " names no IOMMU node of this board (give a path, a unique node name or"
                        + " path suffix, or a label)")));
        if (h.model() == null) {
            throw new IommuException(Errno.ENODEV, h.node().path() + " has no hardware model (" + h.reason() + ")");
        }
        return IotlbView.of(m, h);
    }

    private static PowerRow row(PowerDomains pd, PowerDomain d) {
        List<String> parents = new ArrayList<>();
        for (PowerDomain p : d.parents()) {
            parents.add(p.path());
        }
        return new PowerRow(d.path(), d.label(), d.isOn(), d.alwaysOn(), d.available(), parents, pd.reasons(d));
    }

    /** A path, a unique node name or path suffix, or a label; EINVAL listing the nodes when several match. */
    private static DtNode node(Machine m, String ref) {
        return NodeNames.resolve("node", ref, m.deviceTree().allNodes())
                .orElseThrow(() -> new IommuException(Errno.ENOENT, "NODE " + ref
                        + " names no node of this board (give a path, a unique node name or path suffix, or a label)"));
    }

    /**
     * A node as {@link #node} finds it, else the power domain of that name: the genpd name Apple's
     * PMGR driver gives it (its {@code label} property), which {@code machine:power} lists and a
     * real DTB, without DTS labels, offers no other short way to. EINVAL listing them when several
     * domains have the name.
     */
    private static DtNode powerNode(SimMachine m, String ref) {
        if (NodeNames.resolve("node", ref, m.deviceTree().allNodes()).isEmpty()) {
            List<DtNode> named = m.powerDomains().all().stream().filter(d -> d.label().equals(ref)).map(PowerDomain::node).distinct().toList();
            if (named.size() > 1) {
                throw new IommuException(Errno.EINVAL, "power domain name '" + ref + "' is ambiguous: "
                        + String.join(", ", named.stream().map(DtNode::path).toList()));
            }
            if (named.size() == 1) {
                return named.get(0);
            }
        }
        return node(m, ref);
    }

    private Machine machine() {
        return current.get().orElseThrow(() -> new IommuException(Errno.ENODEV, "no machine booted (use machine:boot)"));
    }

    private SimMachine sim() {
        Machine m = machine();
        if (m instanceof SimMachine s) {
            return s;
        }
        throw new IommuException(Errno.EOPNOTSUPP, "machine " + m + " is not a simulated machine");
    }

    private static Summary summary(Machine m) {
        long mib = 0;
        for (RamRegion r : m.ram()) {
            mib += r.size() >> 20;
        }
        int modelled = 0;
        for (IommuHardware h : m.iommuHardware()) {
            modelled += h.model() != null ? 1 : 0;
        }
        return new Summary(m.deviceTree().source(), m.deviceTree().model(), mib, m.iommuHardware().size(), modelled, m.masters().size());
    }
}
