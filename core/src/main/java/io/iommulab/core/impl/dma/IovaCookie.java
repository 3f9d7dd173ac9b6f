package io.iommulab.core.impl.dma;

import io.iommulab.api.driver.ReservedRegion;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.core.impl.iova.IovaAllocator;
import io.iommulab.core.impl.sanitize.DomainShadow;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * struct iommu_dma_cookie of one DMA domain: its IOVA allocator and, for DMA_FQ domains, the
 * flush queue that defers IOTLB invalidation and the reuse of freed IOVAs.
 */
final class IovaCookie implements DomainImpl.Cookie {

    private static final Logger LOG = LoggerFactory.getLogger(IovaCookie.class);
    /** IOVA_DEFAULT_FQ_SIZE */
    static final int FQ_SIZE = 256;

    /** the DMA API instance whose timer serves this queue; a restarted DMA API adopts the cookie */
    private volatile DmaApiImpl api;
    final DomainImpl domain;
    final IovaAllocator iovad;
    final long granule;
    private final long dma32Pfn;
    /** devices whose reserved regions are already taken out of this domain's IOVA space */
    private final java.util.Set<String> reservedFor = java.util.concurrent.ConcurrentHashMap.newKeySet();

    // flush queue, guarded by fqLock
    private final Object fqLock = new Object();
    private final long[] fqPfn = new long[FQ_SIZE];
    private final long[] fqPages = new long[FQ_SIZE];
    private int fqCount;
    /** the timer armed for what is queued, until its flush has run */
    private ScheduledFuture<?> fqTimer;
    /** when fqTimer is due: IOVA_FQ_TIMEOUT after the unmap that armed it began */
    private long fqDueNs;
    private long fqFlushes;
    private boolean destroyed;

    IovaCookie(DmaApiImpl api, DomainImpl domain) {
        this.api = api;
        this.domain = domain;
        this.granule = domain.minPageSize();
        long start = Math.max(granule, domain.geometry().apertureStart());
        this.iovad = IovaAllocator.forRange(granule, start, domain.geometry().apertureEnd());
        this.dma32Pfn = Math.min(iovad.endPfn(), 0xffff_ffffL >>> iovad.shift());
    }

    /**
     * iommu_dma_alloc_iova: a PCI device tries below 4 GiB first (to keep SAC addresses), then
     * anywhere in the aperture.
     *
     * @return IOVA (bytes)
     */
    long allocIova(long size, boolean pci) {
        long pages = size >>> iovad.shift();
        if (pci && dma32Pfn < iovad.endPfn() && dma32Pfn >= iovad.startPfn()) {
            long pfn = iovad.allocFast(pages, dma32Pfn, false);
            if (pfn != 0) {
                return pfn << iovad.shift();
            }
        }
        return iovad.allocFast(pages, iovad.endPfn()) << iovad.shift();
    }

    /**
     * iova_reserve_iommu_regions, once per device: every reserved region except direct mappings
     * (which a DMA domain maps 1:1 elsewhere) is kept out of IOVA allocation.
     */
    void reserveFor(String device, java.util.function.Supplier<java.util.List<ReservedRegion>> regions) {
        if (reservedFor.contains(device)) {
            return;
        }
        synchronized (reservedFor) {
            if (reservedFor.contains(device)) {
                return;
            }
            for (ReservedRegion r : regions.get()) {
                if (r.type() == ReservedRegion.Type.DIRECT || r.type() == ReservedRegion.Type.DIRECT_RELAXABLE
                        || r.length() <= 0) {
                    continue;
                }
                try {
                    iovad.reserve(r.start() >>> iovad.shift(), (r.start() + r.length() - 1) >>> iovad.shift());
                } catch (IommuException e) {
                    // another device of the domain already uses part of it (it joined the domain's DMA
                    // use earlier); Linux reserves at attach time, before any allocation
                    LOG.warn("domain {}: reserved region of {} not kept out of the IOVA space: {}", domain.id(), device,
                            e.getMessage());
                }
                LOG.debug("domain {}: IOVA 0x{}+0x{} reserved for {} ({})", domain.id(), Long.toHexString(r.start()),
                        Long.toHexString(r.length()), device, r.type());
            }
            reservedFor.add(device);
        }
    }

    /** iommu_dma_free_iova, strict: the IOVA range is free again now. */
    void freeIova(long iova, long size) {
        iovad.freeFast(iova >>> iovad.shift(), size >>> iovad.shift());
    }

