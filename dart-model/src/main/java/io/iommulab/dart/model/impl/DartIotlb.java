package io.iommulab.dart.model.impl;

import io.iommulab.api.machine.RamWindow;
import io.iommulab.machine.hw.LinearProbing;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The DART's IOTLB: per stream, a fully associative cache of leaf translations with
 * {@code capacity} entries, replaced oldest-first (FIFO). It is never coherent with the tables in
 * memory: entries are dropped only by an invalidation command for their SID (contract step 9 of
 * {@code dart-model/README.md}), so a driver that forgets to invalidate reads stale translations, as on silicon.
 *
 * <h2>Hit path and concurrency</h2>
 * Each stream's contents are one immutable {@link Table} (an open-addressing hash of immutable
 * {@link Entry} objects, the FIFO ring and the stream's invalidation epoch), published through a
 * volatile array slot and replaced by compare-and-set; there are no locks.
 * <ul>
 * <li>{@link #lookup}: one volatile read, a multiply, usually one array load; allocates nothing.</li>
 * <li>{@link #invalidate}: one CAS to an empty table with the next epoch (an invalidation runs on
 *     every map and unmap of a DMA domain, so it must be cheap; it allocates one small object).</li>
 * <li>{@link #insert} (after a walk): copies the table with the entry added (and the oldest evicted)
 *     and CASes it in, but only while the table still carries the epoch the walk sampled
 *     ({@link #epoch}) before it read memory. A walk that may have read a table entry from before an
 *     invalidation therefore never enters the IOTLB after it: once an invalidation has returned, no
 *     later lookup can hit an entry it dropped.</li>
 * </ul>
 */
final class DartIotlb {

    /**
     * One cached translation. Immutable, so a lock-free reader that sees the reference through a
     * race still sees the fields (final-field semantics).
     */
    static final class Entry {
        /** IOVA >> pageShift. */
        final long tag;
        /** Output page address. */
        final long pa;
        /** {@link DartPteFormat#PERM_READ}/{@link DartPteFormat#PERM_WRITE}. */
        final int perms;
        /** Where the entry came from, for a sanitizer's check of later hits: the leaf entry's PA. */
        final long pteAddr;
        /** The leaf entry's value. */
        final long pte;
        /** The TCR the walk decoded. */
        final int tcr;
        /** The TTBR value the walk started from. */
        final int ttbr;
        /** A direct window on the leaf entry, taken while a sanitizer watched (else null). */
        final RamWindow leaf;

        Entry(long tag, long pa, int perms, long pteAddr, long pte, int tcr, int ttbr, RamWindow leaf) {
            this.tag = tag;
            this.pa = pa;
            this.perms = perms;
            this.pteAddr = pteAddr;
            this.pte = pte;
            this.tcr = tcr;
            this.ttbr = ttbr;
            this.leaf = leaf;
        }
    }

    /**
     * One stream's IOTLB contents, never changed once published.
     *
     * @param slots open-addressing hash of entries (null = free); at most half full
     * @param fifo  tags in insertion order, a ring of {@code capacity}, oldest at {@code head}
     * @param head  index of the oldest tag in {@code fifo}
     * @param count entries held
     * @param epoch invalidations of the stream so far
     */
    private record Table(Entry[] slots, long[] fifo, int head, int count, long epoch) {
    }

    private static final VarHandle TABLES = MethodHandles.arrayElementVarHandle(Table[].class);
    /** Slots of every empty table; never written. */
    private static final Entry[] NO_SLOTS = new Entry[1];
    private static final long[] NO_FIFO = new long[0];
    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

    private final Table[] tables;
    private final int capacity;
    private final int tableSize;

    /**
     * @param sids     streams that have an IOTLB
     * @param capacity entries per stream (0: nothing is ever cached)
     */
    DartIotlb(int sids, int capacity) {
        this.capacity = capacity;
        this.tableSize = Math.max(2, Integer.highestOneBit(Math.max(1, capacity) * 2 - 1) << 1);
        this.tables = new Table[sids];
        for (int i = 0; i < sids; i++) {
            tables[i] = new Table(NO_SLOTS, NO_FIFO, 0, 0, 0);
        }
    }

    private static int hash(long tag) {
        return (int) ((tag * GOLDEN) >>> 32);
    }

    private Table table(int sid) {
        return (Table) TABLES.getVolatile(tables, sid);
    }

    /** @return the cached translation of {@code tag} on {@code sid}, or null. Lock-free. */
    Entry lookup(int sid, long tag) {
        Entry[] t = table(sid).slots;
        int mask = t.length - 1;
        for (int i = hash(tag) & mask;; i = (i + 1) & mask) {
            Entry e = t[i];
            if (e == null || e.tag == tag) {
                return e;
            }
        }
    }

    /** @return the stream's invalidation epoch; sample it before walking, pass it to {@link #insert} */
    long epoch(int sid) {
        return table(sid).epoch;
    }

    /**
     * Caches a walk's result unless the stream was invalidated since {@code epoch} was sampled or the
     * tag is already cached (another thread walked it too).
     */
    void insert(int sid, long epoch, Entry e) {
        if (capacity == 0) {
            return;
        }
        for (;;) {
            Table t = table(sid);
            if (t.epoch != epoch || find(t.slots, e.tag) >= 0) {
                return;
            }
            if (TABLES.compareAndSet(tables, sid, t, with(t, e))) {
                return;
            }
        }
    }

    /** @return a copy of {@code t} holding {@code e} too, the oldest entry evicted when full */
    private Table with(Table t, Entry e) {
        long[] fifo = t.fifo.length == 0 ? new long[capacity] : t.fifo.clone();
        Entry[] slots = t.slots.length == tableSize ? t.slots.clone() : new Entry[tableSize];
        int head = t.head;
        int count = t.count;
        if (count == capacity) {
            remove(slots, fifo[head]);
            head = (head + 1) % capacity;
            count--;
        }
        LinearProbing.place(slots, e, hash(e.tag));
        fifo[(head + count) % capacity] = e.tag;
        return new Table(slots, fifo, head, count + 1, t.epoch);
    }

    /** Deletes {@code tag} from a table (no tombstones: {@link LinearProbing#delete}). */
    private static void remove(Entry[] t, long tag) {
        int i = find(t, tag);
        if (i >= 0) {
            LinearProbing.delete(t, i, e -> hash(e.tag));
        }
    }

    /** @return the slot holding {@code tag}, or -1 */
    private static int find(Entry[] t, long tag) {
        int mask = t.length - 1;
        for (int i = hash(tag) & mask;; i = (i + 1) & mask) {
            Entry x = t[i];
            if (x == null) {
                return -1;
            }
            if (x.tag == tag) {
                return i;
            }
        }
    }


    /** @return streams that have an IOTLB */
    int streams() {
        return tables.length;
    }

    /** @return the entries {@code sid} holds now, oldest first (one volatile read; changes nothing) */
    java.util.List<Entry> entries(int sid) {
        Table t = table(sid);
        java.util.List<Entry> out = new java.util.ArrayList<>(t.count);
        for (int k = 0; k < t.count; k++) {
            int i = find(t.slots, t.fifo[(t.head + k) % capacity]);
            if (i >= 0) {
                out.add(t.slots[i]);
            }
        }
        return out;
    }

    /** Drops every entry of {@code sid} (an invalidation command for that SID). */
    void invalidate(int sid) {
        if (sid < 0 || sid >= tables.length) {
            return;
        }
        for (;;) {
            Table t = table(sid);
            if (TABLES.compareAndSet(tables, sid, t, new Table(NO_SLOTS, t.fifo, 0, 0, t.epoch + 1))) {
                return;
            }
        }
    }

    /** Drops every entry of every stream. */
    void invalidateAll() {
        for (int sid = 0; sid < tables.length; sid++) {
            invalidate(sid);
        }
    }
}
