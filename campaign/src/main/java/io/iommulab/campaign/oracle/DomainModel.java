package io.iommulab.campaign.oracle;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The oracle of one paging domain: which IOVA ranges software mapped, to which physical address,
 * with which rights, and as which leaves (pages or blocks, as {@link PageSizes} splits a map). It
 * is Linux's semantics written down, not the driver's code: a map overlapping a mapping fails with
 * EEXIST and changes nothing; an unmap clears from its start up to the first hole, and never a part
 * of a block. Ranges are kept as runs of equal leaves in a sorted map, so memory stays bounded by
 * what is mapped, never by how many operations ran.
 *
 * <p>A flush-queue (DMA-FQ) domain's released ranges stay {@link #pending} until its queue is
 * flushed: a device may still reach them through its IOTLB meanwhile, which Linux allows.
 */
public final class DomainModel {

    /** Leaves of one size, contiguous in IOVA and physical address, with one protection. */
    public record Run(long iova, long len, long pa, int prot, long pgsize) {
        public long end() {
            return iova + len;
        }
    }

    private final long bitmap;
    private final long minPage;
    private final TreeMap<Long, Run> runs = new TreeMap<>();
    /** released ranges of a flush-queue domain, start to {end, when it was queued}, until a flush covers them */
    private final TreeMap<Long, long[]> pending = new TreeMap<>();
    private long queued;
    private long mappedBytes;

    public DomainModel(long pgsizeBitmap) {
        if (pgsizeBitmap == 0) {
            throw new IllegalArgumentException("a paging domain has page sizes");
        }
        this.bitmap = pgsizeBitmap;
        this.minPage = Long.lowestOneBit(pgsizeBitmap);
    }

    public long bitmap() {
        return bitmap;
    }

    public long minPage() {
        return minPage;
    }

    public long mappedBytes() {
        return mappedBytes;
    }

    public int runCount() {
        return runs.size();
    }

    public Iterable<Run> runs() {
        return runs.values();
    }

    /** @return the run holding {@code iova}, or null */
    public Run lookup(long iova) {
        Map.Entry<Long, Run> e = runs.floorEntry(iova);
        if (e == null || Long.compareUnsigned(iova, e.getValue().end()) >= 0) {
            return null;
        }
        return e.getValue();
    }

    /** @return true if anything is mapped in {@code [iova, iova + size)} */
    public boolean overlaps(long iova, long size) {
        long end = iova + size;
        Map.Entry<Long, Run> e = runs.floorEntry(iova);
        if (e != null && Long.compareUnsigned(e.getValue().end(), iova) > 0) {
            return true;
        }
        Long next = runs.higherKey(iova);
        return next != null && Long.compareUnsigned(next, end) < 0;
    }

    /**
     * Records a map that succeeded, as the leaves Linux splits it into.
     *
     * @throws IllegalStateException if it overlaps (the caller checks {@link #overlaps} first)
     */
    public void map(long iova, long pa, long size, int prot) {
        if (overlaps(iova, size)) {
            throw new IllegalStateException(String.format("map 0x%x+0x%x overlaps", iova, size));
        }
        long cur = iova;
        long curPa = pa;
        long left = size;
        while (left != 0) {
            long pg = PageSizes.pgsize(bitmap, cur, curPa, left);
            long n = PageSizes.pgcount(bitmap, cur, curPa, left, pg) * pg;
            runs.put(cur, new Run(cur, n, curPa, prot, pg));
            cur += n;
            curPa += n;
            left -= n;
        }
        mappedBytes += size;
        dropPending(iova, iova + size);
    }

    /**
     * What an unmap of {@code [iova, iova + size)} may return: the bytes cleared from {@code iova}
     * up to the first hole, where a call of a page size larger than the smallest meets an entry that
     * holds no leaf (a table without mappings left in it): Linux's io-pgtable clears such a table
     * and counts it, a format that frees tables as they empty stops there. Both are right, so each
     * such entry adds the answer that stops there. Sorted ascending; the last is the most.
     */
    public long[] unmapOutcomes(long iova, long size) {
        TreeSet<Long> out = new TreeSet<>();
        long cur = iova;
        long done = 0;
        while (Long.compareUnsigned(done, size) < 0) {
            long left = size - done;
            long pg = PageSizes.pgsize(bitmap, cur, cur, left);
            long count = PageSizes.pgcount(bitmap, cur, cur, left, pg);
            for (long i = 0; i < count; i++) {
                long a = cur + i * pg;
                Run r = lookup(a);
                if (pg == minPage) {
                    if (r == null || r.pgsize() != pg) {
                        // a hole, or part of a block: the driver unmaps nothing more
                        out.add(done + i * pg);
                        return toArray(out);
                    }
                } else if (r != null && r.pgsize() > pg) {
                    out.add(done + i * pg);
                    return toArray(out);
                } else if (r == null || r.pgsize() != pg) {
                    if (!overlaps(a, pg)) {
                        out.add(done + i * pg); // an empty table entry: may stop here, or be cleared
                    }
                }
            }
            done += count * pg;
            cur += count * pg;
        }
        out.add(done);
        return toArray(out);
    }

