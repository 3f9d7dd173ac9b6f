package io.iommulab.machine.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.TwinNode;
import io.iommulab.api.hw.TwinSource;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Board twins: the same board with its IOMMU nodes replaced by another model's hardware, so one
 * workload runs on the same masters and stream ids behind either (issue 5, "board twins").
 *
 * <p>Which nodes go together: IOMMUs that share a master (a dwc3 behind two DARTs) form one linked
 * set, and the target model decides whether the set becomes one instance or one per node. Merging
 * is refused, falling back to one node each, when it would make two masters' streams alias (the
 * same stream id from two different nodes) — that would change isolation, not just hardware.
 *
 * <p>The replacement keeps the first source's phandle and every source's labels (a DTB's
 * {@code __symbols__} follow), so {@code iommus} and {@code iommu-map}
 * entries naming it need no change; references to the other sources of a merged set are rewritten
 * to that phandle. Nodes the target model implements already, and disabled nodes, stay as they are.
 */
public final class BoardTwins {
    private static final long MIN_ALIGN = 0x1000;

    private final DeviceTree board;
    private final IommuModelFactory target;
    /** compatibles of the target model's hardware: nodes with one of them stay */
    private final Set<String> implemented;
    /** replaced node path → its stream users: sid → masters */
    private final Map<String, TreeMap<Integer, Set<String>>> uses = new LinkedHashMap<>();

    private BoardTwins(DeviceTree board, IommuModelFactory target, Collection<String> implemented) {
        this.board = board;
        this.target = target;
        this.implemented = Set.copyOf(implemented);
    }

    /**
     * @return the twin of {@code board} for hardware of {@code target}, as a DTB
     * @throws IommuException EINVAL naming the node if the target cannot stand in for it
     */
    public static byte[] twin(DeviceTree board, IommuModelFactory target) {
        return twin(board, target, target.compatibles());
    }

    /**
     * @param implemented the compatibles of every factory of the target's model (a model whose
     *                    variants come as one factory each, as the DART's): nodes with one stay
     * @return the twin of {@code board} for hardware of {@code target}, as a DTB
     * @throws IommuException EINVAL naming the node if the target cannot stand in for it
     */
    public static byte[] twin(DeviceTree board, IommuModelFactory target, Collection<String> implemented) {
        return FdtWriter.write(new BoardTwins(board, target, implemented).build());
    }

    /** @return the twin as a tree (for tests and the shell) */
    public static DeviceTree twinTree(DeviceTree board, IommuModelFactory target) {
        return new BoardTwins(board, target, target.compatibles()).build();
    }

    private DeviceTree build() {
        List<DtNode> replaced = new ArrayList<>();
        for (DtNode n : board.allNodes()) {
            if (n.hasProperty("#iommu-cells") && n.isAvailable() && !implemented(n)) {
                replaced.add(n);
                uses.put(n.path(), new TreeMap<>());
            }
        }
        Map<String, String> link = new HashMap<>();
        replaced.forEach(n -> link.put(n.path(), n.path()));
        scanMasters(link);

        NodeBuilder root = copy(board.root());
        Map<Integer, Integer> phandleRewrites = new HashMap<>();
        Map<String, String> moved = new HashMap<>();
        // twin windows placed so far, per parent bus: reg values are bus addresses, so only siblings
        // can collide (two dies have the same reg under buses whose ranges set them apart)
        Map<String, List<long[]>> placed = new HashMap<>();
        for (List<DtNode> set : sets(replaced, link)) {
            List<TwinNode> nodes = target.twin(sources(set));
            if (nodes.size() == 1 && set.size() > 1 && aliases(set)) {
                nodes = new ArrayList<>();
                for (DtNode n : set) {
                    nodes.addAll(target.twin(sources(List.of(n))));
                }
            }
            if (nodes.size() == 1) {
                put(root, set, nodes.get(0), placed, moved);
                for (DtNode other : set.subList(1, set.size())) {
                    if (other.phandle() != 0) {
                        phandleRewrites.put(other.phandle(), set.get(0).phandle());
                    }
                }
            } else if (nodes.size() == set.size()) {
                for (int i = 0; i < set.size(); i++) {
                    put(root, List.of(set.get(i)), nodes.get(i), placed, moved);
                }
            } else {
                throw new IommuException(Errno.EINVAL, String.format("model %s cannot stand in for %s (%s)",
                        target.name(), set.get(0).path(), String.join(", ", set.get(0).compatible())));
            }
        }
        if (!phandleRewrites.isEmpty()) {
            rewriteReferences(root, phandleRewrites);
        }
        rewriteSymbols(root, moved);
        byte[] model = root.properties.get("model");
        String name = model == null ? board.source() : new DtProperty("model", model).string();
        root.properties.put("model", strings(name + " (" + target.name() + " twin)"));
        return new Tree(board.source() + " (" + target.name() + " twin)", root, board instanceof Tree t ? t.memReserve() : List.of());
    }

