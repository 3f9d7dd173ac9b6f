package io.iommulab.api.hw;

/**
 * What an IOMMU model answers for one transaction.
 *
 * @param paddr physical address the IOVA translates to (valid when {@code fault == null})
 * @param span  bytes from {@code paddr} that stay contiguous under this translation (to the end
 *              of the page or block); the master splits longer requests
 * @param fault decoded fault text (e.g. {@code "NO PTE FOR IOVA"}), null on success; the model has
 *              already latched its error registers and raised its interrupt
 */
public record Translation(long paddr, long span, String fault) {

    public boolean ok() { return fault == null; }

    public static Translation of(long paddr, long span) { return new Translation(paddr, span, null); }

    public static Translation fault(String fault) { return new Translation(0, 0, fault); }
}
