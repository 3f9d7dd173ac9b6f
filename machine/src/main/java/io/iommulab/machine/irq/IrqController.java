package io.iommulab.machine.irq;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.FailNth;
import io.iommulab.lib.dt.NodeNames;
import io.iommulab.machine.inject.FailNthCountdown;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The interrupt controllers of the board, as lines keyed by (controller node, line number). Lines
 * are created on first use; two devices naming the same cells get the same line, which is how
 * shared interrupts arise.
 *
 * <p>Line identity and number: with two or more cells the last cell is the trigger flags (the
 * convention of Apple AIC {@code <type num flags>}, AIC2 on multi-die SoCs
 * {@code <type die num flags>}, ARM GIC {@code <type num flags>}); the cells before it name the line,
 * and the number is the one just before the flags. So AIC2 lines of different dies, or GIC SPI and
 * PPI lines with the same number, are different lines. With one cell, the cell is the number.
 * Cells are unsigned 32-bit values and are named and ordered as such ({@code aic:4000000000}).
 */
public final class IrqController {
    private final Map<String, IrqLineImpl> lines = new ConcurrentHashMap<>();
    /** controller path → the name its lines start with */
    private final Map<String, String> prefixes = new ConcurrentHashMap<>();
    private final FailNth failNth;

    /** Controllers whose lines are never told to fail a request. */
    public IrqController() {
        this(new FailNthCountdown());
    }

    /** @param failNth the machine's fail-nth countdown, which every request_irq asks */
    public IrqController(FailNth failNth) {
        this.failNth = failNth;
    }

    /**
     * @param controller the interrupt controller node
     * @param cells      the specifier cells, {@code #interrupt-cells} of them
     * @return the line
     * @throws IommuException EINVAL naming the controller if there are no cells
     */
    public IrqLineImpl line(DtNode controller, int[] cells) {
        int[] id = identity(controller, cells);
        int number = id[id.length - 1];
        String key = controller.path() + "#" + java.util.Arrays.toString(id);
        return lines.computeIfAbsent(key, k -> new IrqLineImpl(number, name(controller, id), failNth));
    }

    /**
     * "aic:781", "aic:1/1130": the controller's name, then the leading cells (type, die) from the
     * first one that is not 0 (the cell count is fixed per controller, so this stays unique), then
     * the number.
     */
    private String name(DtNode controller, int[] id) {
        StringBuilder name = new StringBuilder(prefixes.computeIfAbsent(controller.path(), p -> prefix(controller)))
                .append(':');
        boolean shown = false;
        for (int i = 0; i < id.length - 1; i++) {
            shown |= id[i] != 0;
            if (shown) {
                name.append(Integer.toUnsignedString(id[i])).append('/');
            }
        }
        return name.append(Integer.toUnsignedString(id[id.length - 1])).toString();
    }

    static int number(DtNode controller, int[] cells) {
        int[] id = identity(controller, cells);
        return id[id.length - 1];
    }

    /** @return the cells that name the line: all but the trailing flags cell (one cell: itself) */
    private static int[] identity(DtNode controller, int[] cells) {
        if (cells.length == 0) {
            throw new IommuException(Errno.EINVAL, controller.path() + ": interrupt specifier without cells");
        }
        int n = Math.min(controller.u32("#interrupt-cells", cells.length), cells.length);
        return java.util.Arrays.copyOf(cells, n >= 2 ? n - 1 : 1);
    }

    /**
     * The controller's DTS label; else its name without the unit address when no other interrupt
     * controller of the tree has that name; else the shortest path suffix that tells it apart (two
     * dies have pinctrl@2921f0000 each, and a DTB without symbols has no labels).
     */
    private static String prefix(DtNode controller) {
        if (!controller.labels().isEmpty()) {
            return controller.labels().get(0);
        }
        List<String> paths = new ArrayList<>(List.of(controller.path()));
        List<DtNode> all = new ArrayList<>(List.of(controller));
        collectControllers(root(controller), all);
        String base = baseName(controller);
        if (all.stream().filter(n -> baseName(n).equals(base)).map(DtNode::path).distinct().count() == 1) {
            return base;
        }
        all.forEach(n -> paths.add(n.path()));
        return NodeNames.shortest(paths).get(controller.path());
    }

    private static String baseName(DtNode n) {
        int at = n.name().indexOf('@');
        return at > 0 ? n.name().substring(0, at) : n.name();
    }

    private static DtNode root(DtNode n) {
        DtNode r = n;
        while (r.parent().isPresent()) {
            r = r.parent().get();
        }
        return r;
    }

    private static void collectControllers(DtNode n, List<DtNode> out) {
        if (n.hasProperty("interrupt-controller")) {
            out.add(n);
        }
        for (DtNode c : n.children()) {
            collectControllers(c, out);
        }
    }

    /** @return every line used so far, by controller name, number, then name (die cells) */
    public List<IrqLineImpl> lines() {
        List<IrqLineImpl> out = new ArrayList<>(lines.values());
        out.sort(Comparator.comparing((IrqLineImpl l) -> l.name().substring(0, l.name().lastIndexOf(':')))
                .thenComparing(IrqLineImpl::number, Integer::compareUnsigned).thenComparing(IrqLineImpl::name));
        return out;
    }
}
