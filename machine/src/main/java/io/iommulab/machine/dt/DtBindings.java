package io.iommulab.machine.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.DeviceTreeException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Decoders for the device-tree bindings the machine and the IOMMU core read, after Linux's
 * drivers/of helpers: of_parse_phandle_with_args, of_map_id, of_irq_find_parent and friends.
 * Every failure is a {@link DeviceTreeException} naming the node and the property.
 */
public final class DtBindings {
    /** {@code iommu-map-mask} when the property is absent: every RID bit is significant. */
    private static final int DEFAULT_MAP_MASK = 0xffffffff;
    private static final int IOMMU_MAP_ENTRY_CELLS = 4;

    private DtBindings() {
    }

    /**
     * Splits a phandle list such as {@code iommus} using each provider's cell count, like
     * of_parse_phandle_with_args. A 0 phandle is an empty entry with no arguments and is skipped
     * (it still counts as an entry index, as in Linux).
     *
     * @return for each entry {@code {phandle, args...}}; empty if the property is absent
     */
    public static List<int[]> phandleArgs(DeviceTree t, DtNode node, String listProp, String cellsProp) {
        int[] c = cells(t, node, listProp);
        List<int[]> out = new ArrayList<>();
        int entry = 0;
        for (int i = 0; i < c.length; entry++) {
            int ph = c[i];
            if (ph == 0) {
                i++;
                continue;
            }
            DtNode provider = target(t, node, listProp, entry, ph);
            if (!provider.hasProperty(cellsProp)) {
                throw ex(t, node, String.format("%s entry %d: expected provider %s to have %s, found none",
                        listProp, entry, provider.path(), cellsProp));
            }
            int count = u32(t, provider, cellsProp);
            if (count < 0 || i + 1L + count > c.length) {
                throw ex(t, node, String.format(
                        "%s mismatch: %s entry %d expected %d argument cell(s) for %s (%s = <%d>), found %d of %d cells left",
                        cellsProp, listProp, entry, count, provider.path(), cellsProp, count, c.length - i - 1, c.length));
            }
            out.add(Arrays.copyOfRange(c, i, i + 1 + count));
            i += 1 + count;
        }
        return out;
    }

    /** @return the master's {@code iommus} entries, each with the IOMMU node and its arguments */
    public static List<IommuSpec> iommus(DeviceTree t, DtNode master) {
        List<IommuSpec> out = new ArrayList<>();
        for (int[] e : phandleArgs(t, master, "iommus", "#iommu-cells")) {
            out.add(new IommuSpec(t.byPhandle(e[0]).orElseThrow(), Arrays.copyOfRange(e, 1, e.length)));
        }
        return out;
    }

    /**
     * Maps a PCI requester ID through the bus's {@code iommu-map} (of_map_id): entries
     * {@code <rid-base &iommu iommu-base length>}, {@code iommu-map-mask} applied to the RID first
     * (default all ones). The IOMMU must have {@code #iommu-cells = <1>}.
     *
     * @return the IOMMU and stream ID, or empty if the bus has no map or no entry covers the RID
     *         (Linux: the function is not translated)
     */
    public static Optional<IommuSpec> mapRid(DeviceTree t, DtNode bus, int rid) {
        if (!bus.hasProperty("iommu-map")) {
            return Optional.empty();
        }
        int[] m = cells(t, bus, "iommu-map");
        if (m.length == 0 || m.length % IOMMU_MAP_ENTRY_CELLS != 0) {
            throw ex(t, bus, "iommu-map: expected entries of 4 cells <rid-base &iommu iommu-base length>, found "
                    + m.length + " cells");
        }
        int mask = bus.hasProperty("iommu-map-mask") ? u32(t, bus, "iommu-map-mask") : DEFAULT_MAP_MASK;
        for (int i = 0; i < m.length; i += IOMMU_MAP_ENTRY_CELLS) {
            if ((m[i] & ~mask) != 0) {
                throw ex(t, bus, String.format("iommu-map entry %d: expected rid-base inside iommu-map-mask 0x%x, found 0x%x",
                        i / IOMMU_MAP_ENTRY_CELLS, mask, m[i]));
            }
        }
        int masked = rid & mask;
        for (int i = 0; i < m.length; i += IOMMU_MAP_ENTRY_CELLS) {
            int base = m[i];
            int length = m[i + 3];
            long off = Integer.toUnsignedLong(masked) - Integer.toUnsignedLong(base);
            if (off < 0 || off >= Integer.toUnsignedLong(length)) {
                continue;
            }
            int entry = i / IOMMU_MAP_ENTRY_CELLS;
            DtNode iommu = target(t, bus, "iommu-map", entry, m[i + 1]);
            int ncells = iommu.hasProperty("#iommu-cells") ? u32(t, iommu, "#iommu-cells") : -1;
            if (ncells != 1) {
                throw ex(t, bus, String.format("iommu-map entry %d: expected %s to have #iommu-cells = <1>, found %s",
                        entry, iommu.path(), ncells < 0 ? "none" : "<" + ncells + ">"));
            }
            return Optional.of(new IommuSpec(iommu, new int[] {(int) (off + Integer.toUnsignedLong(m[i + 2]))}));
        }
        return Optional.empty();
    }