    /**
     * iommu_dma_free_iova, lazy (queue_iova): the range becomes free after the next IOTLB flush.
     * An empty queue arms the timer, due IOVA_FQ_TIMEOUT after {@code unmapNs} (when the unmap
     * began, so the unmap's own time counts against the timeout too): no IOVA stays exposed
     * longer than the timeout plus however late the host runs the timer.
     */
    void queueIova(long iova, long size, long unmapNs) {
        long pfn = iova >>> iovad.shift();
        long pages = size >>> iovad.shift();
        synchronized (fqLock) {
            if (destroyed) {
                iovad.freeFast(pfn, pages);
                return;
            }
            if (fqCount == FQ_SIZE) {
                flushLocked();
            }
            fqPfn[fqCount] = pfn;
            fqPages[fqCount] = pages;
            fqCount++;
            if (fqTimer == null) {
                long due = unmapNs + api.fqTimeoutNs();
                fqTimer = api.schedule(this::timeout, due);
                if (fqTimer == null) {
                    flushLocked(); // no timer any more (DMA API stopped): behave as strict
                } else {
                    fqDueNs = due;
                }
            }
        }
    }

    private void timeout() {
        synchronized (fqLock) {
            try {
                if (fqCount > 0 && !destroyed) {
                    flushLocked();
                }
            } finally {
                fqTimer = null; // after the flush, which is the timer's own; a failed one is retried by the next queued IOVA
            }
        }
    }

    /** Drains the flush queue now: one flush_iotlb_all, then the queued IOVAs become reusable. */
    void flush() {
        synchronized (fqLock) {
            if (fqCount > 0) {
                flushLocked();
            }
        }
    }

    private void flushLocked() {
        DomainShadow shadow = domain.shadow();
        long token = shadow != null ? api.engine().dmaSanitizer().flushBegin(shadow) : 0;
        try {
            domain.ops().flushIotlbAll();
        } catch (RuntimeException e) {
            // the IOVAs stay queued: reusing them before the IOTLB is clean would let stale entries hit
            LOG.warn("domain {}: flush_iotlb_all failed, {} IOVA ranges stay queued: {}", domain.id(), fqCount, e.getMessage());
            throw e;
        }
        fqFlushes++;
        if (shadow != null) {
            // the windows of what was queued before this flush close here, before the IOVAs are
            // reused; while a timer is armed, a flush past its due time is the timer running late
            api.engine().dmaSanitizer().flushed(shadow, token, api.fqTimeoutNs(), fqTimer != null, fqDueNs);
        }
        for (int i = 0; i < fqCount; i++) {
            iovad.freeFast(fqPfn[i], fqPages[i]);
        }
        fqCount = 0;
    }

    /** @return the first pfns of the ranges waiting in the flush queue */
    java.util.Set<Long> queuedPfns() {
        synchronized (fqLock) {
            java.util.Set<Long> out = new java.util.HashSet<>();
            for (int i = 0; i < fqCount; i++) {
                out.add(fqPfn[i]);
            }
            return out;
        }
    }

    int queued() {
        synchronized (fqLock) {
            return fqCount;
        }
    }

    long flushes() {
        synchronized (fqLock) {
            return fqFlushes;
        }
    }

    /** Every range the allocator holds (reservations and ranges parked in its caches excluded). */
    @Override
    public void forEachMapping(DomainImpl.RangeVisitor visitor) {
        iovad.forEachAllocated((pfn, pages) -> visitor.range(pfn << iovad.shift(), pages << iovad.shift()));
    }

    /** iommu_put_dma_cookie: the domain is being freed; flush what is queued so the hardware is clean. */
    @Override
    public void destroy() {
        synchronized (fqLock) {
            // flushed before the timer is cancelled: a flush past the timer's due time is the timer's lateness
            if (fqCount > 0) {
                try {
                    flushLocked();
                } catch (IommuException e) {
                    fqCount = 0;
                }
            }
            cancelTimer();
            destroyed = true;
        }
        api.forget(this);
    }

    void adopt(DmaApiImpl newApi) {
        api = newApi;
    }

    DmaApiImpl api() {
        return api;
    }

    /** The DMA API goes away: drain the queue now and stop using its timer. */
    void detachTimer() {
        synchronized (fqLock) {
            try {
                if (fqCount > 0) {
                    flushLocked();
                }
            } finally {
                cancelTimer();
            }
        }
    }

    private void cancelTimer() {
        if (fqTimer != null) {
            fqTimer.cancel(false);
            fqTimer = null;
        }
    }
}
