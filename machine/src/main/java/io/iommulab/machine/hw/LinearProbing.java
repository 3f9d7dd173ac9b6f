package io.iommulab.machine.hw;

import java.util.function.ToIntFunction;

/**
 * Open addressing with linear probing, as the models' lock-free translation caches use it (the
 * DART's per-stream IOTLB, the SMMU's TLB): a power-of-two array of entries, {@code null} for a
 * free slot, each entry at or after its home slot {@code hash & (length - 1)} with no free slot in
 * between. A cache copies its published table before changing it, so these run on a private array
 * and need no lock; a reader of a published table never sees them.
 */
public final class LinearProbing {

    private LinearProbing() {
    }

    /** Puts {@code e} in the first free slot of its probe sequence; the table must have one free. */
    public static <E> void place(E[] table, E e, int hash) {
        int mask = table.length - 1;
        int i = hash & mask;
        while (table[i] != null) {
            i = (i + 1) & mask;
        }
        table[i] = e;
    }

    /**
     * Deletes the entry in {@code slot} without tombstones (Knuth's algorithm R, TAOCP 6.4): later
     * entries of the cluster move back into the hole when their home slot allows it, so every entry
     * stays reachable from its home.
     *
     * @param hash the hash the entries were placed with
     */
    public static <E> void delete(E[] table, int slot, ToIntFunction<? super E> hash) {
        int mask = table.length - 1;
        int i = slot;
        int j = slot;
        for (;;) {
            table[i] = null;
            for (;;) {
                j = (j + 1) & mask;
                if (table[j] == null) {
                    return;
                }
                int k = hash.applyAsInt(table[j]) & mask;
                // the entry at j stays if its home k lies cyclically in (i, j]
                boolean stays = i <= j ? i < k && k <= j : i < k || k <= j;
                if (!stays) {
                    break;
                }
            }
            table[i] = table[j];
            i = j;
        }
    }
}
