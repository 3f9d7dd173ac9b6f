package io.iommulab.testiommu.model;

import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.Translation;

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
    /** Where each entry came from, for a sanitizer's check of later hits: the walk that filled it. */
    private final TestIommuWalker.Walk[] source;
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
        source = new TestIommuWalker.Walk[entries];
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
     * Caches the leaf a walk found.
     *
     * @return the slot used
     */
    int insert(TestIommuWalker.Walk w) {
        int slot;
        if (count < tag.length) {
            slot = count++;
        } else {
            slot = next;
            next = (next + 1) % tag.length;
        }
        tag[slot] = w.base();
        offMask[slot] = w.mask();
        pa[slot] = w.out();
        perms[slot] = (byte) w.perms();
        source[slot] = w;
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

    /** @return the walk that filled {@code slot} */
    TestIommuWalker.Walk source(int slot) {
        return source[slot];
    }

    /** @return the translation of {@code iova} by {@code slot}, or null if the entry does not permit {@code access} */
    Translation translation(int slot, long iova, Access access) {
        int need = access == Access.WRITE ? TestIommuWalker.PERM_WRITE : TestIommuWalker.PERM_READ;
        if ((perms[slot] & need) == 0) {
            return null;
        }
        long off = iova & offMask[slot];
        return Translation.of(pa[slot] | off, offMask[slot] + 1 - off);
    }

    /** @return the slot of the {@code k}-th oldest entry ({@code k} below {@link #size}) */
    int oldest(int k) {
        return count < tag.length ? k : (next + k) % tag.length;
    }

    /** @return the IOVA of the first byte {@code slot} translates */
    long tag(int slot) {
        return tag[slot];
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
