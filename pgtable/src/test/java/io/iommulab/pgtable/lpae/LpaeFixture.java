package io.iommulab.pgtable.lpae;

import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.TlbFlushOps;
import io.iommulab.machine.memory.PageAllocatorImpl;
import io.iommulab.machine.memory.SparseMemory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Memory, allocator and recording flush callbacks for the LPAE tests, plus an independent
 * descriptor walker (written from the architecture's index arithmetic, not from the format code).
 */
final class LpaeFixture {

    static final long RAM_BASE = 0x8000_0000L;
    static final long RAM_SIZE = 64L << 20;
    static final String OWNER = "arm-lpae-s1:test";

    final SparseMemory memory;
    final PageAllocatorImpl pages;
    final FlushRecorder flush = new FlushRecorder();
    final PageTableContext ctx;
    final ArmLpaeS1Format format = new ArmLpaeS1Format();

    LpaeFixture() {
        this(RAM_SIZE);
    }

    LpaeFixture(long ramSize) {
        RamRegion region = new RamRegion(RAM_BASE, ramSize);
        memory = new SparseMemory(List.of(region));
        pages = new PageAllocatorImpl(memory, List.of(region));
        ctx = new PageTableContext(memory, pages, OWNER, flush);
    }

    ArmLpaeS1PageTable alloc(long bitmap, int ias, int oas) {
        return format.alloc(PageTableConfig.of(bitmap, ias, oas), ctx);
    }

    /**
     * Reads the descriptor that translates {@code iova} at {@code level}, walking table pointers
     * from TTBR0; returns -1 if the walk stops (empty or leaf) above that level.
     */
    long entry(ArmLpaeS1PageTable ops, long iova, int level) {
        LpaeS1Geometry g = ops.geometry();
        int bpl = g.pgShift() - 3;
        int va = g.config().ias() - g.pgShift();
        int levels = (va + bpl - 1) / bpl;
        int start = 4 - levels;
        int topBits = va - bpl * (levels - 1);
        long table = ops.state().ttbrs()[0];
        for (int l = start; ; l++) {
            int shift = (4 - l) * bpl + 3;
            long idx = (iova >>> shift) & ((1L << (l == start ? topBits : bpl)) - 1);
            long e = memory.read64(table + idx * 8);
            if (l == level) {
                return e;
            }
            if ((e & 3) != 3) {
                return -1;
            }
            table = e & (((1L << 48) - 1) & -(1L << g.pgShift()));
        }
    }

    /** Records every flush callback in order. */
    static final class FlushRecorder implements TlbFlushOps {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void tlbFlushAll() {
            calls.add("all");
        }

        @Override
        public void tlbFlushWalk(long iova, long size, long granule) {
            calls.add(String.format("walk 0x%x 0x%x 0x%x", iova, size, granule));
        }

        @Override
        public void tlbAddPage(IotlbGather gather, long iova, long granule) {
            calls.add(String.format("page 0x%x 0x%x", iova, granule));
            TlbFlushOps.super.tlbAddPage(gather, iova, granule);
        }

        long count(String prefix) {
            synchronized (calls) {
                return calls.stream().filter(c -> c.startsWith(prefix)).count();
            }
        }
    }

    /** The shared test gather. */
    static final class Gather extends io.iommulab.pgtable.TestGather {
    }
}
