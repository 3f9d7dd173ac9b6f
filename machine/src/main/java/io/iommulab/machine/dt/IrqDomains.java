package io.iommulab.machine.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.DeviceTreeException;

import java.util.List;
import java.util.Set;

/**
 * Which interrupt specifiers each interrupt controller accepts, as the translate op of its Linux
 * irq_domain checks them. The machine models no controller registers, so the limits Linux reads
 * from hardware are derived from what the tree says:
 *
 * <ul>
 * <li><b>Apple AIC</b> ({@code apple,aic}; irq-apple-aic.c aic_irq_domain_translate):
 *     {@code #interrupt-cells = <3>}, specifier {@code <type num flags>}. Type 0 (IRQ): num below
 *     AIC_MAX_IRQ = 0x400, the size of its fixed register layout. Type 1 (FIQ): num below
 *     AIC_NR_FIQ = 7. Any other type is EINVAL.
 * <li><b>Apple AIC2</b> ({@code apple,aic2}): {@code #interrupt-cells} 3, or 4 on multi-die SoCs
 *     with {@code <type die num flags>}. Dies: one per root-level SoC bus ({@code soc},
 *     {@code soc@...}; an M1 Ultra has two, the register-derived nr_die of Linux). FIQs are die 0
 *     only. IRQ numbers: from {@code reg} entry 0 of the controller, which holds the IRQ_CFG
 *     registers at 0x2000 (4 bytes per IRQ), then the SW_SET, SW_CLR, MASK_SET, MASK_CLR and
 *     HW_STATE bitmaps (one bit per IRQ each), the whole block repeated per die: an IRQ whose
 *     registers would lie outside the window cannot exist. M1 Pro/Max/Ultra (0xc000 bytes):
 *     below 8832 with one die, 4416 with two; M2 (0x8000): below 5312.
 * <li><b>ARM GIC v2</b> ({@code arm,gic-400}, {@code arm,cortex-a15-gic}, ...; arm,gic.yaml,
 *     gic_irq_domain_translate): {@code <type num flags>}, type 0 SPI 0..987, type 1 PPI 0..15.
 * <li><b>ARM GIC v3</b> ({@code arm,gic-v3}): as v2, plus type 2 extended SPI 0..1023 and type 3
 *     extended PPI 0..63.
 * <li>Any other controller: only the cell count, which {@link DtBindings#interrupts} checks.
 * </ul>
 */
final class IrqDomains {
    private static final int AIC_IRQ = 0;
    private static final int AIC_FIQ = 1;
    private static final int AIC_MAX_IRQ = 0x400;
    private static final int AIC_NR_FIQ = 7;
    private static final long AIC2_IRQ_CFG = 0x2000;
    /** Bytes per die for 32 IRQs: 32 IRQ_CFG words and one word in each of the five bitmaps. */
    private static final long AIC2_BYTES_PER_32_IRQS = 32 * 4 + 5 * 4;

    private static final int GIC_SPI = 0;
    private static final int GIC_PPI = 1;
    private static final int GIC_ESPI = 2;
    private static final int GIC_EPPI = 3;
    /** INTIDs 0..1019 exist; SPIs start at 32. */
    private static final long GIC_SPI_LIMIT = 1020 - 32;
    private static final long GIC_PPI_LIMIT = 16;
    private static final long GIC_ESPI_LIMIT = 1024;
    private static final long GIC_EPPI_LIMIT = 64;
    private static final Set<String> GIC_V2 = Set.of("arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic",
            "arm,cortex-a7-gic", "arm,arm11mp-gic", "arm,pl390");

    private final DeviceTree tree;
    private final int dies;

    IrqDomains(DeviceTree tree) {
        this.tree = tree;
        int n = 0;
        for (DtNode c : tree.root().children()) {
            if (c.name().equals("soc") || c.name().startsWith("soc@")) {
                n++;
            }
        }
        this.dies = Math.max(n, 1);
    }

    /**
     * @param node  the node whose interrupt it is
     * @param prop  {@code interrupts} or {@code interrupts-extended}
     * @param entry index of the specifier in that property
     * @throws DeviceTreeException naming the node, the property and the entry, or the controller
     *         when its own description is at fault
     */
    void check(DtNode node, String prop, int entry, IrqSpec spec) {
        List<String> compatible = spec.controller().compatible();
        if (compatible.contains("apple,aic")) {
            checkAic(node, prop, entry, spec, AIC_MAX_IRQ, 1, 3, 3);
        } else if (compatible.contains("apple,aic2")) {
            checkAic(node, prop, entry, spec, aic2Irqs(spec.controller()), dies, 3, 4);
        } else if (compatible.contains("arm,gic-v3")) {
            checkGic(node, prop, entry, spec, true);
        } else if (compatible.stream().anyMatch(GIC_V2::contains)) {
            checkGic(node, prop, entry, spec, false);
        }
    }

