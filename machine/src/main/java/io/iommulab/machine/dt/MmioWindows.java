package io.iommulab.machine.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.machine.memory.SparseMemory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;

/**
 * The geometry of a board's {@code reg} windows, checked the way the hardware and Linux's iomem
 * resource tree constrain it. Only available nodes whose {@code reg} reaches the CPU
 * ({@link Node#hasCpuAddress()}) have windows; a disabled node is no device, and the offsets under
 * a bus without {@code ranges} are not CPU addresses. Windows of size 0 take no space.
 *
 * <ol>
 * <li>No window wraps past 2^64.
 * <li>Every window, RAM included, lies inside the {@value SparseMemory#ADDRESS_BITS}-bit physical
 *     address space the machine decodes: Apple M1 and M2 CPUs implement 42-bit physical addresses
 *     (ID_AA64MMFR0_EL1.PARange 0b0011); RAM of a two-die M1 Ultra starts at 0x100_0000_0000, its
 *     second die's MMIO at 0x22_0000_0000, both inside.
 * <li>RAM: the board has at least one non-empty {@code memory} region, and no two overlap.
 * <li>No MMIO window overlaps RAM. Nodes that describe RAM rather than registers are not MMIO:
 *     {@code memory} nodes, the carve-outs under {@code /reserved-memory}, and
 *     {@code simple-framebuffer} (its binding puts the framebuffer in RAM).
 * <li>MMIO windows are disjoint or nested, never straddling: Linux keeps iomem regions as a tree
 *     (kernel/resource.c), where a region may contain another or sit beside it, and
 *     insert_resource or request_mem_region refuses one that crosses another's boundary, so two
 *     such devices can never both claim their registers. Nesting is legitimate and real: several
 *     nodes sharing one register block, a node whose window contains a child's, or a mailbox inside
 *     a coprocessor's window (every M1 and M2 tree has {@code mbox@206408000} inside
 *     {@code gpu@206400000}).
 * <li>An IOMMU's windows (a node with {@code #iommu-cells}) overlap no other IOMMU's window, not
 *     even nested: each is a register block the machine hosts a model at, and the drivers claim
 *     theirs with devm_ioremap_resource, whose request_mem_region marks it busy, so Linux refuses
 *     the second IOMMU with EBUSY. No real tree has two IOMMUs sharing registers.
 * </ol>
 */
final class MmioWindows {
    /**
     * The machine's own bound (the bus decodes {@value SparseMemory#ADDRESS_BITS} bits). A
     * compile-time constant: using it loads no memory class, so the launcher runs this check with
     * the {@code dt} package alone.
     */
    private static final long PHYS_LIMIT = 1L << SparseMemory.ADDRESS_BITS;
    private static final String RESERVED_MEMORY = "/reserved-memory";

    /**
     * One {@code reg} entry as a CPU address range.
     *
     * @param node  the node whose {@code reg} it is
     * @param entry index of the entry in {@code reg} (PCI configuration-space entries, which are
     *              not CPU addresses, are not counted)
     * @param start first byte
     * @param size  length in bytes, checked not to wrap
     */
    private record Window(DtNode node, int entry, long start, long size) {
        long last() {
            return start + size - 1;
        }

        @Override
        public String toString() {
            return String.format("reg entry %d of %s (0x%x + 0x%x)", entry, node.path(), start, size);
        }
    }

    private final DeviceTree tree;
    private final List<Window> ram = new ArrayList<>();
    private final List<Window> mmio = new ArrayList<>();
    private final List<Window> iommus = new ArrayList<>();

    private MmioWindows(DeviceTree tree) {
        this.tree = tree;
    }

    /** @throws DeviceTreeException naming the node, the {@code reg} entry and the window at fault */
    static void check(DeviceTree tree) {
        MmioWindows w = new MmioWindows(tree);
        w.collect();
        w.checkRam();
        w.checkMmioOutsideRam();
        w.checkNesting();
        w.checkIommusExclusive();
    }

    private void collect() {
        for (DtNode dn : tree.allNodes()) {
            Node n = (Node) dn;
            if (!n.isAvailable() || !n.hasProperty("reg") || !n.hasCpuAddress()) {
                continue;
            }
            boolean memory = n.property("device_type").map(p -> p.string().equals("memory")).orElse(false);
            List<RegRange> reg = n.reg();
            for (int i = 0; i < reg.size(); i++) {
                Window w = window(n, i, reg.get(i));
                if (w.size() == 0) {
                    continue;
                }
                if (memory) {
                    ram.add(w);
                } else if (!describesRam(n)) {
                    mmio.add(w);
                    if (n.hasProperty("#iommu-cells")) {
                        iommus.add(w);
                    }
                }
            }
        }
    }

