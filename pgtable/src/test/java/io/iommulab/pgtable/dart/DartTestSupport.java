package io.iommulab.pgtable.dart;

import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.TlbFlushOps;
import io.iommulab.machine.memory.PageAllocatorImpl;
import io.iommulab.machine.memory.SparseMemory;
import java.util.List;

/** RAM, allocator and context for DART table tests. */
final class DartTestSupport {

    final RamRegion ram;
    final SparseMemory memory;
    final PageAllocatorImpl allocator;
    final RecordingFlush flush = new RecordingFlush();
    final PageTableContext ctx;

    DartTestSupport(long base, long size) {
        ram = new RamRegion(base, size);
        memory = new SparseMemory(List.of(ram));
        allocator = new PageAllocatorImpl(memory, List.of(ram));
        ctx = new PageTableContext(memory, allocator, "apple-dart:test", flush);
    }

    /** RAM below 2^36 for DART1 */
    static DartTestSupport dart1() {
        return new DartTestSupport(0x8_0000_0000L, 64L << 20);
    }

    /** RAM at 2^40 for DART2 (addresses only DART2 can encode) */
    static DartTestSupport dart2() {
        return new DartTestSupport(0x100_0000_0000L, 64L << 20);
    }

    static final class RecordingFlush implements TlbFlushOps {
        int flushAll;
        int addPage;
        long lastIova = -1;
        long lastSize;

        @Override
        public synchronized void tlbFlushAll() {
            flushAll++;
        }

        @Override
        public synchronized void tlbAddPage(IotlbGather gather, long iova, long granule) {
            addPage++;
            lastIova = iova;
            lastSize = granule;
            if (gather != null) {
                gather.add(iova, granule);
            }
        }
    }

    /** The shared test gather. */
    static final class Gather extends io.iommulab.pgtable.TestGather {
    }
}
