package io.iommulab.machine.dt;

import io.iommulab.api.dt.DtNode;

import java.util.Arrays;

/**
 * One resolved interrupt specifier.
 *
 * @param controller the interrupt controller ({@code interrupt-parent} or the
 *                   {@code interrupts-extended} phandle)
 * @param cells      {@code #interrupt-cells} cells; on the AIC {@code <type number flags>}
 */
public record IrqSpec(DtNode controller, int[] cells) {
    public IrqSpec {
        cells = cells.clone();
    }

    @Override
    public int[] cells() {
        return cells.clone();
    }

    /** @return cell {@code i} of the specifier (avoids a copy) */
    public int cell(int i) {
        return cells[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IrqSpec s && s.controller == controller && Arrays.equals(s.cells, cells);
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(controller) * 31 + Arrays.hashCode(cells);
    }

    @Override
    public String toString() {
        return controller.path() + " " + Arrays.toString(cells);
    }
}