    private Window window(Node n, int entry, RegRange r) {
        long last = r.address() + r.size() - 1;
        if (r.size() != 0 && Long.compareUnsigned(last, r.address()) < 0) {
            throw error(n, String.format("reg entry %d: expected a window that ends below 2^64, found 0x%x + 0x%x, which wraps",
                    entry, r.address(), r.size()));
        }
        if (Long.compareUnsigned(r.size() == 0 ? r.address() : last, PHYS_LIMIT) >= 0) {
            throw error(n, String.format("reg entry %d: expected a window inside the %d-bit physical address space (below 0x%x), found 0x%x + 0x%x",
                    entry, SparseMemory.ADDRESS_BITS, PHYS_LIMIT, r.address(), r.size()));
        }
        return new Window(n, entry, r.address(), r.size());
    }

    /** Memory nodes' ranges, which are RAM, and nodes whose bindings place them in RAM. */
    private static boolean describesRam(DtNode n) {
        return n.path().startsWith(RESERVED_MEMORY + "/") || n.compatible().contains("simple-framebuffer");
    }

    private void checkRam() {
        if (ram.isEmpty()) {
            throw new DeviceTreeException(tree.source(), "/", "no memory node with a non-empty reg: the board has no RAM");
        }
        ram.sort(Comparator.comparingLong(Window::start));
        for (int i = 1; i < ram.size(); i++) {
            Window prev = ram.get(i - 1);
            Window w = ram.get(i);
            if (w.start() <= prev.last()) {
                throw error(w.node(), String.format("reg entry %d: expected RAM that overlaps no other RAM, found 0x%x + 0x%x, which overlaps %s",
                        w.entry(), w.start(), w.size(), prev));
            }
        }
    }

    /** RAM is sorted and disjoint: only the last region starting at or below a window's end can reach it. */
    private void checkMmioOutsideRam() {
        for (Window w : mmio) {
            int lo = 0;
            int hi = ram.size() - 1;
            int found = -1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (ram.get(mid).start() <= w.last()) {
                    found = mid;
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            if (found >= 0 && ram.get(found).last() >= w.start()) {
                throw error(w.node(), String.format("reg entry %d: expected an MMIO window outside RAM, found 0x%x + 0x%x, which overlaps RAM %s",
                        w.entry(), w.start(), w.size(), ram.get(found)));
            }
        }
    }

    /**
     * Sorted by start, larger first on a tie, each window must end inside the innermost open window
     * that contains its start (or start after it ends): the windows then form a tree.
     */
    private void checkNesting() {
        mmio.sort(Comparator.comparingLong(Window::start).thenComparing(Window::last, Comparator.reverseOrder()));
        Deque<Window> open = new ArrayDeque<>();
        for (Window w : mmio) {
            while (!open.isEmpty() && open.peek().last() < w.start()) {
                open.pop();
            }
            Window outer = open.peek();
            if (outer != null && w.last() > outer.last()) {
                throw error(w.node(), String.format(
                        "reg entry %d: expected a window disjoint from or nested with every other, found 0x%x + 0x%x, which straddles %s",
                        w.entry(), w.start(), w.size(), outer));
            }
            open.push(w);
        }
    }

    /** Sorted by start, larger first on a tie, a window overlaps an earlier one iff it starts before the furthest end so far. */
    private void checkIommusExclusive() {
        iommus.sort(Comparator.comparingLong(Window::start).thenComparing(Window::last, Comparator.reverseOrder()));
        Window furthest = null;
        for (Window w : iommus) {
            if (furthest != null && w.start() <= furthest.last()) {
                throw error(w.node(), String.format(
                        "reg entry %d: expected IOMMU registers that overlap no other IOMMU's, found 0x%x + 0x%x, which overlaps %s",
                        w.entry(), w.start(), w.size(), furthest));
            }
            if (furthest == null || w.last() > furthest.last()) {
                furthest = w;
            }
        }
    }

    private DeviceTreeException error(DtNode n, String message) {
        return new DeviceTreeException(tree.source(), n.path(), message);
    }
}
