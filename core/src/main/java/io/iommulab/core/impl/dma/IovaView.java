package io.iommulab.core.impl.dma;

import io.iommulab.api.dto.IovaDomainDTO;
import io.iommulab.api.dto.IovaRangeDTO;
import io.iommulab.api.dto.IovaRcacheDTO;
import io.iommulab.core.impl.iova.IovaAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What {@code dma:iova} shows of a DMA domain's IOVA space: the allocator's tree from its first to its
 * last granule, each range as a DMA-API mapping, a flush queue or an rcache holds it (or as a
 * reservation), the free holes between, and the caches of freed ranges. Reads only.
 */
final class IovaView {

    private IovaView() {
    }

    static IovaDomainDTO of(String device, IovaCookie c) {
        IovaAllocator a = c.iovad;
        int shift = a.shift();
        // the queue first: a range flushed meanwhile then shows as cached or free, never as both
        Set<Long> queued = c.queuedPfns();
        List<IovaRangeDTO> ranges = new ArrayList<>();
        long[] bytes = new long[5]; // allocated, queued, cached, reserved, free
        long next = a.startPfn();
        for (IovaAllocator.Range r : a.ranges()) {
            if (r.firstPfn() > next) {
                add(ranges, bytes, next, r.firstPfn() - next, shift, 4);
            }
            int kind = r.reserved() ? 3 : r.cached() ? 2 : queued.contains(r.firstPfn()) ? 1 : 0;
            add(ranges, bytes, r.firstPfn(), r.pages(), shift, kind);
            next = r.firstPfn() + r.pages();
        }
        if (next <= a.endPfn()) {
            add(ranges, bytes, next, a.endPfn() - next + 1, shift, 4);
        }
        List<IovaRcacheDTO> rcaches = new ArrayList<>();
        int[] counts = a.rcacheCounts();
        for (int order = 0; order < counts.length; order++) {
            rcaches.add(new IovaRcacheDTO(a.granule() << order, counts[order], IovaAllocator.rcacheDepth()));
        }
        return new IovaDomainDTO(device, c.domain.id(), c.domain.typeName(), a.granule(), a.startPfn() << shift,
                ((a.endPfn() + 1) << shift) - 1, bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], c.flushes(), ranges,
                rcaches);
    }

    private static final String[] KINDS = {"allocated", "queued", "cached", "reserved", "free"};

    private static void add(List<IovaRangeDTO> out, long[] bytes, long pfn, long pages, int shift, int kind) {
        out.add(new IovaRangeDTO(pfn << shift, pages << shift, KINDS[kind]));
        bytes[kind] += pages << shift;
    }
}
