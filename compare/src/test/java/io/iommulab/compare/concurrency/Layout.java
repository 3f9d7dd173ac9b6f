package io.iommulab.compare.concurrency;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;

/**
 * Where a run puts things in the shared domain and in RAM, from the domain's page sizes and
 * aperture: the IOVA windows of the mappers (striped and owned), the window the DMA API's
 * allocator hands out (the top of the aperture), and the physical pools mappings point at.
 *
 * <p>The striped window is cut into {@link #STRIPE_PAGES}-page stripes dealt to the mappers in
 * turn, so every leaf table there is shared by all of them (they race to install it) and some
 * stripes straddle a leaf-table boundary. The owned window gives each mapper {@link #UNITS_OWNED}
 * units of its own, a unit being the larger of a leaf table's span and the smallest block: long
 * runs, runs across leaf tables, blocks, and unmaps that free leaf tables happen there.
 */
final class Layout {

    /** pages per stripe of the striped window: not a divisor of any leaf table, so some stripes straddle one */
    static final int STRIPE_PAGES = 24;
    /** units of the owned window per mapper */
    static final int UNITS_OWNED = 2;
    /** the DMA API's window: the top of the aperture, far more than the runs ever hold at once */
    static final long DMA_WINDOW = 64L << 20;

    final int mappers;
    final long granule;
    final int pageShift;
    /** smallest block above the granule, 0 when the format has none */
    final long block;
    /** IOVA span of one leaf table */
    final long leafSpan;
    /** max(leafSpan, block) */
    final long unit;
    final long stripedBase;
    final long stripedSize;
    final long ownedBase;
    final long dmaBase;
    /** physical pool the mappers' iommu_map ranges point into, aligned to a unit, and its size before runs spill over */
    final long poolBase;
    final long poolSize;
    /** physical pool of the DMA API's buffers */
    final long dmaPoolBase;
    final long dmaPoolSize;

    /**
     * @param pgsizeBitmap the domain's page sizes
     * @param apertureEnd  the last IOVA of the domain
     * @param ramBase      start of the RAM whose lower half workloads use
     * @param mappers      mapper threads
     */
    Layout(long pgsizeBitmap, long apertureEnd, long ramBase, int mappers) {
        this.mappers = mappers;
        this.granule = Long.lowestOneBit(pgsizeBitmap);
        this.pageShift = Long.numberOfTrailingZeros(granule);
        long bigger = pgsizeBitmap & ~granule;
        this.block = Long.lowestOneBit(bigger);
        this.leafSpan = granule * (granule / 8);
        this.unit = Math.max(leafSpan, block);
        this.stripedBase = unit;
        this.stripedSize = 2 * unit;
        this.ownedBase = stripedBase + stripedSize;
        long ownedEnd = ownedBase + (long) mappers * UNITS_OWNED * unit;
        this.dmaBase = apertureEnd + 1 - DMA_WINDOW;
        if (ownedEnd > dmaBase) {
            throw new IommuException(Errno.ERANGE, String.format("aperture end 0x%x leaves no room for the windows (0x%x)",
                    apertureEnd, ownedEnd));
        }
        // 256 MiB into RAM (clear of anything a board puts low), aligned to a unit: the pool
        // spans two units plus the longest run past its end; the DMA API's buffers follow.
        this.poolBase = align(ramBase + (256L << 20), unit);
        this.poolSize = 2 * unit;
        this.dmaPoolBase = align(poolBase + 2 * poolSize, unit);
        this.dmaPoolSize = 16L << 20;
    }

    static long align(long v, long a) {
        return (v + a - 1) & -a;
    }

    long ownedBase(int mapper) {
        return ownedBase + (long) mapper * UNITS_OWNED * unit;
    }

    long ownedSize() {
        return UNITS_OWNED * unit;
    }

    /** @return stripes in the striped window */
    int stripes() {
        return (int) ((stripedSize >>> pageShift) / STRIPE_PAGES);
    }

    /** @return the IOVA of stripe {@code s} */
    long stripe(int s) {
        return stripedBase + ((long) s * STRIPE_PAGES << pageShift);
    }

    /** @return the oracle over the three windows */
    Oracle oracle() {
        return new Oracle(new long[] {stripedBase, ownedBase, dmaBase},
                new long[] {(long) stripes() * STRIPE_PAGES << pageShift, (long) mappers * UNITS_OWNED * unit, DMA_WINDOW},
                pageShift);
    }

    /**
     * @return the physical address a run at {@code iova} maps to with pool rotation {@code k}: the
     *         pool offset keeps the IOVA's alignment to the block (so blocks are possible) and the
     *         run continues linearly past the pool's end
     */
    long pa(long iova, int k) {
        long step = block != 0 ? block : granule * 7;
        return poolBase + Math.floorMod(iova - stripedBase + (long) k * step, poolSize);
    }

    @Override
    public String toString() {
        return String.format("granule 0x%x, block 0x%x, leaf span 0x%x; striped 0x%x+0x%x (%d stripes), owned 0x%x+%d x 0x%x,"
                + " DMA API 0x%x+0x%x; pool PA 0x%x+0x%x, DMA pool 0x%x+0x%x", granule, block, leafSpan, stripedBase,
                stripedSize, stripes(), ownedBase, mappers, ownedSize(), dmaBase, DMA_WINDOW, poolBase, poolSize, dmaPoolBase,
                dmaPoolSize);
    }
}