    private boolean implemented(DtNode n) {
        for (String c : n.compatible()) {
            if (implemented.contains(c)) {
                return true;
            }
        }
        return false;
    }

    // ---- who uses which IOMMU ----

    private void scanMasters(Map<String, String> link) {
        for (DtNode n : board.allNodes()) {
            if (!n.isAvailable()) {
                continue;
            }
            if (n.hasProperty("iommus")) {
                String first = null;
                for (IommuSpec s : DtBindings.iommus(board, n)) {
                    String p = s.iommu().path();
                    if (uses.containsKey(p)) {
                        use(p, s.args().length > 0 ? s.args()[0] : 0, n.path());
                        if (first != null) {
                            union(link, first, p);
                        }
                        first = p;
                    }
                }
            }
            if (n.hasProperty("iommu-map")) {
                int[] m = n.property("iommu-map").orElseThrow().cells();
                for (int i = 0; i + 3 < m.length; i += 4) {
                    Optional<DtNode> iommu = board.byPhandle(m[i + 1]);
                    if (iommu.isPresent() && uses.containsKey(iommu.get().path())) {
                        // Each RID range is its own stream; the PCI functions behind it share it.
                        use(iommu.get().path(), m[i + 2], n.path() + " RID 0x" + Integer.toHexString(m[i]));
                    }
                }
            }
        }
    }

    private void use(String iommu, int sid, String master) {
        uses.get(iommu).computeIfAbsent(sid, k -> new LinkedHashSet<>()).add(master);
    }

    private static String find(Map<String, String> link, String p) {
        String r = p;
        while (!link.get(r).equals(r)) {
            r = link.get(r);
        }
        return r;
    }

    private static void union(Map<String, String> link, String a, String b) {
        String ra = find(link, a);
        String rb = find(link, b);
        if (!ra.equals(rb)) {
            link.put(rb, ra);
        }
    }

    /** @return the linked sets, each in DT order, ordered by their first node */
    private static List<List<DtNode>> sets(List<DtNode> replaced, Map<String, String> link) {
        Map<String, List<DtNode>> byRoot = new LinkedHashMap<>();
        for (DtNode n : replaced) {
            byRoot.computeIfAbsent(find(link, n.path()), k -> new ArrayList<>()).add(n);
        }
        return new ArrayList<>(byRoot.values());
    }

    private List<TwinSource> sources(List<DtNode> set) {
        List<TwinSource> out = new ArrayList<>();
        for (DtNode n : set) {
            TreeMap<Integer, Set<String>> u = uses.get(n.path());
            Set<String> masters = new LinkedHashSet<>();
            u.values().forEach(masters::addAll);
            long size = n.reg().isEmpty() ? 0 : n.reg().get(0).size();
            out.add(new TwinSource(n.path(), n.compatible(), size, u.isEmpty() ? 0 : u.lastKey() + 1, List.copyOf(u.keySet()),
                    List.copyOf(masters)));
        }
        return out;
    }

