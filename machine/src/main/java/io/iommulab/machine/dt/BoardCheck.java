package io.iommulab.machine.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;
import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.api.error.IommuException;

import java.nio.file.Path;

/**
 * Checks a board before the machine trusts it: every description the machine builds hardware from
 * is possible, or the board is refused with a {@link DeviceTreeException} naming the source, the
 * node, the property and the entry. The machine runs it when it boots; the launcher runs it on
 * {@code --board} before the container starts. It reads the tree only.
 *
 * <ol>
 * <li>Cell counts: every {@code #...-cells} property is one cell; {@code #address-cells} and
 *     {@code #size-cells} are 0..4 (Linux's OF_MAX_ADDR_CELLS), every other count at most 16
 *     (MAX_PHANDLE_ARGS), on every node.
 * <li>{@code reg}: whole entries of the parent's cells on every node (dtc's reg_format check);
 *     on available nodes with a CPU address, a translation through every bus's {@code ranges},
 *     and the window geometry of {@link MmioWindows} (no wrap, inside the physical address space,
 *     RAM present, MMIO outside RAM, windows disjoint or nested, no two IOMMUs sharing registers).
 * <li>References, on available nodes: {@code iommus} entries name existing nodes with the
 *     providers' cell counts, and a 0 phandle is refused (Linux would silently run that stream
 *     untranslated); every {@code iommu-map} entry names an IOMMU with {@code #iommu-cells = <1>};
 *     {@code interrupt-parent} names an existing node; {@code interrupts-extended} entries name
 *     existing controllers with their cell counts. An {@code interrupts-extended} entry may be
 *     {@code <0>}: the Apple ADMAC binding (apple,admac.yaml) marks the outputs wired to
 *     coprocessors so, and every real M1/M2 tree has them.
 * <li>Interrupts, on available nodes: each specifier resolves to a controller and is one that
 *     controller accepts ({@link IrqDomains}).
 * <li>{@code power-domains}, on every node: existing providers, no 0 phandle, no cycle of parents
 *     ({@link PowerDomainRefs}).
 * </ol>
 *
 * <p>Disabled nodes are not devices (Linux creates none for them), so only their cell counts,
 * {@code reg} format and {@code power-domains} (a disabled provider is still a domain of the
 * hierarchy the machine builds) are checked.
 */
public final class BoardCheck {
    /**
     * Most argument cells of one specifier (include/linux/of.h): of_parse_phandle_with_args and
     * of_irq_parse_one refuse a {@code #interrupt-cells}, {@code #iommu-cells},
     * {@code #power-domain-cells}, ... beyond it.
     */
    static final int MAX_PHANDLE_ARGS = 16;

    private BoardCheck() {
    }

    /**
     * @param tree a tree read by {@link DeviceTrees}
     * @throws DeviceTreeException naming the first problem found, in tree order within each check
     */
    public static void check(DeviceTree tree) {
        for (DtNode n : tree.allNodes()) {
            checkCells(tree, (Node) n);
        }
        MmioWindows.check(tree);
        PowerDomainRefs.check(tree);
        IrqDomains irqs = new IrqDomains(tree);
        for (DtNode n : tree.allNodes()) {
            if (n.isAvailable()) {
                checkReferences(tree, n);
                checkInterrupts(tree, irqs, n);
            }
        }
    }

    /**
     * Reads, parses and checks a board file: what the launcher does with {@code --board} and
     * {@code machine:boot} with its argument before anything boots, so both refuse a bad board
     * with the same message.
     *
     * @return the file's bytes, to boot from
     * @throws IommuException naming the file (missing, unreadable, too large) or, as a
     *         {@link DeviceTreeException}, the place in it at fault
     */
    public static byte[] checkFile(Path file) {
        byte[] data = DeviceTrees.readFile(file);
        check(DeviceTrees.parse(file.toString(), data));
        return data;
    }

    private static void checkCells(DeviceTree tree, Node n) {
        for (DtProperty p : n.properties().values()) {
            if (p.name().startsWith("#") && p.name().endsWith("-cells")) {
                if (p.value().length != 4) {
                    throw new DeviceTreeException(tree.source(), n.path(), p.name() + ": expected 1 cell, found " + p.value().length + " bytes");
                }
                long cells = Integer.toUnsignedLong(p.u32());
                if (cells > MAX_PHANDLE_ARGS && !p.name().equals("#address-cells") && !p.name().equals("#size-cells")) {
                    throw new DeviceTreeException(tree.source(), n.path(), String.format(
                            "%s: expected at most %d (Linux MAX_PHANDLE_ARGS), found %d", p.name(), MAX_PHANDLE_ARGS, cells));
                }
            }
        }
        n.addressCells();
        n.sizeCells();
        if (n.parent().isPresent() && n.hasProperty("reg")) {
            n.regCells();
        }
    }

    private static void checkReferences(DeviceTree tree, DtNode n) {
        if (n.hasProperty("iommus")) {
            DtBindings.iommus(tree, n);
        }
        if (n.hasProperty("iommu-map")) {
            DtBindings.iommuMap(tree, n);
        }
        if (n.hasProperty("interrupt-parent")) {
            DtBindings.phandle(tree, n, "interrupt-parent");
        }
    }

    private static void checkInterrupts(DeviceTree tree, IrqDomains irqs, DtNode n) {
        for (DtBindings.IrqEntry e : DtBindings.interruptEntries(tree, n)) {
            irqs.check(n, e.property(), e.index(), e.spec());
        }
    }
}
