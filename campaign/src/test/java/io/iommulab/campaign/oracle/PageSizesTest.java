package io.iommulab.campaign.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** iommu_pgsize() cases, as Linux computes them. */
class PageSizesTest {
    static final long BITMAP = 0x4000 | 0x200_0000L;

    @Test
    void theLargestSizeThatFitsBothAddressesAndTheLength() {
        assertEquals(0x200_0000L, PageSizes.pgsize(BITMAP, 0x200_0000L, 0x8_0200_0000L, 0x400_0000L));
        assertEquals(0x4000, PageSizes.pgsize(BITMAP, 0x200_0000L, 0x8_0200_4000L, 0x400_0000L), "PA not block aligned");
        assertEquals(0x4000, PageSizes.pgsize(BITMAP, 0x200_0000L, 0x8_0200_0000L, 0x1ff_c000L), "shorter than a block");
        assertEquals(0, PageSizes.pgsize(BITMAP, 0x1000, 0, 0x4000), "not aligned to the smallest page");
    }

    @Test
    void pagesStopAtTheNextBlockBoundaryWhenABlockFitsAfterIt() {
        // 16 KiB below a 32 MiB boundary with 32 MiB + 16 KiB left: one page, then a block
        assertEquals(1, PageSizes.pgcount(BITMAP, 0x1ff_c000L, 0x1ff_c000L, 0x200_4000L, 0x4000));
        // the rest would not fit a block: every page at once
        assertEquals(0x800, PageSizes.pgcount(BITMAP, 0x1ff_c000L, 0x1ff_c000L, 0x200_0000L, 0x4000));
    }

    @Test
    void aLeafTableSpansTheNextSizeOrAPageOfEntries() {
        assertEquals(0x200_0000L, PageSizes.leafTableSpan(BITMAP));
        assertEquals(0x200_0000L, PageSizes.leafTableSpan(0x4000), "DART: 2048 entries of 16 KiB");
        assertEquals(0x20_0000L, PageSizes.leafTableSpan(0x1000), "512 entries of 4 KiB");
    }
}
