package io.iommulab.core.impl.sanitize;

import io.iommulab.api.machine.PageAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The memory IOMMU drivers hold: every block they allocate through the page allocator the core
 * hands them ({@code PlatformDevice.pages()}), i.e. their page tables and whatever else an IOMMU
 * keeps in RAM, recorded while it is allocated with the IOMMU whose driver holds it and, for a
 * table, the domain it belongs to. A device must never write there, and nobody may map it for DMA;
 * the DMA sanitizer asks. Recorded whether or not the sanitizer is on (one insert per table page
 * allocated, nothing per transaction), so that turning it on later knows every live table.
 *
 * <p>Which domain: the core runs a domain's driver code (its allocation, attach, map) inside
 * {@link #enter}/{@link #leave} with the domain's {@link DomainTag}, and a block allocated meanwhile
 * on that thread is the domain's. Page-table owner strings cannot tell: each driver makes its own
 * (per domain for apple-dart, per context bank for arm-smmu, per IOMMU for the test IOMMU).
 */
public final class IommuPages {

    /**
     * The domain blocks belong to. Made before the driver allocates the domain (its id is taken only
     * once the core's half of the domain exists), set once.
     */
    public static final class DomainTag {
        private volatile int id = -1;

        /** Called once the domain has its id. */
        public void set(int domainId) {
            id = domainId;
        }

        /** @return the domain's id, -1 while the domain is being made (or was never made) */
        public int id() {
            return id;
        }
    }

    /**
     * One allocated block.
     *
     * @param pa     its physical address
     * @param size   bytes
     * @param owner  the page allocator's owner string the driver gave
     * @param iommu  DT path of the IOMMU whose driver allocated it
     * @param domain the domain whose driver code allocated it, or null (the IOMMU's own memory)
     */
    public record Block(long pa, long size, String owner, String iommu, DomainTag domain) {
    }

    /** blocks by physical address; the allocator's blocks never overlap */
    private final ConcurrentSkipListMap<Long, Block> blocks = new ConcurrentSkipListMap<>();
    private final PageAllocator machinePages;
    /** the domain whose driver code runs on this thread now */
    private final ThreadLocal<DomainTag> current = new ThreadLocal<>();

    public IommuPages(PageAllocator machinePages) {
        this.machinePages = machinePages;
    }

    /** @return the allocator to hand the driver of {@code iommu}: the machine's, with every block recorded while it is allocated */
    public PageAllocator allocator(String iommu) {
        return new Tracking(machinePages, iommu);
    }

    /**
     * Driver code for the domain of {@code tag} runs on this thread from now until {@link #leave}.
     *
     * @return what to give {@link #leave}
     */
    public DomainTag enter(DomainTag tag) {
        DomainTag previous = current.get();
        current.set(tag);
        return previous;
    }

    /** Ends what {@link #enter} began. */
    public void leave(DomainTag previous) {
        if (previous == null) {
            current.remove();
        } else {
            current.set(previous);
        }
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

    /** @return the blocks held now, by physical address */
    public List<Block> blocks() {
        return new ArrayList<>(blocks.values());
    }

    private final class Tracking implements PageAllocator {
        private final PageAllocator inner;
        private final String iommu;

        Tracking(PageAllocator inner, String iommu) {
            this.inner = inner;
            this.iommu = iommu;
        }

        @Override
        public long allocPages(int order, String owner) {
            long pa = inner.allocPages(order, owner);
            blocks.put(pa, new Block(pa, (long) PAGE_SIZE << order, owner, iommu, current.get()));
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
