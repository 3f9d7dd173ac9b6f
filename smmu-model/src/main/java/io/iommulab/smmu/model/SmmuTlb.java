package io.iommulab.smmu.model;

import io.iommulab.api.machine.RamWindow;
import io.iommulab.machine.hw.LinearProbing;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The SMMU's TLB: one fully associative cache of stage-1 leaf translations for the whole instance,
 * tagged by ASID, holding {@code capacity} entries replaced oldest-first (FIFO) (contract "TLB").
 * An entry covers one page or block of the leaf's size; the bank's TTBR0 is not part of the tag.
 * It is never coherent with the tables in memory: entries go only when an invalidation command
 * drops them, so a driver that forgets a TLBI reads stale translations, as on silicon.
 *
 * <h2>Hit path and concurrency</h2>
 * The contents are one immutable {@link Table} (an open-addressing hash of immutable {@link Entry}
 * objects, the FIFO ring, the set of leaf sizes present and an invalidation epoch), published
 * through an {@link AtomicReference} and replaced by compare-and-set; there are no locks.
 * <ul>
 * <li>{@link #lookup}: one volatile read, then one hash probe per leaf size present (usually one);
 *     allocates nothing.</li>
 * <li>{@link #insert} (after a walk): copies the table with the entry added (and the oldest
 *     evicted) and CASes it in, but only while the table still carries the epoch the walk sampled
 *     ({@link #epoch}) before it read memory. Every invalidation moves the epoch on, even when it
 *     drops nothing, so a walk that may have read a descriptor from before an invalidation never
 *     enters the TLB after it.</li>
 * <li>Invalidations copy the surviving entries (in FIFO order) into a new table.</li>
 * </ul>
 */
final class SmmuTlb {

    /**
     * One cached leaf. Immutable, so a lock-free reader that sees the reference through a race
     * still sees the fields (final-field semantics).
     */
    static final class Entry {
        /** ASID the entry was walked for. */
        final int asid;
        /** log2 of the leaf size. */
        final int shift;
        /** IOVA >> shift. */
        final long vpn;
        /** Output address of the page or block. */
        final long pa;
        /** Leaf size in bytes. */
        final long size;
        /** {@code size - 1}. */
        final long offsetMask;
        /** Walk level of the leaf (FSYNR0.PLVL of a permission fault on it). */
        final int level;
        /** AP[1]: unprivileged (device) access allowed. */
        final boolean unprivileged;
        /** AP[2]: read-only. */
        final boolean readOnly;
        /** UXN: no instruction fetch. */
        final boolean noExec;
        /** Where the entry came from, for a sanitizer's check of later hits: the context bank it was walked through. */
        final int cb;
        /** That bank's state (TTBR0, TCR, SCTLR) at the walk. */
        final SmmuBank bank;
        /** Physical address of the leaf descriptor. */
        final long descAddr;
        /** The leaf descriptor's value. */
        final long desc;
        /** A direct window on the leaf descriptor, taken while a sanitizer watched (else null). */
        final RamWindow leaf;

        Entry(int asid, int shift, long iova, long pa, int level, boolean unprivileged, boolean readOnly, boolean noExec,
                int cb, SmmuBank bank, long descAddr, long desc, RamWindow leaf) {
            this.asid = asid;
            this.shift = shift;
            this.vpn = iova >>> shift;
            this.pa = pa;
            this.size = 1L << shift;
            this.offsetMask = size - 1;
            this.level = level;
            this.unprivileged = unprivileged;
            this.readOnly = readOnly;
            this.noExec = noExec;
            this.cb = cb;
            this.bank = bank;
            this.descAddr = descAddr;
            this.desc = desc;
            this.leaf = leaf;
        }

        /** @return true if this entry translates {@code iova} (any ASID) */
        boolean covers(long iova) {
            return iova >>> shift == vpn;
        }
    }

    /**
     * The TLB contents, never changed once published.
     *
     * @param slots  open-addressing hash of entries (null = free), at most half full
     * @param fifo   entries in insertion order, a ring of {@code capacity}, oldest at {@code head}
     * @param head   index of the oldest entry in {@code fifo}
     * @param count  entries held
     * @param epoch  invalidations so far
     * @param shifts bit {@code s} set while an entry of size {@code 2^s} is held
     * @param perShift entries held per leaf-size shift (64 counters)
     */
    private record Table(Entry[] slots, Entry[] fifo, int head, int count, long epoch, long shifts, int[] perShift) {
    }

    /** Slots of every empty table; never written. */
    private static final Entry[] NO_SLOTS = new Entry[1];
    private static final Entry[] NO_FIFO = new Entry[0];
    private static final int[] NO_COUNTS = new int[64];
    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

    private final AtomicReference<Table> current;
    private final int capacity;
    private final int tableSize;

    /** @param capacity entries (0: nothing is ever cached) */
    SmmuTlb(int capacity) {
        this.capacity = capacity;
        this.tableSize = Math.max(2, Integer.highestOneBit(Math.max(1, capacity) * 2 - 1) << 1);
        this.current = new AtomicReference<>(empty(0));
    }

    private static Table empty(long epoch) {
        return new Table(NO_SLOTS, NO_FIFO, 0, 0, epoch, 0, NO_COUNTS);
    }

    private static int hash(int asid, int shift, long vpn) {
        return (int) (((vpn ^ (long) asid << 40 ^ (long) shift << 58) * GOLDEN) >>> 32);
    }

    /** @return the entry translating {@code iova} for {@code asid}, or null. Lock-free, allocation-free. */
    Entry lookup(int asid, long iova) {
        Table t = current.get();
        long shifts = t.shifts;
        Entry[] slots = t.slots;
        int mask = slots.length - 1;
        while (shifts != 0) {
            int sh = Long.numberOfTrailingZeros(shifts);
            shifts &= shifts - 1;
            long vpn = iova >>> sh;
            for (int i = hash(asid, sh, vpn) & mask;; i = (i + 1) & mask) {
                Entry e = slots[i];
                if (e == null) {
                    break;
                }
                if (e.vpn == vpn && e.asid == asid && e.shift == sh) {
                    return e;
                }
            }
        }
        return null;
    }

    /** @return the invalidation epoch; sample it before walking and pass it to {@link #insert} */
    long epoch() {
        return current.get().epoch;
    }

    /** @return entries held */
    int size() {
        return current.get().count;
    }

    /** @return the entries held now, oldest first (one volatile read; changes nothing) */
    java.util.List<Entry> entries() {
        Table t = current.get();
        java.util.List<Entry> out = new java.util.ArrayList<>(t.count);
        for (int k = 0; k < t.count; k++) {
            out.add(t.fifo[(t.head + k) % capacity]);
        }
        return out;
    }

    /**
     * Caches a walk's leaf unless an invalidation ran since {@code epoch} was sampled or the same
     * page is cached already (another transaction walked it too).
     */
    void insert(long epoch, Entry e) {
        if (capacity == 0) {
            return;
        }
        for (;;) {
            Table t = current.get();
            if (t.epoch != epoch || find(t.slots, e.asid, e.shift, e.vpn) >= 0) {
                return;
            }
            if (current.compareAndSet(t, with(t, e))) {
                return;
            }
        }
    }

    /** @return a copy of {@code t} holding {@code e} too, the oldest entry evicted when full */
    private Table with(Table t, Entry e) {
        Entry[] fifo = t.fifo.length == 0 ? new Entry[capacity] : t.fifo.clone();
        Entry[] slots = t.slots.length == tableSize ? t.slots.clone() : new Entry[tableSize];
        int[] perShift = t.perShift.clone();
        int head = t.head;
        int count = t.count;
        if (count == capacity) {
            Entry old = fifo[head];
            remove(slots, old);
            perShift[old.shift]--;
            fifo[head] = null;
            head = (head + 1) % capacity;
            count--;
        }
        place(slots, e);
        perShift[e.shift]++;
        fifo[(head + count) % capacity] = e;
        return new Table(slots, fifo, head, count + 1, t.epoch, shifts(perShift), perShift);
    }

    private static long shifts(int[] perShift) {
        long s = 0;
        for (int i = 0; i < perShift.length; i++) {
            if (perShift[i] > 0) {
                s |= 1L << i;
            }
        }
        return s;
    }

    /** Deletes {@code e} from a table (no tombstones: {@link LinearProbing#delete}). */
    private static void remove(Entry[] t, Entry e) {
        int i = find(t, e.asid, e.shift, e.vpn);
        if (i >= 0) {
            LinearProbing.delete(t, i, SmmuTlb::hash);
        }
    }

    /** @return the slot holding the entry with this tag, or -1 */
    private static int find(Entry[] t, int asid, int shift, long vpn) {
        int mask = t.length - 1;
        for (int i = hash(asid, shift, vpn) & mask;; i = (i + 1) & mask) {
            Entry x = t[i];
            if (x == null) {
                return -1;
            }
            if (x.vpn == vpn && x.asid == asid && x.shift == shift) {
                return i;
            }
        }
    }

    /** Puts {@code e} in the first free slot of its probe sequence. */
    private static void place(Entry[] t, Entry e) {
        LinearProbing.place(t, e, hash(e));
    }

    private static int hash(Entry e) {
        return hash(e.asid, e.shift, e.vpn);
    }

    /** TLBIVA / TLBIVAL: drops the entries of {@code asid} that translate {@code iova}. */
    void invalidateVa(int asid, long iova) {
        drop(e -> e.asid == asid && e.covers(iova));
    }

    /** TLBIVAA / TLBIVAAL: drops the entries of every ASID that translate {@code iova}. */
    void invalidateVaAllAsids(long iova) {
        drop(e -> e.covers(iova));
    }

    /** TLBIASID: drops every entry of {@code asid}. */
    void invalidateAsid(int asid) {
        drop(e -> e.asid == asid);
    }

    /** TLBIALL, TLBIALLNSNH, TLBIALLH, TLBIVMID: drops everything. */
    void invalidateAll() {
        for (;;) {
            Table t = current.get();
            if (current.compareAndSet(t, empty(t.epoch + 1))) {
                return;
            }
        }
    }

    /** Which entries an invalidation drops. */
    private interface Victim {
        boolean test(Entry e);
    }

    /**
     * Replaces the table with one holding the entries {@code victim} spares, in FIFO order, and the
     * next epoch. One pass over the entries; when nothing is dropped the arrays are shared (a
     * published table's arrays are never written).
     */
    private void drop(Victim victim) {
        for (;;) {
            Table t = current.get();
            Entry[] fifo = null;
            Entry[] slots = null;
            int[] perShift = null;
            int kept = 0;
            for (int k = 0; k < t.count; k++) {
                Entry e = t.fifo[(t.head + k) % capacity];
                if (victim.test(e)) {
                    if (fifo == null) {
                        fifo = new Entry[capacity];
                        for (int j = 0; j < k; j++) {
                            fifo[j] = t.fifo[(t.head + j) % capacity];
                        }
                        kept = k;
                    }
                } else if (fifo != null) {
                    fifo[kept++] = e;
                }
            }
            Table n;
            if (fifo == null) {
                n = new Table(t.slots, t.fifo, t.head, t.count, t.epoch + 1, t.shifts, t.perShift);
            } else if (kept == 0) {
                n = empty(t.epoch + 1);
            } else {
                slots = new Entry[tableSize];
                perShift = new int[NO_COUNTS.length];
                for (int k = 0; k < kept; k++) {
                    place(slots, fifo[k]);
                    perShift[fifo[k].shift]++;
                }
                n = new Table(slots, fifo, 0, kept, t.epoch + 1, shifts(perShift), perShift);
            }
            if (current.compareAndSet(t, n)) {
                return;
            }
        }
    }
}