    private static long[] toArray(TreeSet<Long> s) {
        long[] a = new long[s.size()];
        int i = 0;
        for (long v : s) {
            a[i++] = v;
        }
        return a;
    }

    /**
     * Records an unmap that cleared {@code n} bytes from {@code iova} (one of
     * {@link #unmapOutcomes}): every leaf in the range goes.
     *
     * @param queued true on a flush-queue domain: the range stays {@link #pending} until a flush
     */
    public void unmap(long iova, long n, boolean queued) {
        if (n == 0) {
            return;
        }
        long end = iova + n;
        Map.Entry<Long, Run> first = runs.floorEntry(iova);
        Long from = first != null && Long.compareUnsigned(first.getValue().end(), iova) > 0 ? first.getKey() : iova;
        List<Run> hit = new ArrayList<>();
        for (Iterator<Run> it = runs.tailMap(from, true).values().iterator(); it.hasNext(); ) {
            Run r = it.next();
            if (Long.compareUnsigned(r.iova(), end) >= 0) {
                break;
            }
            hit.add(r);
            it.remove();
        }
        for (Run r : hit) {
            long lo = Math.max(r.iova(), iova);
            long hi = Math.min(r.end(), end);
            if (Long.compareUnsigned(r.iova(), lo) < 0) {
                runs.put(r.iova(), new Run(r.iova(), lo - r.iova(), r.pa(), r.prot(), r.pgsize()));
            }
            if (Long.compareUnsigned(hi, r.end()) < 0) {
                runs.put(hi, new Run(hi, r.end() - hi, r.pa() + (hi - r.iova()), r.prot(), r.pgsize()));
            }
            mappedBytes -= hi - lo;
        }
        if (queued) {
            pending.put(iova, new long[] {end, ++this.queued});
        }
    }

    /** @return true if {@code iova} lies in a range released on a flush-queue domain and not yet flushed */
    public boolean pending(long iova) {
        Map.Entry<Long, long[]> e = pending.floorEntry(iova);
        return e != null && Long.compareUnsigned(iova, e.getValue()[0]) < 0;
    }

    /** The flush queue was flushed: every released range is invalidated. */
    public void flushed() {
        pending.clear();
    }

    /**
     * A new mapping in {@code [from, to)}: IOVAs released there were reused, which the flush queue
     * allows only after a flush, and a flush invalidates the whole domain. So every range queued no
     * later than the reused one is flushed; ranges queued after it may still be pending.
     */
    private void dropPending(long from, long to) {
        if (pending.isEmpty()) {
            return;
        }
        long newest = 0;
        Map.Entry<Long, long[]> e = pending.floorEntry(from);
        if (e != null && Long.compareUnsigned(e.getValue()[0], from) > 0) {
            newest = e.getValue()[1];
        }
        for (long[] v : pending.subMap(from, true, to, false).values()) {
            newest = Math.max(newest, v[1]);
        }
        if (newest == 0) {
            return;
        }
        final long upTo = newest;
        pending.values().removeIf(v -> v[1] <= upTo);
    }

    /**
     * @return the run a {@code RUN} target picks: {@code index} spread over the IOVA span of the
     *         runs, the run there or the next one (wrapping); null when nothing is mapped
     */
    public Run pick(long index) {
        if (runs.isEmpty()) {
            return null;
        }
        long lo = runs.firstKey();
        long span = runs.lastEntry().getValue().end() - lo;
        long at = lo + Long.remainderUnsigned(index, Math.max(1, span));
        Run r = lookup(at);
        if (r != null) {
            return r;
        }
        Map.Entry<Long, Run> next = runs.higherEntry(at);
        return next != null ? next.getValue() : runs.firstEntry().getValue();
    }
}
