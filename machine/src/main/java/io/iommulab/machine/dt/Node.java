package io.iommulab.machine.dt;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.DeviceTreeException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable device-tree node (the {@code struct device_node} of this project).
 *
 * <p>Fields: {@code source} names the tree for error messages, {@code name}/{@code path} as Linux
 * prints them, {@code parent} (null for the root), {@code properties} in source order,
 * {@code children} in source order, {@code phandle} from {@code phandle} or {@code linux,phandle}
 * (0 if none), {@code labels} from DTS or {@code __symbols__}, {@code available} the status of this
 * node and all ancestors. {@code reg} is decoded on first use; the result depends only on
 * immutable state, so a racing second decode is harmless.
 *
 * <p>Addresses: {@link #reg()} gives CPU addresses as Linux's of_translate_address computes them,
 * through the {@code ranges} of every bus up to the root. A bus without {@code ranges} ends
 * translation (Linux refuses to cross it): its children's {@code reg} are offsets or bus addresses
 * meaningful only to the bus's driver (power-controller offsets in a PMGR syscon, i2c and spi
 * devices, {@code /cpus}). Such a node has no CPU address ({@link #hasCpuAddress()} is false) and
 * {@link #reg()} refuses it rather than pass its offsets off as MMIO.
 */
public final class Node implements DtNode {
    private static final int PCI_SPACE_SHIFT = 24;
    private static final int PCI_SPACE_MASK = 0x3;

    private final String source;
    private final String name;
    private final String path;
    private final Node parent;
    private final Map<String, DtProperty> properties;
    private final List<DtNode> children;
    private final List<String> labels;
    private final int phandle;
    private final boolean available;
    private volatile List<RegRange> reg;

    Node(String source, NodeBuilder b, Node parent) {
        this.source = source;
        this.name = b.name;
        this.parent = parent;
        this.path = parent == null ? "/" : (parent.parent == null ? "/" : parent.path + "/") + b.name;
        Map<String, DtProperty> props = new LinkedHashMap<>();
        b.properties.forEach((k, v) -> props.put(k, new DtProperty(k, v)));
        this.properties = Collections.unmodifiableMap(props);
        this.labels = List.copyOf(b.labels);
        this.phandle = readPhandle();
        this.available = (parent == null || parent.available) && ownStatusOkay();
        List<DtNode> kids = new ArrayList<>(b.children.size());
        for (NodeBuilder c : b.children) {
            kids.add(new Node(source, c, this));
        }
        this.children = Collections.unmodifiableList(kids);
    }

    @Override public String name() { return name; }

    @Override public String path() { return path; }

    @Override public Optional<DtNode> parent() { return Optional.ofNullable(parent); }

    @Override public List<DtNode> children() { return children; }

    @Override public Map<String, DtProperty> properties() { return properties; }

    @Override public int phandle() { return phandle; }

    @Override public List<String> labels() { return labels; }

    @Override public boolean isAvailable() { return available; }

    /** @return the name of the tree this node belongs to, for error messages */
    public String source() { return source; }

    /**
     * {@inheritDoc}
     *
     * @throws DeviceTreeException if {@code reg} is malformed, lies outside a bus's {@code ranges},
     *         or does not reach the CPU (see {@link #hasCpuAddress()})
     */
    @Override
    public List<RegRange> reg() {
        List<RegRange> r = reg;
        if (r == null) {
            r = decodeReg();
            reg = r;
        }
        return r;
    }

    /**
     * @return true if this node's {@code reg} holds CPU addresses: it is not the root and every bus
     *         between it and the root has {@code ranges} (of_translate_address's rule; an empty
     *         {@code ranges} is a 1:1 mapping)
     */
    public boolean hasCpuAddress() {
        return parent != null && busWithoutRanges() == null;
    }

    /** @return the nearest bus above this node that has no {@code ranges}, or null */
    private Node busWithoutRanges() {
        for (Node bus = parent; bus != null && bus.parent != null; bus = bus.parent) {
            if (!bus.properties.containsKey("ranges")) {
                return bus;
            }
        }
        return null;
    }

    /** @return {@code #address-cells} this node gives its children (spec default 2) */
    public int addressCells() { return cellCount("#address-cells", 2); }

    /** @return {@code #size-cells} this node gives its children (spec default 1) */
    public int sizeCells() { return cellCount("#size-cells", 1); }

    /** @return true for a PCI host bridge or bridge node, whose children use 3-cell PCI addresses */
    public boolean isPciBus() {
        DtProperty t = properties.get("device_type");
        if (t == null) {
            return false;
        }
        String s = t.string();
        return s.equals("pci") || s.equals("pciex");
    }

    /**
     * @return the value of a property checked to be whole 32-bit cells
     * @throws DeviceTreeException naming this node and the property otherwise
     */
    public int[] cells(String prop) {
        DtProperty p = properties.get(prop);
        if (p == null) {
            throw error(prop + ": expected the property, found none");
        }
        if (p.value().length % 4 != 0) {
            throw error(prop + ": expected a whole number of 32-bit cells, found " + p.value().length + " bytes");
        }
        return p.cells();
    }

    /** @return a one-cell property, or {@code defaultValue} if absent */
    public int cell(String prop, int defaultValue) {
        DtProperty p = properties.get(prop);
        if (p == null) {
            return defaultValue;
        }
        if (p.value().length != 4) {
            throw error(prop + ": expected 1 cell, found " + p.value().length + " bytes");
        }
        return p.u32();
    }

    DeviceTreeException error(String message) {
        return new DeviceTreeException(source, path, message);
    }

    @Override
    public String toString() { return path; }

    private int cellCount(String prop, int dflt) {
        int v = cell(prop, dflt);
        if (v < 0 || v > 4) {
            throw error(prop + ": expected 0..4, found " + Integer.toUnsignedString(v));
        }
        return v;
    }

    private int readPhandle() {
        String prop = properties.containsKey("phandle") ? "phandle" : "linux,phandle";
        int ph = cell(prop, 0);
        // 0 and ~0 are not valid phandles (dtc reserves -1 for "to be assigned")
        return ph == -1 ? 0 : ph;
    }

    private boolean ownStatusOkay() {
        DtProperty s = properties.get("status");
        if (s == null) {
            return true;
        }
        String v = s.string();
        return v.equals("okay") || v.equals("ok");
    }

    /**
     * @return the {@code reg} cells, checked to be whole entries of the parent's
     *         {@code #address-cells} + {@code #size-cells} (dtc's reg_format check)
     * @throws DeviceTreeException naming this node otherwise
     */
    int[] regCells() {
        int na = parent.addressCells();
        int ns = parent.sizeCells();
        int[] c = cells("reg");
        int per = na + ns;
        if (per == 0 || c.length % per != 0) {
            throw error("reg: expected a multiple of " + per + " cells (#address-cells " + na + " + #size-cells " + ns
                    + " of " + parent.path + "), found " + c.length);
        }
        return c;
    }

    private List<RegRange> decodeReg() {
        if (parent == null || !properties.containsKey("reg")) {
            return List.of();
        }
        int na = parent.addressCells();
        int ns = parent.sizeCells();
        int[] c = regCells();
        int per = na + ns;
        List<RegRange> out = new ArrayList<>(c.length / per);
        for (int i = 0, entry = 0; i < c.length; i += per, entry++) {
            int[] addr = new int[na];
            System.arraycopy(c, i, addr, 0, na);
            // PCI configuration-space entries (space code 0) name a function, not a CPU address
            if (parent.isPciBus() && na == 3 && ((addr[0] >>> PCI_SPACE_SHIFT) & PCI_SPACE_MASK) == 0) {
                continue;
            }
            Node blocker = busWithoutRanges();
            if (blocker != null) {
                throw error("reg: expected a CPU address, found none: " + blocker.path
                        + " has no ranges (of_translate_address does not cross a bus without ranges)");
            }
            if (ns > 2 && DtProperty.join(c, i + na, ns - 2) != 0) {
                throw error(String.format("reg entry %d: expected a size below 2^64, found %d size cells with high bits set", entry, ns));
            }
            long size = DtProperty.join(c, i + na + Math.max(0, ns - 2), Math.min(ns, 2));
            out.add(new RegRange(parent.translate(addr, this, entry), size));
        }
        return List.copyOf(out);
    }

    /**
     * Translates an address in this bus's address space up to the CPU, as of_translate_address
     * does: through every ancestor's {@code ranges} (an empty {@code ranges;} is a 1:1 mapping).
     * The caller has checked that every bus on the way has {@code ranges}.
     */
    private long translate(int[] addr, Node requester, int entry) {
        Node bus = this;
        int[] a = addr;
        while (bus.parent != null) {
            Node up = bus.parent;
            int pna = up.addressCells();
            DtProperty ranges = bus.properties.get("ranges");
            if (ranges.value().length == 0) {
                long v = bus.addressValue(a);
                if (pna < 2 && (pna == 0 ? v != 0 : v >>> 32 != 0)) {
                    throw new DeviceTreeException(source, requester.path, String.format(
                            "reg entry %d: expected an address that fits the %d-cell address space of %s (1:1 ranges of %s), found 0x%x",
                            entry, pna, up.path, bus.path, v));
                }
                a = a.length == pna ? a : toCells(v, pna);
            } else {
                a = bus.mapThroughRanges(a, pna, requester, entry);
            }
            bus = up;
        }
        if (a.length > 2 && DtProperty.join(a, 0, a.length - 2) != 0) {
            throw new DeviceTreeException(source, requester.path, String.format(
                    "reg entry %d: expected a CPU address below 2^64, found one of %d cells with high bits set", entry, a.length));
        }
        return lowValue(a);
    }

    private int[] mapThroughRanges(int[] a, int pna, Node requester, int entry) {
        int na = addressCells();
        int ns = sizeCells();
        int[] r = cells("ranges");
        int per = na + pna + ns;
        if (per == 0 || r.length % per != 0) {
            throw error("ranges: expected a multiple of " + per + " cells (child " + na + " + parent " + pna
                    + " + size " + ns + "), found " + r.length);
        }
        long value = addressValue(a);
        boolean pci = isPciBus() && na == 3;
        for (int i = 0; i < r.length; i += per) {
            int[] child = new int[na];
            System.arraycopy(r, i, child, 0, na);
            if (pci && ((child[0] ^ a[0]) >>> PCI_SPACE_SHIFT & PCI_SPACE_MASK) != 0) {
                continue;
            }
            long base = addressValue(child);
            long size = DtProperty.join(r, i + na + pna, ns);
            long off = value - base;
            if (Long.compareUnsigned(value, base) >= 0 && (ns == 0 || Long.compareUnsigned(off, size) < 0)) {
                int[] out = new int[pna];
                System.arraycopy(r, i + na, out, 0, pna);
                if (!addToLow(out, off)) {
                    throw new DeviceTreeException(source, requester.path, String.format(
                            "reg entry %d: expected an address that fits the %d-cell address space of %s, found offset 0x%x"
                                    + " into ranges entry %d of %s, which wraps it", entry, pna, parent.path, off, i / per, path));
                }
                return out;
            }
        }
        throw new DeviceTreeException(source, requester.path, String.format(
                "reg entry %d: expected an address inside a ranges entry of %s, found 0x%x", entry, path, value));
    }

    /** @return the numeric part of an address in this bus's space (PCI: the 64-bit mid/lo cells) */
    private long addressValue(int[] a) {
        if (isPciBus() && a.length == 3) {
            return DtProperty.join(a, 1, 2);
        }
        return lowValue(a);
    }

    private static long lowValue(int[] a) {
        int n = Math.min(a.length, 2);
        return DtProperty.join(a, a.length - n, n);
    }

    private static int[] toCells(long v, int n) {
        int[] out = new int[n];
        if (n >= 1) {
            out[n - 1] = (int) v;
        }
        if (n >= 2) {
            out[n - 2] = (int) (v >>> 32);
        }
        return out;
    }

    /**
     * Adds {@code off} to the low (up to two) cells in place.
     *
     * @return false if the sum does not fit those cells (it would wrap)
     */
    private static boolean addToLow(int[] cells, long off) {
        int n = Math.min(cells.length, 2);
        long base = DtProperty.join(cells, cells.length - n, n);
        long v = base + off;
        boolean fits = n == 2 ? Long.compareUnsigned(v, base) >= 0 : n == 1 ? (v >>> 32) == 0 : off == 0;
        int[] low = toCells(v, n);
        System.arraycopy(low, 0, cells, cells.length - n, n);
        return fits;
    }
}
