package io.iommulab.api.driver;

/**
 * One IOMMU specifier of a master (one {@code iommus} entry, or the result of an {@code iommu-map}
 * lookup for a PCI function), after the IOMMU instance was found.
 *
 * @param iommu the instance the specifier names
 * @param args  the specifier cells
 */
public record FwspecEntry(IommuDevice iommu, int[] args) {

    /** Compares the array by content (a record's default equals compares array references). */
    @Override
    public boolean equals(Object o) {
        return o instanceof FwspecEntry r && java.util.Objects.equals(iommu, r.iommu) && java.util.Arrays.equals(args, r.args);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Objects.hash(iommu) + java.util.Arrays.hashCode(args);
    }

    @Override
    public String toString() {
        return "FwspecEntry[" + "iommu=" + iommu + ", " + "args=" + java.util.Arrays.toString(args) + "]";
    }
}
