package io.iommulab.core.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.FaultHandler;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.sanitize.DomainShadow;
import io.iommulab.core.impl.sanitize.IommuPages;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * struct iommu_domain: the driver's {@link DomainOps} behind the core's checks. map/unmap follow
 * __iommu_map/__iommu_unmap of iommu.c: alignment to the smallest page size, splitting by
 * iommu_pgsize(), undo of a partial map, iotlb gather and sync. Map and unmap take no lock; the
 * driver serialises what it must for overlapping page-table updates.
 */
public final class DomainImpl implements IommuDomain {

    /** What the DMA API hangs on a domain (struct iommu_dma_cookie); destroyed before the domain is freed. */
    public interface Cookie {
        void destroy();

        /** Visits the IOVA ranges the DMA API has handed out (a live update checks them under the new code). */
        default void forEachMapping(RangeVisitor visitor) {
        }
    }

    /** One IOVA range. */
    @FunctionalInterface
    public interface RangeVisitor {
        void range(long iova, long size);
    }

    private final IommuCoreEngine engine;
    private final int id;
    private final DomainType type;
    /** the driver and its ops change only in a live update, while the gate is paused */
    private volatile IommuDriver driver;
    private final String driverName;
    private volatile DomainOps ops;
    private final long pgsizeBitmap;
    private final DomainGeometry geometry;
    private final long minPageSize;
    private final boolean userAllocated;
    private final LongAdder mappedBytes = new LongAdder();
    private volatile FaultHandler faultHandler;
    private volatile Cookie cookie;
    /** null while the domain is usable; why it is not once freed */
    private volatile String freedReason;
    private final OpsGate gate = new OpsGate();
    /** what the driver allocates while it runs for this domain is this domain's (its page tables) */
    private final IommuPages.DomainTag tag;
    /** what software mapped, while the DMA sanitizer is on (null when off: map and unmap then skip it) */
    private volatile DomainShadow shadow;