    /**
     * @return the requester ID of a PCI function node from its {@code reg} phys.hi cell:
     *         bus [23:16], device [15:11], function [10:8], i.e. {@code bus << 8 | dev << 3 | fn}
     */
    public static int pciRequesterId(DtNode pciNode) {
        DtProperty reg = pciNode.properties().get("reg");
        if (reg == null || reg.value().length < 4) {
            String source = pciNode instanceof Node n ? n.source() : "devicetree";
            throw new DeviceTreeException(source, pciNode.path(),
                    "reg: expected a PCI address <phys.hi phys.mid phys.lo size.hi size.lo>, found "
                            + (reg == null ? "none" : reg.value().length + " bytes"));
        }
        int hi = (reg.value()[0] & 0xff) << 24 | (reg.value()[1] & 0xff) << 16 | (reg.value()[2] & 0xff) << 8
                | (reg.value()[3] & 0xff);
        return (hi >>> 8) & 0xffff;
    }

    /**
     * @return the node's interrupts: {@code interrupts-extended} if present, else {@code interrupts}
     *         split by the interrupt parent's {@code #interrupt-cells}; empty if neither is present
     */
    public static List<IrqSpec> interrupts(DeviceTree t, DtNode node) {
        List<IrqSpec> out = new ArrayList<>();
        if (node.hasProperty("interrupts-extended")) {
            for (int[] e : phandleArgs(t, node, "interrupts-extended", "#interrupt-cells")) {
                out.add(new IrqSpec(t.byPhandle(e[0]).orElseThrow(), Arrays.copyOfRange(e, 1, e.length)));
            }
            return out;
        }
        if (!node.hasProperty("interrupts")) {
            return out;
        }
        DtNode parent = interruptParent(t, node);
        int n = u32(t, parent, "#interrupt-cells");
        int[] c = cells(t, node, "interrupts");
        if (n <= 0 || c.length % n != 0) {
            throw ex(t, node, String.format(
                    "interrupts: #interrupt-cells mismatch: expected a multiple of %d cells (#interrupt-cells of %s), found %d",
                    n, parent.path(), c.length));
        }
        for (int i = 0; i < c.length; i += n) {
            out.add(new IrqSpec(parent, Arrays.copyOfRange(c, i, i + n)));
        }
        return out;
    }

    /**
     * of_irq_find_parent: follow {@code interrupt-parent} (or, where absent, the tree parent) from
     * the node until a node with {@code #interrupt-cells} is reached.
     */
    public static DtNode interruptParent(DeviceTree t, DtNode node) {
        DtNode child = node;
        for (int steps = 0; steps <= t.allNodes().size(); steps++) {
            DtNode p;
            if (child.hasProperty("interrupt-parent")) {
                p = target(t, child, "interrupt-parent", 0, u32(t, child, "interrupt-parent"));
            } else {
                p = child.parent().orElse(null);
            }
            if (p == null) {
                break;
            }
            if (p.hasProperty("#interrupt-cells")) {
                return p;
            }
            child = p;
        }
        throw ex(t, node, "interrupts: expected an interrupt-parent with #interrupt-cells on this node or an ancestor, found none");
    }

    /** @return the {@code power-domains} providers, split by their {@code #power-domain-cells} */
    public static List<DtNode> powerDomains(DeviceTree t, DtNode node) {
        List<DtNode> out = new ArrayList<>();
        for (int[] e : phandleArgs(t, node, "power-domains", "#power-domain-cells")) {
            out.add(t.byPhandle(e[0]).orElseThrow());
        }
        return out;
    }

    /** @return the RAM ranges of every available node with {@code device_type = "memory"} */
    public static List<RegRange> memory(DeviceTree t) {
        List<RegRange> out = new ArrayList<>();
        for (DtNode n : t.allNodes()) {
            DtProperty type = n.properties().get("device_type");
            if (type != null && type.string().equals("memory") && n.isAvailable()) {
                out.addAll(n.reg());
            }
        }
        return out;
    }

    /** @return every node whose {@code compatible} list contains {@code compatible}, in tree order */
    public static List<DtNode> compatibleNodes(DeviceTree t, String compatible) {
        List<DtNode> out = new ArrayList<>();
        for (DtNode n : t.allNodes()) {
            if (n.compatible().contains(compatible)) {
                out.add(n);
            }
        }
        return out;
    }

    private static DtNode target(DeviceTree t, DtNode node, String prop, int entry, int phandle) {
        return t.byPhandle(phandle).orElseThrow(() -> ex(t, node,
                String.format("%s entry %d references phandle 0x%x which no node has", prop, entry, phandle)));
    }

    /** @return the property as cells, empty if absent */
    private static int[] cells(DeviceTree t, DtNode node, String prop) {
        DtProperty p = node.properties().get(prop);
        if (p == null) {
            return new int[0];
        }
        if (p.value().length % 4 != 0) {
            throw ex(t, node, prop + ": expected a whole number of 32-bit cells, found " + p.value().length + " bytes");
        }
        return p.cells();
    }

    private static int u32(DeviceTree t, DtNode node, String prop) {
        DtProperty p = node.properties().get(prop);
        if (p == null || p.value().length != 4) {
            throw ex(t, node, prop + ": expected 1 cell, found " + (p == null ? "none" : p.value().length + " bytes"));
        }
        return p.u32();
    }

    private static DeviceTreeException ex(DeviceTree t, DtNode node, String message) {
        return new DeviceTreeException(t.source(), node.path(), message);
    }
}
