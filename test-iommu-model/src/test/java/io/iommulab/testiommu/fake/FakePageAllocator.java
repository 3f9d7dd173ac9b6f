package io.iommulab.testiommu.fake;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.PhysicalMemory;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/** Order-0 page allocator over a RAM range, with accounting and injectable exhaustion. */
public final class FakePageAllocator implements PageAllocator {

    private final PhysicalMemory memory;
    private long next;
    private final long end;
    private final ArrayDeque<Long> freeList = new ArrayDeque<>();
    private final Map<Long, String> allocated = new HashMap<>();
    /** Allocations left before ENOMEM; negative for unlimited. */
    private int budget = -1;

    public FakePageAllocator(PhysicalMemory memory, long base, long size) {
        this.memory = memory;
        this.next = base;
        this.end = base + size;
    }

    /** The next {@code n} allocations succeed, the ones after fail with ENOMEM. */
    public synchronized void failAfter(int n) {
        budget = n;
    }

    @Override
    public synchronized long allocPages(int order, String owner) {
        if (order != 0) {
            throw new IommuException(Errno.EINVAL, "test allocator supports order 0 only, not " + order);
        }
        if (budget == 0 || (freeList.isEmpty() && next >= end)) {
            throw new IommuException(Errno.ENOMEM, "out of pages for " + owner);
        }
        if (budget > 0) {
            budget--;
        }
        long pa = freeList.isEmpty() ? nextPage() : freeList.pop();
        memory.fill(pa, PAGE_SIZE, (byte) 0);
        allocated.put(pa, owner);
        return pa;
    }

    private long nextPage() {
        long pa = next;
        next += PAGE_SIZE;
        return pa;
    }

    @Override
    public synchronized void freePages(long pa) {
        if (allocated.remove(pa) == null) {
            throw new IommuException(Errno.EINVAL, "0x" + Long.toHexString(pa) + " is not an allocated block");
        }
        // Poison the freed page so that a use after free reads garbage, not zeros.
        memory.fill(pa, PAGE_SIZE, (byte) 0x5a);
        freeList.push(pa);
    }

    @Override
    public synchronized long pagesInUse() {
        return allocated.size();
    }

    @Override
    public synchronized Map<String, Long> pagesByOwner() {
        Map<String, Long> out = new HashMap<>();
        allocated.values().forEach(o -> out.merge(o, 1L, Long::sum));
        return out;
    }
}
