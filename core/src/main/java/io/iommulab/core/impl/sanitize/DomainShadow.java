package io.iommulab.core.impl.sanitize;

import io.iommulab.api.DomainType;
import io.iommulab.api.dto.FlushQueueDTO;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What software mapped into one paging domain, as the DMA sanitizer keeps it beside the page
 * tables: every iommu_map range still mapped (the DMA API's too), by IOVA and by physical address,
 * and, in a flush-queue domain, the IOVAs unmapped but not yet invalidated (their windows).
 *
 * <p>Readers (the DMA transactions, on any thread) take no lock: the maps are concurrent skip
 * lists, and a writer changes them so that a byte still mapped is covered by some entry at every
 * moment. Writers (map, unmap, flush) hold this object's lock.
 */
public final class DomainShadow {

    /** One range of an iommu_map still mapped (the rest of one, after a partial unmap). */
    record Range(long iova, long pa, long size, int prot) {
        long paOf(long at) {
            return pa + (at - iova);
        }
    }

    /** An unmapped range waiting in the flush queue, since {@code sinceNs}; {@code seq} orders it against flushes. */
    private record Pending(long iova, long size, long sinceNs, long seq) {
    }

    /** beyond this many entries a physical-address look-up gives up (and answers "mapped": no false finding) */
    private static final int SCAN_LIMIT = 4096;

    private final int domain;
    private final DomainType type;
    /** false once the domain is known to map something the shadow never saw (it came on late) */
    private volatile boolean complete = true;
    private final ConcurrentSkipListMap<Long, Range> byIova = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<Long, Range[]> byPa = new ConcurrentSkipListMap<>();
    /** the largest range ever put in byPa: how far below an address a covering range can start */
    private volatile long maxSize;

    private final ConcurrentSkipListMap<Long, Pending> pending = new ConcurrentSkipListMap<>();
    private final AtomicLong unmaps = new AtomicLong();
    private final LongAdder inWindow = new LongAdder();
    // closed windows and the flushes that closed them, under this
    private long windows;
    private long windowSumNs;
    private long windowMaxNs;
    private long flushes;
    private long lateMaxNs;
    private long overdue;
    private volatile long timeoutNs;
    private volatile long lastFlushNs;
    private volatile boolean freed;

    DomainShadow(int domain, DomainType type) {
        this.domain = domain;
        this.type = type;
    }

    /** The domain had mappings before the sanitizer came on: a miss must be asked of the page table. */
    void incomplete() {
        complete = false;
    }

    int domain() {
        return domain;
    }

    DomainType type() {
        return type;
    }

    boolean complete() {
        return complete;
    }

    // ---- readers: no lock ----

    /** @return the range that maps {@code iova}, or null */
    Range covering(long iova) {
        Map.Entry<Long, Range> e = byIova.floorEntry(iova);
        if (e == null) {
            return null;
        }
        Range r = e.getValue();
        return Long.compareUnsigned(iova - r.iova(), r.size()) < 0 ? r : null;
    }

    /** @return true if some IOVA of this domain maps a byte of {@code [pa, pa + len)} (also when it cannot tell) */
    boolean mapsPa(long pa, long len) {
        long floor = pa - maxSize;
        int scanned = 0;
        for (Map.Entry<Long, Range[]> e : byPa.headMap(pa + len, false).descendingMap().entrySet()) {
            if (e.getKey() <= floor) {
                return false;
            }
            for (Range r : e.getValue()) {
                if (r.pa() + r.size() > pa) {
                    return true;
                }
            }
            if (++scanned > SCAN_LIMIT) {
                return true;
            }
        }
        return false;
    }

    /** @return true if {@code iova} was unmapped and waits in the flush queue */
    boolean queued(long iova) {
        Map.Entry<Long, Pending> e = pending.floorEntry(iova);
        return e != null && Long.compareUnsigned(iova - e.getValue().iova(), e.getValue().size()) < 0;
    }

    /** A transaction got through on a queued IOVA: the documented exposure. */
    void exposed() {
        inWindow.increment();
    }

    long lastFlushNs() {
        return lastFlushNs;
    }

    // ---- writers ----

    /** iommu_map succeeded: {@code [iova, iova + size)} maps {@code pa}. */
    synchronized void map(long iova, long pa, long size, int prot) {
        Map.Entry<Long, Range> below = byIova.floorEntry(iova + size - 1);
        if (below != null && below.getKey() + below.getValue().size() > iova) {
            remove(iova, size); // a mapping the shadow has and the driver did not: the driver is right
        }
        Range r = new Range(iova, pa, size, prot);
        addPa(r);
        byIova.put(iova, r);
    }

    /**
     * iommu_unmap released {@code [iova, iova + size)}; with {@code queued} (a flush-queue domain's
     * DMA API) the IOTLB is invalidated later: its window opens now.
     */
    synchronized void unmap(long iova, long size, boolean queued, long now) {
        if (queued) {
            // queued first: a reader that misses the range in byIova finds it here
            Pending old = pending.get(iova);
            pending.put(iova, new Pending(iova, Math.max(size, old != null ? old.size() : 0),
                    old != null ? old.sinceNs() : now, unmaps.incrementAndGet()));
        }
        remove(iova, size);
    }

    /** @return the token a flush that begins now passes to {@link #flushed} */
    long flushBegin() {
        return unmaps.get();
    }

    /**
     * The flush queue flushed the IOTLB (flush_iotlb_all): every range queued before {@code token}
     * is invalidated now, its window closed. The queue's bound: a window lasts at most the timeout
     * plus how late the flush came after the queue's timer was due ({@code timed}: a timer was
     * armed, due at {@code dueNs}); a longer one is overdue (the queue kept an IOVA past its
     * timer, or lost it).
     */
    synchronized void flushed(long token, long now, long queueTimeoutNs, boolean timed, long dueNs) {
        timeoutNs = queueTimeoutNs;
        lastFlushNs = now;
        long late = timed ? Math.max(0, now - dueNs) : 0;
        flushes++;
        lateMaxNs = Math.max(lateMaxNs, late);
        for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.seq() <= token) {
                long w = now - p.sinceNs();
                windows++;
                windowSumNs += w;
                windowMaxNs = Math.max(windowMaxNs, w);
                if (w > queueTimeoutNs + late) {
                    overdue++;
                }
                it.remove();
            }
        }
    }

    void markFreed() {
        freed = true;
    }

    /** @return the flush-queue figures of this domain */
    synchronized FlushQueueDTO flushQueue() {
        return new FlushQueueDTO(domain, freed, windows, pending.size(), windowMaxNs,
                windows == 0 ? 0 : windowSumNs / windows, timeoutNs, inWindow.sum(), flushes, lateMaxNs, overdue);
    }

    /** Forgets the measured windows (the shadow of what is mapped stays). */
    synchronized void clearStats() {
        windows = 0;
        windowSumNs = 0;
        windowMaxNs = 0;
        flushes = 0;
        lateMaxNs = 0;
        overdue = 0;
        inWindow.reset();
    }

    /**
     * Takes {@code [iova, iova + size)} out of the shadow. A range that sticks out keeps the rest:
     * the piece above is put before the old entry is replaced by the piece below (or removed), so a
     * reader finds every byte still mapped at every moment.
     */
    private void remove(long iova, long size) {
        long end = iova + size;
        List<Range> hit = new ArrayList<>();
        Map.Entry<Long, Range> first = byIova.floorEntry(iova);
        if (first != null && first.getKey() + first.getValue().size() > iova) {
            hit.add(first.getValue());
        }
        // floorEntry found a range starting at iova itself; the rest start inside
        hit.addAll(byIova.subMap(iova, false, end, false).values());
        for (Range r : hit) {
            long rEnd = r.iova() + r.size();
            if (rEnd > end) {
                Range above = new Range(end, r.paOf(end), rEnd - end, r.prot());
                addPa(above);
                byIova.put(end, above);
            }
            if (r.iova() < iova) {
                Range below = new Range(r.iova(), r.pa(), iova - r.iova(), r.prot());
                addPa(below);
                byIova.put(r.iova(), below);
            } else {
                byIova.remove(r.iova(), r);
            }
            removePa(r);
        }
    }

    private void addPa(Range r) {
        Range[] at = byPa.get(r.pa());
        Range[] now = at == null ? new Range[] {r} : Arrays.copyOf(at, at.length + 1);
        now[now.length - 1] = r;
        byPa.put(r.pa(), now);
        if (r.size() > maxSize) {
            maxSize = r.size();
        }
    }

    private void removePa(Range r) {
        Range[] at = byPa.get(r.pa());
        if (at == null) {
            return;
        }
        for (int i = 0; i < at.length; i++) {
            if (at[i] == r) {
                if (at.length == 1) {
                    byPa.remove(r.pa(), at);
                } else {
                    Range[] now = new Range[at.length - 1];
                    System.arraycopy(at, 0, now, 0, i);
                    System.arraycopy(at, i + 1, now, i, at.length - i - 1);
                    byPa.put(r.pa(), now);
                }
                return;
            }
        }
    }
}
