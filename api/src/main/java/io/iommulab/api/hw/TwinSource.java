package io.iommulab.api.hw;

import java.util.List;

/**
 * One IOMMU node of a board that a board twin replaces with hardware of another kind (see
 * {@link IommuModelFactory#twin}). The machine gathers these facts from the original tree.
 *
 * @param path       DT path of the original node
 * @param compatible its {@code compatible} list
 * @param regSize    size of its first {@code reg} entry
 * @param streams    highest stream id any master uses on it, plus one (0 if no master uses it)
 * @param sids       the distinct stream ids masters use on it, ascending
 * @param masters    DT paths of the masters (platform nodes and PCI functions) that use it
 */
public record TwinSource(String path, List<String> compatible, long regSize, int streams, List<Integer> sids,
        List<String> masters) {
    public TwinSource {
        compatible = List.copyOf(compatible);
        sids = List.copyOf(sids);
        masters = List.copyOf(masters);
    }
}