    private void checkAic(DtNode node, String prop, int entry, IrqSpec spec, long irqs, int nrDie, int minCells, int maxCells) {
        DtNode aic = spec.controller();
        String kind = aic.compatible().contains("apple,aic2") ? "apple,aic2" : "apple,aic";
        int n = spec.cells().length;
        if (n < minCells || n > maxCells) {
            throw new DeviceTreeException(tree.source(), aic.path(), String.format("#interrupt-cells: expected %s (%s), found %d",
                    minCells == maxCells ? Integer.toString(minCells) : minCells + " or " + maxCells, kind, n));
        }
        long type = Integer.toUnsignedLong(spec.cell(0));
        long die = n == 4 ? Integer.toUnsignedLong(spec.cell(1)) : 0;
        long num = Integer.toUnsignedLong(spec.cell(n - 2));
        String at = String.format("%s entry %d: ", prop, entry);
        if (type == AIC_IRQ) {
            if (die >= nrDie) {
                throw error(node, at + String.format("expected an AIC die below %d (one per root-level SoC bus), found %d", nrDie, die));
            }
            if (num >= irqs) {
                throw error(node, at + String.format("expected an IRQ number below %d (%s %s), found %d", irqs, kind,
                        kind.equals("apple,aic") ? "AIC_MAX_IRQ" : "registers inside reg entry 0 of " + aic.path(), num));
            }
        } else if (type == AIC_FIQ) {
            if (die != 0) {
                throw error(node, at + "expected die 0 for an AIC FIQ, found " + die);
            }
            if (num >= AIC_NR_FIQ) {
                throw error(node, at + String.format("expected an FIQ number below %d (AIC_NR_FIQ), found %d", AIC_NR_FIQ, num));
            }
        } else {
            throw error(node, at + "expected AIC type 0 (IRQ) or 1 (FIQ), found " + type);
        }
    }

    /** @return how many IRQs per die fit the AIC2's register window (reg entry 0) */
    private long aic2Irqs(DtNode aic) {
        List<RegRange> reg = aic.reg();
        if (reg.isEmpty()) {
            throw new DeviceTreeException(tree.source(), aic.path(), "reg: expected the AIC2 register window as entry 0, found none");
        }
        long size = reg.get(0).size();
        if (size <= AIC2_IRQ_CFG) {
            return 0;
        }
        return (size - AIC2_IRQ_CFG) / (dies * AIC2_BYTES_PER_32_IRQS) * 32;
    }

    private void checkGic(DtNode node, String prop, int entry, IrqSpec spec, boolean v3) {
        String at = String.format("%s entry %d: ", prop, entry);
        if (spec.cells().length < 3) {
            throw new DeviceTreeException(tree.source(), spec.controller().path(),
                    "#interrupt-cells: expected at least 3 (arm,gic), found " + spec.cells().length);
        }
        long type = Integer.toUnsignedLong(spec.cell(0));
        long num = Integer.toUnsignedLong(spec.cell(1));
        long limit;
        String what;
        if (type == GIC_SPI) {
            limit = GIC_SPI_LIMIT;
            what = "an SPI";
        } else if (type == GIC_PPI) {
            limit = GIC_PPI_LIMIT;
            what = "a PPI";
        } else if (v3 && type == GIC_ESPI) {
            limit = GIC_ESPI_LIMIT;
            what = "an extended SPI";
        } else if (v3 && type == GIC_EPPI) {
            limit = GIC_EPPI_LIMIT;
            what = "an extended PPI";
        } else {
            throw error(node, at + (v3 ? "expected GIC type 0 (SPI), 1 (PPI), 2 (ESPI) or 3 (EPPI), found "
                    : "expected GIC type 0 (SPI) or 1 (PPI), found ") + type);
        }
        if (num >= limit) {
            throw error(node, at + String.format("expected %s number below %d, found %d", what, limit, num));
        }
    }

    private DeviceTreeException error(DtNode node, String message) {
        return new DeviceTreeException(tree.source(), node.path(), message);
    }
}
