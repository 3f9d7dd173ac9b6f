package io.iommulab.campaign.oracle;

/**
 * How Linux splits an {@code iommu_map}/{@code iommu_unmap} into calls of the driver:
 * {@code iommu_pgsize()} of drivers/iommu/iommu.c, written here from Linux for the oracle, which
 * must know which leaves a map makes (a page or a block) to say what a later unmap does. The core
 * has the same lines (DomainImpl); they stay apart on purpose: an oracle calling the code it judges
 * would agree with its bugs.
 */
public final class PageSizes {

    private PageSizes() {
    }

    /**
     * @return the largest page size of {@code bitmap} that fits {@code size} and the alignment of
     *         both addresses, or 0 when none does (the addresses or the size are not aligned to the
     *         smallest page)
     */
    public static long pgsize(long bitmap, long iova, long paddr, long size) {
        long pgsizes = bitmap & genmask(63 - Long.numberOfLeadingZeros(size));
        long addrMerge = iova | paddr;
        if (addrMerge != 0) {
            pgsizes &= genmask(Long.numberOfTrailingZeros(addrMerge));
        }
        return pgsizes == 0 ? 0 : Long.highestOneBit(pgsizes);
    }

    /**
     * @return how many pages of {@code pgsize} one call maps or unmaps: up to the next boundary of
     *         the next larger page size when the rest would fit such a page, else all that fit
     */
    public static long pgcount(long bitmap, long iova, long paddr, long size, long pgsize) {
        long bigger = bitmap & ~(pgsize | (pgsize - 1));
        if (bigger != 0) {
            long next = Long.lowestOneBit(bigger);
            if (((iova ^ paddr) & (next - 1)) == 0) {
                long offset = next - ((iova | paddr) & (next - 1));
                if (Long.compareUnsigned(offset + next, size) <= 0) {
                    size = offset;
                }
            }
        }
        return size >>> Long.numberOfTrailingZeros(pgsize);
    }

    private static long genmask(int high) {
        return high >= 63 ? -1L : (1L << (high + 1)) - 1;
    }

    /**
     * @return the span of one leaf table: the next larger page size of the bitmap (a block covers
     *         one leaf table), or, without blocks, as many pages as a page-sized table holds entries
     */
    public static long leafTableSpan(long bitmap) {
        long min = Long.lowestOneBit(bitmap);
        long bigger = bitmap & ~(min | (min - 1));
        return bigger != 0 ? Long.lowestOneBit(bigger) : min * (min / Long.BYTES);
    }
}
