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
    /**
     * Steps of {@link #interruptParent}: up the whole depth of a tree and along as many
     * {@code interrupt-parent} links, enough for any acyclic real tree.
     */
    private static final int MAX_INTERRUPT_PARENT_STEPS = 2 * DtLimits.MAX_DEPTH;

    private DtBindings() {
    }

    /**
     * Splits a phandle list such as {@code power-domains} using each provider's cell count, like
     * of_parse_phandle_with_args. A 0 phandle is an empty entry with no arguments and is skipped
     * (it still counts as an entry index, as in Linux).
     *
     * @return for each entry {@code {phandle, args...}}; empty if the property is absent
     */
    public static List<int[]> phandleArgs(DeviceTree t, DtNode node, String listProp, String cellsProp) {
        List<int[]> out = new ArrayList<>();
        for (Entry e : entries(t, node, listProp, cellsProp, true)) {
            out.add(e.cells());
        }
        return out;
    }

    /**
     * One non-empty entry of a phandle list.
     *
     * @param index the entry's index in the list, empty entries counted (Linux's index)
     * @param cells {@code {phandle, args...}}
     */
    private record Entry(int index, int[] cells) {
    }

    /**
     * @param emptyEntries whether a 0 phandle is an empty entry (skipped) or an error: an empty
     *                     {@code iommus} entry names no IOMMU, and Linux would silently run that
     *                     stream untranslated
     */
    private static List<Entry> entries(DeviceTree t, DtNode node, String listProp, String cellsProp, boolean emptyEntries) {
        int[] c = cells(t, node, listProp);
        List<Entry> out = new ArrayList<>();
        int entry = 0;
        for (int i = 0; i < c.length; entry++) {
            int ph = c[i];
            if (ph == 0 && emptyEntries) {
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
            out.add(new Entry(entry, Arrays.copyOfRange(c, i, i + 1 + count)));
            i += 1 + count;
        }
        return out;
    }

    /**
     * @return the master's {@code iommus} entries, each with the IOMMU node and its arguments
     * @throws DeviceTreeException naming the entry if its phandle is 0 or names no node, or the
     *         IOMMU's {@code #iommu-cells} does not match
     */
    public static List<IommuSpec> iommus(DeviceTree t, DtNode master) {
        List<IommuSpec> out = new ArrayList<>();
        for (Entry e : entries(t, master, "iommus", "#iommu-cells", false)) {
            out.add(new IommuSpec(t.byPhandle(e.cells()[0]).orElseThrow(), Arrays.copyOfRange(e.cells(), 1, e.cells().length)));
        }
        return out;
    }

    /**
     * One entry of an {@code iommu-map}: requester IDs {@code ridBase .. ridBase + length - 1}
     * (after {@code iommu-map-mask}) go to {@code iommu} as stream IDs from {@code iommuBase}.
     *
     * @param ridBase   first requester ID of the entry
     * @param iommu     the IOMMU node (checked to have {@code #iommu-cells = <1>})
     * @param iommuBase stream ID of {@code ridBase}
     * @param length    number of requester IDs
     */
    public record IommuMapEntry(int ridBase, DtNode iommu, int iommuBase, int length) {
    }

    /**
     * Reads and checks a bus's whole {@code iommu-map} (of_map_id's format): entries of 4 cells
     * {@code <rid-base &iommu iommu-base length>}, each rid-base inside {@code iommu-map-mask},
     * each phandle naming an IOMMU with {@code #iommu-cells = <1>}.
     *
     * @return the entries; empty if the bus has no {@code iommu-map}
     * @throws DeviceTreeException naming the bus, the property and the entry
     */
    public static List<IommuMapEntry> iommuMap(DeviceTree t, DtNode bus) {
        if (!bus.hasProperty("iommu-map")) {
            return List.of();
        }
        int[] m = cells(t, bus, "iommu-map");
        if (m.length == 0 || m.length % IOMMU_MAP_ENTRY_CELLS != 0) {
            throw ex(t, bus, "iommu-map: expected entries of 4 cells <rid-base &iommu iommu-base length>, found "
                    + m.length + " cells");
        }
        int mask = iommuMapMask(t, bus);
        List<IommuMapEntry> out = new ArrayList<>(m.length / IOMMU_MAP_ENTRY_CELLS);
        for (int i = 0; i < m.length; i += IOMMU_MAP_ENTRY_CELLS) {
            int entry = i / IOMMU_MAP_ENTRY_CELLS;
            if ((m[i] & ~mask) != 0) {
                throw ex(t, bus, String.format("iommu-map entry %d: expected rid-base inside iommu-map-mask 0x%x, found 0x%x",
                        entry, mask, m[i]));
            }
            DtNode iommu = target(t, bus, "iommu-map", entry, m[i + 1]);
            int ncells = iommu.hasProperty("#iommu-cells") ? u32(t, iommu, "#iommu-cells") : -1;
            if (ncells != 1) {
                throw ex(t, bus, String.format("iommu-map entry %d: expected %s to have #iommu-cells = <1>, found %s",
                        entry, iommu.path(), ncells < 0 ? "none" : "<" + Integer.toUnsignedString(ncells) + ">"));
            }
            out.add(new IommuMapEntry(m[i], iommu, m[i + 2], m[i + 3]));
        }
        return out;
    }

    /**
     * Maps a PCI requester ID through the bus's {@code iommu-map} (of_map_id), checked as
     * {@link #iommuMap} does; {@code iommu-map-mask} applies to the RID first (default all ones).
     *
     * @return the IOMMU and stream ID, or empty if the bus has no map or no entry covers the RID
     *         (Linux: the function is not translated)
     */
    public static Optional<IommuSpec> mapRid(DeviceTree t, DtNode bus, int rid) {
        List<IommuMapEntry> map = iommuMap(t, bus);
        if (map.isEmpty()) {
            return Optional.empty();
        }
        long masked = Integer.toUnsignedLong(rid & iommuMapMask(t, bus));
        for (IommuMapEntry e : map) {
            long off = masked - Integer.toUnsignedLong(e.ridBase());
            if (off >= 0 && off < Integer.toUnsignedLong(e.length())) {
                return Optional.of(new IommuSpec(e.iommu(), new int[] {(int) (off + Integer.toUnsignedLong(e.iommuBase()))}));
            }
        }
        return Optional.empty();
    }

    private static int iommuMapMask(DeviceTree t, DtNode bus) {
        return bus.hasProperty("iommu-map-mask") ? u32(t, bus, "iommu-map-mask") : DEFAULT_MAP_MASK;
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
     *         split by the interrupt parent's {@code #interrupt-cells}; empty if neither is present.
     *         Empty {@code interrupts-extended} entries ({@code <0>}, outputs wired elsewhere, as
     *         the Apple ADMAC binding uses them) are left out
     */
    public static List<IrqSpec> interrupts(DeviceTree t, DtNode node) {
        List<IrqSpec> out = new ArrayList<>();
        for (IrqEntry e : interruptEntries(t, node)) {
            out.add(e.spec());
        }
        return out;
    }

    /**
     * One interrupt specifier with its place in the property.
     *
     * @param property {@code interrupts} or {@code interrupts-extended}
     * @param index    the entry's index there, empty {@code interrupts-extended} entries counted
     * @param spec     the controller and the cells
     */
    public record IrqEntry(String property, int index, IrqSpec spec) {
    }

    /** @return {@link #interrupts}, each with the entry it came from, for messages that name it */
    public static List<IrqEntry> interruptEntries(DeviceTree t, DtNode node) {
        List<IrqEntry> out = new ArrayList<>();
        if (node.hasProperty("interrupts-extended")) {
            for (Entry e : entries(t, node, "interrupts-extended", "#interrupt-cells", true)) {
                int[] c = e.cells();
                out.add(new IrqEntry("interrupts-extended", e.index(),
                        new IrqSpec(t.byPhandle(c[0]).orElseThrow(), Arrays.copyOfRange(c, 1, c.length))));
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
            out.add(new IrqEntry("interrupts", i / n, new IrqSpec(parent, Arrays.copyOfRange(c, i, i + n))));
        }
        return out;
    }

    /**
     * of_irq_find_parent: follow {@code interrupt-parent} (or, where absent, the tree parent) from
     * the node until a node with {@code #interrupt-cells} is reached. The walk is bounded (real
     * trees need one or two steps; Linux's own walk would loop forever on a cycle).
     */
    public static DtNode interruptParent(DeviceTree t, DtNode node) {
        DtNode child = node;
        for (int steps = 0; steps < MAX_INTERRUPT_PARENT_STEPS; steps++) {
            DtNode p;
            if (child.hasProperty("interrupt-parent")) {
                p = phandle(t, child, "interrupt-parent");
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
        throw ex(t, node, "interrupts: expected an interrupt-parent with #interrupt-cells within " + MAX_INTERRUPT_PARENT_STEPS
                + " steps up the tree and along interrupt-parent links, found none");
    }

    /**
     * @return the node a one-phandle property such as {@code interrupt-parent} names
     * @throws DeviceTreeException naming the node and the property if the value is not one cell,
     *         is 0 or names no node
     */
    public static DtNode phandle(DeviceTree t, DtNode node, String prop) {
        return target(t, node, prop, 0, u32(t, node, prop));
    }

    /**
     * @return the node's {@code power-domains} entries, each {@code {phandle, args...}} split by the
     *         provider's {@code #power-domain-cells}; empty if the property is absent
     * @throws DeviceTreeException naming the entry if its phandle is 0 (genpd_dev_pm_attach fails
     *         such a device's probe with ENOENT) or names no node, or the cell count does not match
     */
    public static List<int[]> powerDomainSpecs(DeviceTree t, DtNode node) {
        List<int[]> out = new ArrayList<>();
        for (Entry e : entries(t, node, "power-domains", "#power-domain-cells", false)) {
            out.add(e.cells());
        }
        return out;
    }

    /** @return the {@code power-domains} providers, split by their {@code #power-domain-cells} */
    public static List<DtNode> powerDomains(DeviceTree t, DtNode node) {
        List<DtNode> out = new ArrayList<>();
        for (int[] e : powerDomainSpecs(t, node)) {
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
        if (phandle == 0) {
            throw ex(t, node, String.format("%s entry %d: expected a phandle, found 0 (an empty entry)", prop, entry));
        }
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
