package io.iommulab.machine.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.DeviceTreeException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable device tree built by {@link FdtReader} or {@link DtsReader}.
 *
 * <p>Fields: {@code source} (file or {@code builtin:<name>}), {@code root}, {@code memReserve}
 * (reservation block entries), and the lookup indexes by path, phandle and label, all built once.
 */
public final class Tree implements DeviceTree {
    private final String source;
    private final Node root;
    private final List<MemReserve> memReserve;
    private final List<DtNode> all;
    private final Map<String, DtNode> byPath = new HashMap<>();
    private final Map<Integer, DtNode> byPhandle = new HashMap<>();
    private final Map<String, DtNode> byLabel = new HashMap<>();

    Tree(String source, NodeBuilder rootBuilder, List<MemReserve> memReserve) {
        this.source = source;
        this.root = new Node(source, rootBuilder, null);
        this.memReserve = List.copyOf(memReserve);
        List<DtNode> nodes = new ArrayList<>();
        index(root, nodes);
        this.all = Collections.unmodifiableList(nodes);
    }

    private void index(DtNode n, List<DtNode> out) {
        out.add(n);
        byPath.put(n.path(), n);
        if (n.phandle() != 0) {
            DtNode prev = byPhandle.putIfAbsent(n.phandle(), n);
            if (prev != null) {
                throw new DeviceTreeException(source, n.path(), String.format(
                        "expected a unique phandle, found 0x%x which %s has too", n.phandle(), prev.path()));
            }
        }
        for (String l : n.labels()) {
            DtNode prev = byLabel.putIfAbsent(l, n);
            if (prev != null && prev != n) {
                throw new DeviceTreeException(source, n.path(),
                        "expected a unique label, found '" + l + "' which " + prev.path() + " has too");
            }
        }
        for (DtNode c : n.children()) {
            index(c, out);
        }
    }

    @Override public String source() { return source; }

    @Override public DtNode root() { return root; }

    @Override public Optional<DtNode> node(String path) { return Optional.ofNullable(byPath.get(path)); }

    @Override public Optional<DtNode> byPhandle(int phandle) {
        return phandle == 0 ? Optional.empty() : Optional.ofNullable(byPhandle.get(phandle));
    }

    @Override public Optional<DtNode> byLabel(String label) { return Optional.ofNullable(byLabel.get(label)); }

    @Override public List<DtNode> allNodes() { return all; }

    /** @return the memory reservation entries ({@code /memreserve/} or the DTB reservation block) */
    public List<MemReserve> memReserve() { return memReserve; }

    @Override
    public String toString() { return "DeviceTree[" + source + ", " + all.size() + " nodes]"; }
}