    /** @return true if two nodes of the set carry the same stream id for different masters */
    private boolean aliases(List<DtNode> set) {
        Map<Integer, Set<String>> seen = new HashMap<>();
        for (DtNode n : set) {
            for (Map.Entry<Integer, Set<String>> e : uses.get(n.path()).entrySet()) {
                Set<String> before = seen.putIfAbsent(e.getKey(), e.getValue());
                if (before != null && !before.equals(e.getValue())) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---- writing the twin ----

    private static NodeBuilder copy(DtNode n) {
        NodeBuilder b = new NodeBuilder(n.name());
        for (DtProperty p : n.properties().values()) {
            b.properties.put(p.name(), p.value().clone());
        }
        b.labels.addAll(n.labels());
        for (DtNode c : n.children()) {
            b.children.add(copy(c));
        }
        return b;
    }

    /** Replaces the set's nodes by {@code twin}, at the first node's place; records old path → new path in {@code moved}. */
    private void put(NodeBuilder root, List<DtNode> set, TwinNode twin, Map<String, List<long[]>> placed,
            Map<String, String> moved) {
        DtNode first = set.get(0);
        DtNode parent = first.parent().orElseThrow();
        NodeBuilder pb = root.find(parent.path());
        int ac = parent.u32("#address-cells", 2);
        int sc = parent.u32("#size-cells", 1);
        int[] reg = first.property("reg").orElseThrow(() -> new IommuException(Errno.EINVAL, first.path() + " has no reg")).cells();
        long base = DtProperty.join(reg, 0, ac);
        List<long[]> onBus = placed.computeIfAbsent(parent.path(), p -> new ArrayList<>());
        long address = freeAddress(parent, set, base, twin.regSize(), onBus);
        onBus.add(new long[] {address, address + twin.regSize()});

        NodeBuilder n = new NodeBuilder("iommu@" + Long.toHexString(address));
        set.forEach(src -> n.labels.addAll(src.labels()));
        n.properties.put("compatible", strings(twin.compatible().toArray(String[]::new)));
        n.properties.put("reg", cells(join(split(address, ac), split(twin.regSize(), sc))));
        first.property("interrupt-parent").ifPresent(p -> n.properties.put("interrupt-parent", p.value().clone()));
        List<IrqSpec> irqs = DtBindings.interrupts(board, first);
        if (!irqs.isEmpty() && twin.interruptCount() > 0) {
            // One shared line: the first source's interrupt, repeated (interrupts-extended if the source used it).
            IrqSpec irq = irqs.get(0);
            boolean extended = first.hasProperty("interrupts-extended");
            int per = irq.cells().length + (extended ? 1 : 0);
            int[] out = new int[per * twin.interruptCount()];
            for (int i = 0; i < twin.interruptCount(); i++) {
                if (extended) {
                    out[i * per] = irq.controller().phandle();
                }
                System.arraycopy(irq.cells(), 0, out, i * per + (extended ? 1 : 0), irq.cells().length);
            }
            n.properties.put(extended ? "interrupts-extended" : "interrupts", cells(out));
        }
        for (Map.Entry<String, Integer> c : twin.cells().entrySet()) {
            n.properties.put(c.getKey(), cells(new int[] {c.getValue()}));
        }
        List<Integer> domains = new ArrayList<>();
        for (DtNode s : set) {
            s.property("power-domains").ifPresent(p -> {
                for (int c : p.cells()) {
                    if (!domains.contains(c)) {
                        domains.add(c);
                    }
                }
            });
        }
        if (!domains.isEmpty()) {
            n.properties.put("power-domains", cells(domains.stream().mapToInt(Integer::intValue).toArray()));
        }
        n.properties.put("#iommu-cells", cells(new int[] {twin.iommuCells()}));
        if (!twin.modelOptions().isEmpty()) {
            n.properties.put("iommulab,model-options", strings(twin.modelOptions().toArray(String[]::new)));
        }
        if (first.phandle() != 0) {
            n.properties.put("phandle", cells(new int[] {first.phandle()}));
        }
        for (DtNode s : set) {
            int cellsBefore = s.u32("#iommu-cells", 1);
            if (cellsBefore != twin.iommuCells()) {
                throw new IommuException(Errno.EINVAL, String.format("model %s stands in for %s with #iommu-cells = <%d>, "
                        + "but its masters give <%d> cells", target.name(), s.path(), twin.iommuCells(), cellsBefore));
            }
        }
        int at = -1;
        for (int i = 0; i < pb.children.size(); i++) {
            if (pb.children.get(i).name.equals(first.name())) {
                at = i;
            }
        }
        pb.children.set(at, n);
        String newPath = (parent.path().equals("/") ? "" : parent.path()) + "/" + n.name;
        set.forEach(src -> moved.put(src.path(), newPath));
        for (DtNode s : set.subList(1, set.size())) {
            root.find(s.parent().orElseThrow().path()).children.removeIf(c -> c.name.equals(s.name()));
        }
    }

    /**
     * The first source's address if the twin's block fits there, else the nearest free slot above it
     * (aligned to the block size, inside the same parent bus, below its next neighbour where possible).
     */
    private static long freeAddress(DtNode parent, List<DtNode> set, long base, long size, List<long[]> placed) {
        int ac = parent.u32("#address-cells", 2);
        int sc = parent.u32("#size-cells", 1);
        List<long[]> busy = new ArrayList<>(placed);
        for (DtNode c : parent.children()) {
            if (set.contains(c) || !c.hasProperty("reg")) {
                continue;
            }
            int[] r = c.property("reg").get().cells();
            for (int i = 0; i + ac + sc <= r.length; i += ac + sc) {
                long a = DtProperty.join(r, i, ac);
                busy.add(new long[] {a, a + Math.max(DtProperty.join(r, i + ac, sc), 1)});
            }
        }
        long align = Math.max(MIN_ALIGN, Long.highestOneBit(size - 1) << 1);
        long candidate = base;
        for (int tries = 0; tries < 1 << 16; tries++) {
            long end = candidate + size;
            boolean free = true;
            for (long[] b : busy) {
                if (b[0] < end && candidate < b[1]) {
                    free = false;
                    candidate = (b[1] + align - 1) & -align;
                    break;
                }
            }
            if (free) {
                return candidate;
            }
        }
        throw new IommuException(Errno.ENOSPC, String.format("no free 0x%x bytes under %s for the twin of %s",
                size, parent.path(), set.get(0).path()));
    }

    /** Points {@code iommus} and {@code iommu-map} entries at merged nodes' surviving phandle. */
    private void rewriteReferences(NodeBuilder root, Map<Integer, Integer> rewrites) {
        for (DtNode n : board.allNodes()) {
            NodeBuilder b = root.find(n.path());
            if (b == null) {
                continue;
            }
            if (n.hasProperty("iommus")) {
                int[] c = n.property("iommus").get().cells();
                int i = 0;
                while (i < c.length) {
                    int ph = c[i];
                    int args = board.byPhandle(ph).map(t -> t.u32("#iommu-cells", 1)).orElse(1);
                    c[i] = rewrites.getOrDefault(ph, ph);
                    i += 1 + args;
                }
                b.properties.put("iommus", cells(c));
            }
            if (n.hasProperty("iommu-map")) {
                int[] c = n.property("iommu-map").get().cells();
                for (int i = 1; i < c.length; i += 4) {
                    c[i] = rewrites.getOrDefault(c[i], c[i]);
                }
                b.properties.put("iommu-map", cells(c));
            }
        }
    }

    /** A DTB's {@code __symbols__} names labels by path: labels of replaced nodes follow them to the twin node. */
    private static void rewriteSymbols(NodeBuilder root, Map<String, String> moved) {
        NodeBuilder symbols = root.child("__symbols__");
        if (symbols == null) {
            return;
        }
        for (Map.Entry<String, byte[]> e : symbols.properties.entrySet()) {
            String target = new DtProperty(e.getKey(), e.getValue()).string();
            String to = moved.get(target);
            if (to != null) {
                e.setValue(strings(to));
            }
        }
    }

    private static int[] split(long v, int n) {
        int[] out = new int[n];
        for (int i = n - 1; i >= 0; i--) {
            out[i] = (int) v;
            v >>>= 32;
        }
        return out;
    }

    private static int[] join(int[] a, int[] b) {
        int[] out = new int[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] cells(int[] c) {
        ByteBuffer bb = ByteBuffer.allocate(c.length * 4);
        for (int v : c) {
            bb.putInt(v);
        }
        return bb.array();
    }

    private static byte[] strings(String... s) {
        StringBuilder sb = new StringBuilder();
        for (String x : s) {
            sb.append(x).append('\0');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
