package io.iommulab.machine.dart;

/**
 * The DART's IOTLB: per stream, a fully associative cache of leaf translations with
 * {@code capacity} entries, replaced oldest-first (FIFO). It is never coherent with the tables in
 * memory: entries are dropped only by an invalidation command for their SID (model contract step
 * 9), so a driver that forgets to invalidate reads stale translations, as on silicon.
 *
 * <h2>Hit path and concurrency</h2>
 * Each stream publishes an open-addressing hash table of immutable {@link Entry} objects through a
 * volatile field. {@link #lookup} takes no lock and allocates nothing: one volatile read, a
 * multiply, and usually one array load. Writers (insert after a walk, invalidation) serialise on
 * the stream's monitor:
 * <ul>
 * <li>An insert stores into the published table and re-publishes it (volatile write), so a lookup
 *     that reads the table afterwards sees the entry; a racing lookup may miss it, which only costs
 *     a walk. Slots go null → entry → tombstone → entry and never back to null in one table, and a
 *     table is rebuilt before it is 3/4 used, so a lock-free probe always ends at a null.</li>
 * <li>An invalidation publishes the shared empty table and bumps the stream's epoch. A walk
 *     samples the epoch ({@link #epoch}) before it reads memory, and {@link #insert} drops its result
 *     if the epoch moved: a walk that may have read a table entry from before the invalidation
 *     never enters the new IOTLB. Hence once an invalidation has returned, no later lookup can hit
 *     an entry it dropped.</li>
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

        Entry(long tag, long pa, int perms) {
            this.tag = tag;
            this.pa = pa;
            this.perms = perms;
        }
    }

    /** Slot left by an evicted entry; its tag matches no IOVA (tags are non-negative). */
    private static final Entry TOMBSTONE = new Entry(-1, 0, 0);
    /** The table of an empty stream; never written. */
    private static final Entry[] EMPTY = new Entry[1];
    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

    /** One stream's IOTLB. Fields other than the volatile ones are guarded by the object's monitor. */
    private static final class Stream {
        volatile Entry[] table = EMPTY;
        volatile long epoch;
        /** tags in insertion order, a ring of {@code capacity} (allocated on first insert). */
        long[] fifo;
        int head;
        int count;
        /** slots of {@link #table} that are not null (entries and tombstones). */
        int used;
    }

    private final Stream[] streams;
    private final int capacity;
    private final int tableSize;

    /**
     * @param sids     streams that have an IOTLB
     * @param capacity entries per stream (0: nothing is ever cached)
     */
    DartIotlb(int sids, int capacity) {
        this.capacity = capacity;
        this.tableSize = Math.max(2, Integer.highestOneBit(Math.max(1, capacity) * 2 - 1) << 1);
        this.streams = new Stream[sids];
        for (int i = 0; i < sids; i++) {
            streams[i] = new Stream();
        }
    }

    private static int hash(long tag) {
        return (int) ((tag * GOLDEN) >>> 32);
    }

    /** @return the cached translation of {@code tag} on {@code sid}, or null. Lock-free. */
    Entry lookup(int sid, long tag) {
        Entry[] t = streams[sid].table;
        int mask = t.length - 1;
        int i = hash(tag) & mask;
        for (;;) {
            Entry e = t[i];
            if (e == null || e.tag == tag) {
                return e;
            }
            i = (i + 1) & mask;
        }
    }

    /** @return the stream's invalidation epoch; sample it before walking, pass it to {@link #insert} */
    long epoch(int sid) {
        return streams[sid].epoch;
    }

    /**
     * Caches a walk's result unless the stream was invalidated since {@code epoch} was sampled or the
     * tag is already cached (another thread walked it too).
     */
    void insert(int sid, long epoch, Entry e) {
        if (capacity == 0) {
            return;
        }
        Stream s = streams[sid];
        synchronized (s) {
            if (s.epoch != epoch) {
                return;
            }
            Entry[] t = s.table;
            if (t == EMPTY) {
                t = new Entry[tableSize];
                s.fifo = s.fifo != null ? s.fifo : new long[capacity];
            } else if (find(t, e.tag) >= 0) {
                return;
            }
            if (s.count == capacity) {
                long oldest = s.fifo[s.head];
                s.head = (s.head + 1) % capacity;
                s.count--;
                t[find(t, oldest)] = TOMBSTONE;
            }
            if ((s.used + 1) * 4 > tableSize * 3) {
                t = rebuild(t);
                s.used = s.count;
            }
            if (place(t, e)) {
                s.used++;
            }
            s.fifo[(s.head + s.count) % capacity] = e.tag;
            s.count++;
            s.table = t;
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

    /** Puts {@code e} in the first free slot of its probe sequence; @return true if that slot was null */
    private static boolean place(Entry[] t, Entry e) {
        int mask = t.length - 1;
        for (int i = hash(e.tag) & mask;; i = (i + 1) & mask) {
            Entry x = t[i];
            if (x == null || x == TOMBSTONE) {
                t[i] = e;
                return x == null;
            }
        }
    }

    /** @return a fresh table holding the live entries of {@code t} (the old one stays valid for readers) */
    private Entry[] rebuild(Entry[] t) {
        Entry[] n = new Entry[tableSize];
        for (Entry x : t) {
            if (x != null && x != TOMBSTONE) {
                place(n, x);
            }
        }
        return n;
    }

    /** Drops every entry of {@code sid} (an invalidation command for that SID). */
    void invalidate(int sid) {
        if (sid < 0 || sid >= streams.length) {
            return;
        }
        Stream s = streams[sid];
        synchronized (s) {
            s.epoch++;
            s.table = EMPTY;
            s.head = 0;
            s.count = 0;
            s.used = 0;
        }
    }

    /** Drops every entry of every stream. */
    void invalidateAll() {
        for (int sid = 0; sid < streams.length; sid++) {
            invalidate(sid);
        }
    }
}
