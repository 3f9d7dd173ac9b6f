package io.iommulab.compare.concurrency;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the run knows about every IOVA page of the shared domain's windows: unmapped, mapped (to
 * which physical page, with which rights) or unknown, and who may use the page now.
 *
 * <p>One word per page: a version (bumped by every change), a writer bit (a mapper changes the
 * page), a lease count (DMA agents using the page) and the state. A mapper takes a page with
 * {@link #acquire} (new leases wait; it waits for the running ones to end), calls the IOMMU, then
 * {@link #release}s the page with its new state. An agent either leases the page ({@link #lease}:
 * the state cannot change until {@link #unlease}, as a correct driver never unmaps a buffer its
 * device still uses) or, racing, takes a {@link #snapshot} before and after its transfer: the
 * outcome is judged only when both are equal ({@link #stable}), i.e. the page kept that state for
 * the whole transfer.
 *
 * <p>The physical address and rights of a page are written by its writer before the release and
 * read after an acquire of the word (a lease or a snapshot), so they belong to that state.
 */
final class Oracle {

    static final int UNMAPPED = 0;
    static final int MAPPED = 1;
    /** released by the DMA API: unmapped, but the IOVA allocator may hand it to any thread now */
    static final int UNKNOWN = 2;

    private static final long STATE_MASK = 3;
    private static final int LEASE_SHIFT = 2;
    private static final long LEASE_ONE = 1L << LEASE_SHIFT;
    private static final long LEASE_MASK = ((1L << 17) - 1) << LEASE_SHIFT;
    private static final long WRITER = 1L << 19;
    private static final int VERSION_SHIFT = 20;

    private final long[] bases;
    private final int[] firstPage;
    private final int pageShift;
    private final int pages;
    private final AtomicLongArray words;
    private final long[] pa;
    private final int[] prot;
    /** the pages most recently mapped, a ring the agents pick from: most of the windows is unmapped at any time */
    private final AtomicIntegerArray recent = new AtomicIntegerArray(1024);
    private final AtomicInteger recentNext = new AtomicInteger();

    /**
     * @param bases     IOVA of each window, ascending
     * @param sizes     bytes of each window
     * @param pageShift log2 of the page size
     */
    Oracle(long[] bases, long[] sizes, int pageShift) {
        this.bases = bases.clone();
        this.pageShift = pageShift;
        this.firstPage = new int[bases.length + 1];
        int n = 0;
        for (int i = 0; i < bases.length; i++) {
            firstPage[i] = n;
            n += (int) (sizes[i] >>> pageShift);
        }
        firstPage[bases.length] = n;
        this.pages = n;
        this.words = new AtomicLongArray(n);
        this.pa = new long[n];
        this.prot = new int[n];
    }

    int pages() {
        return pages;
    }

    /** @return the page index of {@code iova}, or -1 outside every window */
    int page(long iova) {
        for (int i = 0; i < bases.length; i++) {
            long off = iova - bases[i];
            if (off >= 0 && (off >>> pageShift) < firstPage[i + 1] - firstPage[i]) {
                return firstPage[i] + (int) (off >>> pageShift);
            }
        }
        return -1;
    }

    /** @return the IOVA of page {@code p} */
    long iova(int p) {
        int w = bases.length - 1;
        while (firstPage[w] > p) {
            w--;
        }
        return bases[w] + ((long) (p - firstPage[w]) << pageShift);
    }

    // ---- mappers ----

    /** Takes page {@code p} for a change: no new lease, the running ones drained. */
    void acquire(int p) {
        for (int spins = 0;; spins++) {
            long w = words.get(p);
            if ((w & WRITER) == 0 && words.compareAndSet(p, w, w | WRITER)) {
                break;
            }
            backoff(spins);
        }
        for (int spins = 0; (words.get(p) & LEASE_MASK) != 0; spins++) {
            backoff(spins);
        }
    }

    /** Ends a change of page {@code p}: its new state (and where it maps, with which rights). */
    void release(int p, int state, long physical, int rights) {
        pa[p] = physical;
        prot[p] = rights;

        long w = words.get(p);
        // only agents' lease counts could change the word, and none lease while WRITER is set
        words.set(p, (((w >>> VERSION_SHIFT) + 1) << VERSION_SHIFT) | state);
    }

    /** @return the state of page {@code p} as its writer left it (only its writer or a quiet run may ask) */
    int stateOf(int p) {
        return (int) (words.get(p) & STATE_MASK);
    }

    // ---- agents ----

    /** a page a mapper is changing now, for racing agents to aim at (its walks then race the change) */
    private final AtomicInteger hot = new AtomicInteger();

    /** Notes page {@code p} as being changed now. */
    void changing(int p) {
        hot.set(p);
    }

    /** @return a page a mapper was changing not long ago */
    int hot() {
        return hot.get();
    }

    /** Notes page {@code p} as mapped now, for the agents to pick (a few pages of each map are enough). */
    void mappedRecently(int p) {
        recent.set(recentNext.getAndIncrement() & (recent.length() - 1), p);
    }

    /** @return a page mapped not long ago (it may have changed since) */
    int recent(int r) {
        return recent.get(r & (recent.length() - 1));
    }

    /**
     * Leases page {@code p} unless a mapper is changing it: its state then stays until
     * {@link #unlease}. @return the word, or -1 (no lease) while a mapper holds the page
     */
    long tryLease(int p) {
        for (;;) {
            long w = words.get(p);
            if ((w & WRITER) != 0) {
                return -1;
            }
            if (words.compareAndSet(p, w, w + LEASE_ONE)) {
                return w;
            }
        }
    }

    void unlease(int p) {
        words.addAndGet(p, -LEASE_ONE);
    }

    /** @return the word of page {@code p} now, for a racing transfer (leases masked out) */
    long snapshot(int p) {
        return words.get(p) & ~LEASE_MASK;
    }

    /** @return true if the page was in one state, unchanged, for everything between the two snapshots */
    static boolean stable(long before, long after) {
        return before == after && (before & WRITER) == 0;
    }

    static int state(long word) {
        return (int) (word & STATE_MASK);
    }

    /** @return where page {@code p} maps (valid for the state of a word read before) */
    long pa(int p) {
        return pa[p];
    }

    int prot(int p) {
        return prot[p];
    }

    private static void backoff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }
}
