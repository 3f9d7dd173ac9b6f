package io.iommulab.core.impl.sanitize;

import io.iommulab.api.machine.PageAllocator;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The memory IOMMU drivers hold: every block they allocate through the page allocator the core
 * hands them ({@code PlatformDevice.pages()}), i.e. their page tables and whatever else an IOMMU
 * keeps in RAM, recorded while it is allocated. A device must never write there, and nobody may
 * map it for DMA; the DMA sanitizer asks. Recorded whether or not the sanitizer is on (one insert
 * per table page allocated, nothing per transaction), so that turning it on later knows every
 * live table.
 */
public final class IommuPages {

    /** One allocated block. */
    public record Block(long pa, long size, String owner) {
    }

    /** blocks by physical address; the allocator's blocks never overlap */
    private final ConcurrentSkipListMap<Long, Block> blocks = new ConcurrentSkipListMap<>();
    private final PageAllocator allocator;

    public IommuPages(PageAllocator machinePages) {
        this.allocator = new Tracking(machinePages);
    }

    /** @return the allocator to hand drivers: the machine's, with every block recorded while it is allocated */
    public PageAllocator allocator() {
        return allocator;
    }

    /** @return the live block overlapping {@code [pa, pa + len)}, or null */
    public Block overlapping(long pa, long len) {
        Map.Entry<Long, Block> e = blocks.floorEntry(pa + len - 1);
        if (e == null) {
            return null;
        }
        Block b = e.getValue();
        return pa - b.pa() < b.size() ? b : null;
    }

    /** @return blocks held now */
    public int count() {
        return blocks.size();
    }

    private final class Tracking implements PageAllocator {
        private final PageAllocator inner;

        Tracking(PageAllocator inner) {
            this.inner = inner;
        }

        @Override
        public long allocPages(int order, String owner) {
            long pa = inner.allocPages(order, owner);
            blocks.put(pa, new Block(pa, (long) PAGE_SIZE << order, owner));
            return pa;
        }

        @Override
        public void freePages(long pa) {
            // out of the record first: once freed, the allocator may hand the block to someone else
            Block b = blocks.remove(pa);
            try {
                inner.freePages(pa);
            } catch (RuntimeException e) {
                if (b != null) {
                    blocks.put(pa, b); // not freed after all (EINVAL: not a block of the allocator)
                }
                throw e;
            }
        }

        @Override
        public long pagesInUse() {
            return inner.pagesInUse();
        }

        @Override
        public Map<String, Long> pagesByOwner() {
            return inner.pagesByOwner();
        }
    }
}
