package io.iommulab.api.hw;

/**
 * What an IOMMU model's own walk gives for one stream and IOVA from its registers and the tables
 * in memory as they are now, without its IOTLB ({@link IommuModel#walk}).
 *
 * @param paddr the physical address the IOVA translates to (valid when {@code fault} is null)
 * @param perms what a device may do there, {@link io.iommulab.api.Prot} READ and WRITE bits (a
 *              bypassed stream: both)
 * @param fault the fault a transaction would end with (the model's decoded text, e.g.
 *              {@code "NO PTE FOR IOVA"}), null when the walk found a translation
 * @since 1.3
 */
public record TableWalk(long paddr, int perms, String fault) {

    /** @return true when the walk found a translation */
    public boolean ok() {
        return fault == null;
    }

    /** @return a translation to {@code paddr} with {@code perms} */
    public static TableWalk of(long paddr, int perms) {
        return new TableWalk(paddr, perms, null);
    }

    /** @return a walk that ends in {@code fault} */
    public static TableWalk fault(String fault) {
        return new TableWalk(0, 0, fault);
    }
}
