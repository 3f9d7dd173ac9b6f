package io.iommulab.api.hw;

import java.util.List;
import java.util.Map;

/**
 * The node a model factory puts in a board twin in place of one or more original IOMMU nodes. The
 * machine writes it: node name {@code iommu@<address>}, the address chosen free on the bus, the
 * first source's labels and phandle (every reference to any source then names this node), the
 * sources' power domains, and {@code interrupts} holding the first source's interrupt specifier
 * {@code interruptCount} times (a shared line, as SoCs wire several IOMMU interrupts together).
 *
 * @param compatible     {@code compatible} strings, most specific first
 * @param regSize        size of the register block (one {@code reg} entry)
 * @param interruptCount number of {@code interrupts} entries
 * @param iommuCells     value of {@code #iommu-cells}
 * @param cells          further one-cell properties, e.g. {@code #global-interrupts = 1}
 * @param modelOptions   {@code iommulab,model-options} entries ("key=value"), may be empty
 */
public record TwinNode(List<String> compatible, long regSize, int interruptCount, int iommuCells,
        Map<String, Integer> cells, List<String> modelOptions) {
    public TwinNode {
        compatible = List.copyOf(compatible);
        cells = Map.copyOf(cells);
        modelOptions = List.copyOf(modelOptions);
    }
}
