package io.iommulab.api.pgtable;

/**
 * struct io_pgtable_cfg: what a driver asks of a format.
 *
 * @param pgsizeBitmap page sizes the IOMMU supports (bit n = 2^n bytes); the format reduces it to
 *                     what it can map (for LPAE: the granule and its block sizes)
 * @param ias          input (IOVA) address bits
 * @param oas          output (physical) address bits
 * @param coherentWalk the walker snoops CPU caches (IO_PGTABLE_CFG coherent_walk)
 * @param quirks       IO_PGTABLE_QUIRK_* bits, 0 for none
 */
public record PageTableConfig(long pgsizeBitmap, int ias, int oas, boolean coherentWalk, int quirks) {

    public static PageTableConfig of(long pgsizeBitmap, int ias, int oas) {
        return new PageTableConfig(pgsizeBitmap, ias, oas, true, 0);
    }

    /** @return the same configuration with another page-size bitmap (what the format settled on) */
    public PageTableConfig withPgsizeBitmap(long bitmap) {
        return new PageTableConfig(bitmap, ias, oas, coherentWalk, quirks);
    }
}
