package io.iommulab.api.machine;

/**
 * One stream a DMA master issues transactions on: the IOMMU node that translates it and the
 * specifier cells the DT gives (the first cell is the stream id for DART and SMMU).
 *
 * @param iommu path of the IOMMU node
 * @param args  the specifier cells (from {@code iommus} or {@code iommu-map})
 */
public record StreamRef(String iommu, int[] args) {
    /** @return the stream id, i.e. the first specifier cell (-1 if there is none) */
    public int sid() { return args.length > 0 ? args[0] : -1; }

    /** Compares the array by content (a record's default equals compares array references). */
    @Override
    public boolean equals(Object o) {
        return o instanceof StreamRef r && java.util.Objects.equals(iommu, r.iommu) && java.util.Arrays.equals(args, r.args);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Objects.hash(iommu) + java.util.Arrays.hashCode(args);
    }

    @Override
    public String toString() {
        return "StreamRef[" + "iommu=" + iommu + ", " + "args=" + java.util.Arrays.toString(args) + "]";
    }
}
