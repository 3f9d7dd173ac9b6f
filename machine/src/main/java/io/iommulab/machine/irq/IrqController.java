package io.iommulab.machine.irq;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
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
 * <p>Line numbers: with {@code #interrupt-cells = 3} (Apple AIC, ARM GIC: {@code <type num flags>})
 * the number is the second cell; otherwise the first.
 */
public final class IrqController {
    private final Map<String, IrqLineImpl> lines = new ConcurrentHashMap<>();

    /**
     * @param controller the interrupt controller node
     * @param cells      the specifier cells, {@code #interrupt-cells} of them
     * @return the line
     * @throws IommuException EINVAL naming the controller if there are no cells
     */
    public IrqLineImpl line(DtNode controller, int[] cells) {
        int number = number(controller, cells);
        String key = controller.path() + "#" + number;
        return lines.computeIfAbsent(key, k -> new IrqLineImpl(number, prefix(controller) + ":" + number));
    }

    static int number(DtNode controller, int[] cells) {
        if (cells.length == 0) {
            throw new IommuException(Errno.EINVAL, controller.path() + ": interrupt specifier without cells");
        }
        int n = controller.u32("#interrupt-cells", cells.length);
        return n == 3 && cells.length >= 2 ? cells[1] : cells[0];
    }

    private static String prefix(DtNode controller) {
        if (!controller.labels().isEmpty()) {
            return controller.labels().get(0);
        }
        String name = controller.name();
        int at = name.indexOf('@');
        return at > 0 ? name.substring(0, at) : name;
    }

    /** @return every line used so far, by name */
    public List<IrqLineImpl> lines() {
        List<IrqLineImpl> out = new ArrayList<>(lines.values());
        out.sort(Comparator.comparing((IrqLineImpl l) -> l.name().substring(0, l.name().lastIndexOf(':')))
                .thenComparingInt(IrqLineImpl::number));
        return out;
    }
}