    DomainImpl(IommuCoreEngine engine, int id, DomainType type, IommuDriver driver, DomainOps ops, boolean userAllocated,
            IommuPages.DomainTag tag) {
        this.engine = engine;
        this.id = id;
        this.tag = tag;
        tag.set(id);
        this.type = type;
        this.driver = driver;
        this.driverName = driver.name();
        this.ops = ops;
        this.userAllocated = userAllocated;
        if (type.isPaging()) {
            long bitmap = ops.pgsizeBitmap();
            DomainGeometry geo = ops.geometry();
            if (bitmap == 0) {
                throw new IommuException(Errno.EINVAL, "driver " + driverName + " returned a paging domain with an empty page-size bitmap");
            }
            if (geo == null) {
                throw new IommuException(Errno.EINVAL, "driver " + driverName + " returned a paging domain without an aperture");
            }
            this.pgsizeBitmap = bitmap;
            this.geometry = geo;
            this.minPageSize = Long.lowestOneBit(bitmap);
        } else {
            this.pgsizeBitmap = 0;
            this.geometry = null;
            this.minPageSize = 0;
        }
        ops.domainInit(id, type);
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public DomainType type() {
        return type;
    }

    @Override
    public String driver() {
        return driverName;
    }

    IommuDriver driverService() {
        return driver;
    }

    /** @return the driver's domain ops (for the DMA API's flush queue) */
    public DomainOps ops() {
        return ops;
    }

    boolean userAllocated() {
        return userAllocated;
    }

    @Override
    public long pgsizeBitmap() {
        return pgsizeBitmap;
    }

    /** @return the smallest page size (the IOVA granule), 0 for identity/blocked */
    public long minPageSize() {
        return minPageSize;
    }

    @Override
    public DomainGeometry geometry() {
        return geometry;
    }

    public long mappedBytes() {
        return mappedBytes.sum();
    }

    public boolean isFreed() {
        return freedReason != null;
    }

    /** @return the handler iommu_set_fault_handler set, or null */
    public FaultHandler faultHandler() {
        return faultHandler;
    }

    @Override
    public void setFaultHandler(FaultHandler handler) {
        faultHandler = handler;
    }

    public Cookie cookie() {
        return cookie;
    }

    /** Installs the DMA API's cookie once (iommu_get_dma_cookie); @return the cookie in place */
    public synchronized Cookie installCookie(java.util.function.Supplier<? extends Cookie> factory) {
        checkUsable();
        if (cookie == null) {
            cookie = factory.get();
        }
        return cookie;
    }

    private void checkUsable() {
        String why = freedReason;
        if (why != null) {
            throw new IommuException(Errno.ENODEV, "domain " + id + " was freed (" + why + ")");
        }
    }

    private void checkPaging(String op) {
        checkUsable();
        if (!type.isPaging()) {
            throw new IommuException(Errno.EINVAL, "domain " + id + " is " + typeName() + "; " + op + " needs a paging domain");
        }
    }

    /** @return the type as Linux prints it (DMA, DMA-FQ, identity, blocked, unmanaged) */
    public String typeName() {
        return IommuCoreEngine.typeName(type);
    }

    @Override
    public void map(long iova, long paddr, long size, int prot) {
        enter("map");
        IommuPages.DomainTag previous = engine.pageRecord().enter(tag);
        try {
            mapInside(iova, paddr, size, prot);
        } finally {
            engine.pageRecord().leave(previous);
            gate.leave();
        }
    }

    /** attach_dev: the driver's attach, which may make the domain's tables (finalise) on its first device. */
    void attachDev(io.iommulab.api.driver.IommuMaster m) {
        IommuPages.DomainTag previous = engine.pageRecord().enter(tag);
        try {
            ops.attachDev(m);
        } finally {
            engine.pageRecord().leave(previous);
        }
    }

    private void mapInside(long iova, long paddr, long size, int prot) {
        if ((prot & (Prot.READ | Prot.WRITE)) == 0) {
            throw new IommuException(Errno.EINVAL, "prot 0x" + Integer.toHexString(prot) + " of the map at IOVA 0x"
                    + Long.toHexString(iova) + " grants neither read nor write");
        }
        if (size == 0) {
            throw new IommuException(Errno.EINVAL, "map of size 0 at IOVA 0x" + Long.toHexString(iova) + " in domain " + id);
        }
        long mask = minPageSize - 1;
        if ((iova & mask) != 0) {
            throw unaligned("IOVA", iova);
        }
        if ((paddr & mask) != 0) {
            throw unaligned("physical address", paddr);
        }
        if ((size & mask) != 0) {
            throw unaligned("size", size);
        }
        if (!geometry.contains(iova, size)) {
            throw new IommuException(Errno.ERANGE, "IOVA 0x" + Long.toHexString(iova) + " size 0x" + Long.toHexString(size)
                    + " is outside the aperture 0x" + Long.toHexString(geometry.apertureStart()) + "-0x"
                    + Long.toHexString(geometry.apertureEnd()) + " of domain " + id);
        }
        long mapped = 0;
        boolean inMapPages = false;
        try {
            long curIova = iova;
            long curPa = paddr;
            long left = size;
            while (left != 0) {
                long pgsize = pgsize(pgsizeBitmap, curIova, curPa, left);
                long count = pgcount(pgsizeBitmap, curIova, curPa, left, pgsize);
                inMapPages = true;
                long got = ops.mapPages(curIova, curPa, pgsize, count, prot);
                inMapPages = false;
                if (got <= 0 || Long.compareUnsigned(got, pgsize * count) > 0) {
                    // a driver that reports no progress (or more than asked) would loop forever
                    throw new IommuException(Errno.ENOMEM, "driver " + driverName + " reported 0x" + Long.toHexString(got)
                            + " bytes mapped of 0x" + Long.toHexString(pgsize * count) + " at IOVA 0x"
                            + Long.toHexString(curIova) + " in domain " + id);
                }
                mapped += got;
                curIova += got;
                curPa += got;
                left -= got;
            }
            ops.iotlbSyncMap(iova, size);
        } catch (RuntimeException e) {
            long partial = inMapPages && e instanceof IommuException ie ? ie.partialBytes() : 0;
            long undo = mapped + partial;
            if (undo != 0) {
                // iommu_map's unroll: what went in comes out, existing mappings stay as they were
                GatherImpl g = new GatherImpl(this, false);
                unmapPages(iova, undo, g);
                g.sync();
            }
            throw e;
        }
        mappedBytes.add(size);
        engine.traceRing().map(id, iova, paddr, size);
        DomainShadow s = shadow;
        if (s != null) {
            engine.dmaSanitizer().mapped(this, s, iova, paddr, size, prot);
        }
    }

    private IommuException unaligned(String what, long value) {
        return new IommuException(Errno.EINVAL, what + " 0x" + Long.toHexString(value)
                + " is not aligned to the minimum page size 0x" + Long.toHexString(minPageSize) + " of domain " + id);
    }

    @Override
    public long unmap(long iova, long size) {
        return unmap(iova, size, new GatherImpl(this, false));
    }

    /**
     * iommu_unmap / iommu_unmap_fast: unmaps with {@code gather}; syncs it unless it is queued (the
     * DMA API's flush queue invalidates later).
     */
    public long unmap(long iova, long size, GatherImpl gather) {
        enter("unmap");
        try {
            return unmapInside(iova, size, gather);
        } finally {
            gate.leave();
        }
    }

    private long unmapInside(long iova, long size, GatherImpl gather) {
        if (size == 0) {
            throw new IommuException(Errno.EINVAL, "unmap of size 0 at IOVA 0x" + Long.toHexString(iova) + " in domain " + id);
        }
        long mask = minPageSize - 1;
        if ((iova & mask) != 0) {
            throw unaligned("IOVA", iova);
        }
        if ((size & mask) != 0) {
            throw unaligned("size", size);
        }
        long n = unmapPages(iova, size, gather);
        DomainShadow s = shadow;
        if (s != null && n != 0) {
            // released from here on: a transaction that still gets through is DMA after unmap
            engine.dmaSanitizer().unmapped(s, iova, n, gather.queued());
        }
        if (!gather.queued()) {
            gather.sync();
        }
        mappedBytes.add(-n);
        engine.traceRing().unmap(id, iova, size, n);
        return n;
    }

    /** __iommu_unmap's loop: stops at the first hole (unmap_pages returned 0) */
    private long unmapPages(long iova, long size, GatherImpl gather) {
        long unmapped = 0;
        long cur = iova;
        while (Long.compareUnsigned(unmapped, size) < 0) {
            long left = size - unmapped;
            long pgsize = pgsize(pgsizeBitmap, cur, cur, left);
            long count = pgcount(pgsizeBitmap, cur, cur, left, pgsize);
            long n = ops.unmapPages(cur, pgsize, count, gather);
            if (n <= 0) {
                break;
            }
            cur += n;
            unmapped += n;
        }
        return unmapped;
    }

    @Override
    public long iovaToPhys(long iova) {
        checkUsable();
        switch (type) {
            case IDENTITY: return iova;
            case BLOCKED: return 0;
            default:
                enter("iova_to_phys");
                try {
                    return ops.iovaToPhys(iova);
                } finally {
                    gate.leave();
                }
        }
    }

    /**
     * iova_to_phys for the DMA sanitizer, on the thread of a DMA transaction: never waits.
     *
     * @return the physical address, 0 if not mapped, -1 if it cannot tell now (freed, not paging,
     *         paused by a live update, or the driver failed)
     */
    public long softwareTranslation(long iova) {
        if (freedReason != null || !type.isPaging() || !gate.tryEnter()) {
            return -1;
        }
        try {
            return ops.iovaToPhys(iova);
        } catch (RuntimeException e) {
            return -1;
        } finally {
            gate.leave();
        }
    }

    /** @return the DMA sanitizer's shadow of this domain, or null while it is off */
    public DomainShadow shadow() {
        return shadow;
    }

    /** Set by the DMA sanitizer (under the engine's lock). */
    public void setShadow(DomainShadow s) {
        shadow = s;
    }

    /** Checks the domain is a live paging domain and enters its gate (waiting out a live update); the caller leaves. */
    private void enter(String op) {
        checkPaging(op);
        if (!gate.enter(engine.config().liveUpdateTimeoutNs())) {
            checkUsable(); // freed meanwhile: ENODEV with the reason
            throw new IommuException(Errno.ETIMEDOUT, "domain " + id + ": " + op + " waited "
                    + engine.config().liveUpdateTimeoutNs() / 1_000_000 + " ms for a live update of driver "
                    + driverName + " to finish");
        }
    }

    // ---- live update: the code behind the domain changes, the domain stays ----

    /** Holds map, unmap and iova_to_phys back and waits for those running to finish. */
    void pause() {
        gate.pause();
    }

    /**
     * Lets map, unmap and iova_to_phys continue (on whatever ops the domains have now): every
     * domain's gate opened first, which ends the blackout; {@link #wakeAll} then wakes the calls that
     * waited, so that a woken thread taking the CPU cannot keep later domains paused.
     */
    static void resumeAll(List<DomainImpl> domains) {
        for (DomainImpl d : domains) {
            d.gate.open();
        }
    }

    /** Wakes the calls that waited at each domain's pause, after {@link #resumeAll}. */
    static void wakeAll(List<DomainImpl> domains) {
        for (DomainImpl d : domains) {
            d.gate.wakeWaiters();
        }
    }

    /** @return and reset the longest time a call waited at a pause, in ns */
    long takeLongestWaitNs() {
        return gate.takeLongestWaitNs();
    }

    /**
     * Checks that {@code newOps} can take this domain over: the page-size bitmap and aperture must
     * stay what they were (the IOVA allocator and every mapping depend on them). A live update
     * checks every domain before it pauses any, so that {@link #rebind} inside the blackout only
     * swaps (the first compare of a record may link its equals, milliseconds on a cold JVM).
     *
     * @throws IommuException EINVAL if the new ops describe another domain
     */
    void checkRebind(DomainOps newOps) {
        if (type.isPaging() && (newOps.pgsizeBitmap() != pgsizeBitmap || !java.util.Objects.equals(newOps.geometry(), geometry))) {
            throw new IommuException(Errno.EINVAL, String.format(
                    "domain %d: the new driver's ops have page sizes 0x%x and aperture %s, the domain has 0x%x and %s",
                    id, newOps.pgsizeBitmap(), newOps.geometry(), pgsizeBitmap, geometry));
        }
    }

    /**
     * The domain's driver and ops become the new driver's; only while paused, with ops that
     * passed {@link #checkRebind} (or the ops it had before).
     */
    void rebind(IommuDriver newDriver, DomainOps newOps) {
        newOps.domainInit(id, type);
        this.driver = newDriver;
        this.ops = newOps;
    }

    @Override
    public void free() {
        engine.freeDomain(this);
    }

    /** Releases the page tables (paging domains); the static identity/blocked ops stay with the driver. */
    void destroy(String why) {
        if (freedReason != null) {
            return;
        }
        Cookie c;
        synchronized (this) {
            c = cookie;
            cookie = null;
        }
        try {
            if (c != null) {
                c.destroy();
            }
        } finally {
            freedReason = why;
            // the cookie's own unmaps are done; no map may run while the tables go
            gate.close();
            if (type.isPaging()) {
                ops.free();
            }
        }
    }

    /**
     * iommu_pgsize(): the largest supported page size that fits the remaining {@code size} and the
     * alignment of both addresses. The campaign's oracle has the same lines (campaign.oracle.PageSizes)
     * on purpose: an oracle that called the code it judges would agree with its bugs.
     */
    static long pgsize(long bitmap, long iova, long paddr, long size) {
        long pgsizes = bitmap & genmask(63 - Long.numberOfLeadingZeros(size));
        long addrMerge = iova | paddr;
        if (addrMerge != 0) {
            pgsizes &= genmask(Long.numberOfTrailingZeros(addrMerge));
        }
        if (pgsizes == 0) {
            throw new IllegalStateException("no page size of bitmap 0x" + Long.toHexString(bitmap) + " fits IOVA 0x"
                    + Long.toHexString(iova) + " pa 0x" + Long.toHexString(paddr) + " size 0x" + Long.toHexString(size));
        }
        return Long.highestOneBit(pgsizes);
    }

    /**
     * iommu_pgsize()'s count: pages of {@code pgsize} up to the next boundary of the next larger
     * supported size when the rest would fit such a page, else as many as fit.
     */
    static long pgcount(long bitmap, long iova, long paddr, long size, long pgsize) {
        long bigger = bitmap & ~(pgsize | (pgsize - 1));
        if (bigger != 0) {
            long next = Long.lowestOneBit(bigger);
            if (((iova ^ paddr) & (next - 1)) == 0) {
                long offset = next - ((iova | paddr) & (next - 1));
                if (Long.compareUnsigned(offset + next, size) <= 0) {
                    size = offset;
                }
            }
        }
        return size >>> Long.numberOfTrailingZeros(pgsize);
    }

    private static long genmask(int high) {
        return high >= 63 ? -1L : (1L << (high + 1)) - 1;
    }

    @Override
    public String toString() {
        return "domain " + id + " (" + typeName() + ", " + driverName + ")";
    }
}
