package io.iommulab.pgtable.conformance;

import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.TlbFlushOps;
import io.iommulab.machine.memory.PageAllocatorImpl;
import io.iommulab.machine.memory.SparseMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One machine for one check: 4 GiB of RAM at 0x8_0000_0000 (where the M1 puts it), a real buddy
 * allocator over it, and flush callbacks that record what the format asked for. Each check gets
 * its own so that the allocator baseline and the flush log belong to that check alone.
 */
final class Fixture {

    static final long RAM_BASE = 0x8_0000_0000L;
    static final long RAM_SIZE = 1L << 32;

    final SparseMemory memory;
    final PageAllocatorImpl pages;
    final RecordingFlush flush = new RecordingFlush();
    final String owner;
    final PageTableContext ctx;
    /** allocator pages in use before the table was allocated */
    final long baseline;

    Fixture(String owner) {
        List<RamRegion> ram = List.of(new RamRegion(RAM_BASE, RAM_SIZE));
        this.memory = new SparseMemory(ram);
        this.pages = new PageAllocatorImpl(memory, ram);
        this.owner = owner;
        this.ctx = new PageTableContext(memory, pages, owner, flush);
        this.baseline = pages.pagesInUse();
    }

    /** @return bytes the allocator has handed out since the fixture was made */
    long allocatedBytes() {
        return (pages.pagesInUse() - baseline) * io.iommulab.api.machine.PageAllocator.PAGE_SIZE;
    }

    /** @return allocator pages held under this fixture's owner tag */
    long ownerPages() {
        return pages.pagesByOwner().getOrDefault(owner, 0L);
    }

    /** Flush callbacks that count and log (thread-safe: the concurrency check unmaps from 4 threads). */
    static final class RecordingFlush implements TlbFlushOps {
        final AtomicLong flushAll = new AtomicLong();
        final AtomicLong flushWalk = new AtomicLong();
        private final List<long[]> added = new ArrayList<>();

        @Override
        public void tlbFlushAll() {
            flushAll.incrementAndGet();
        }

        @Override
        public void tlbFlushWalk(long iova, long size, long granule) {
            flushWalk.incrementAndGet();
        }

        @Override
        public void tlbAddPage(IotlbGather gather, long iova, long granule) {
            synchronized (added) {
                added.add(new long[] {iova, granule});
            }
            if (gather != null) {
                gather.add(iova, granule);
            }
        }

        /** @return the (iova, granule) pairs added since the last call, and forgets them */
        List<long[]> drainAdded() {
            synchronized (added) {
                List<long[]> out = new ArrayList<>(added);
                added.clear();
                return out;
            }
        }
    }

    /** The shared test gather. */
    static final class Gather extends io.iommulab.pgtable.TestGather {
    }
}
