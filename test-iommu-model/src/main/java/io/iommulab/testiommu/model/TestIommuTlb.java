package io.iommulab.testiommu.model;

/**
 * The IOTLB of one stream: a fully associative cache of leaf translations, replaced
 * oldest-first. It is never coherent with the tables in memory; only {@link #invalidate} drops
 * entries. Callers hold this object's monitor around every method and field access (the model
 * synchronises per stream so that DMA on different streams never contends).
 */
final class TestIommuTlb {

    /** IOVA of the first byte of each cached page or block. */
    private final long[] tag;
    /** size - 1 of each entry (0xfff or 0x1f_ffff). */
    private final long[] offMask;
    /** output address of each entry's first byte. */
    private final long[] pa;
    /** {@link TestIommuWalker#PERM_READ}/{@link TestIommuWalker#PERM_WRITE} of each entry. */
    private final byte[] perms;
    private int count;
    /** slot the next insertion replaces once the TLB is full (the oldest). */
    private int next;
    /** slot of the last hit, tried first: DMA is sequential. */
    private int last;

    long hits;
    long misses;
    long walks;

    TestIommuTlb(int entries) {
        tag = new long[entries];
        offMask = new long[entries];
        pa = new long[entries];
        perms = new byte[entries];
    }

    /** @return the slot translating {@code iova}, or -1 */
    int lookup(long iova) {
        int l = last;
        if (l < count && (iova & ~offMask[l]) == tag[l]) {
            return l;
        }
        for (int i = 0; i < count; i++) {
            if ((iova & ~offMask[i]) == tag[i]) {
                last = i;
                return i;
            }
        }
        return -1;
    }

    /**
     * Caches a translation.
     *
     * @param base  first IOVA of the page or block
     * @param mask  size - 1
     * @return the slot used
     */
    int insert(long base, long mask, long out, int perm) {
        int slot;
        if (count < tag.length) {
            slot = count++;
        } else {
            slot = next;
            next = (next + 1) % tag.length;
        }
        tag[slot] = base;
        offMask[slot] = mask;
        pa[slot] = out;
        perms[slot] = (byte) perm;
        last = slot;
        return slot;
    }

    long offMask(int slot) {
        return offMask[slot];
    }

    long pa(int slot) {
        return pa[slot];
    }

    int perms(int slot) {
        return perms[slot];
    }

    /** @return entries currently cached */
    int size() {
        return count;
    }

    void invalidate() {
        count = 0;
        next = 0;
        last = 0;
    }
}
