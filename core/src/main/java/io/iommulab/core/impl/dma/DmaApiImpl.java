package io.iommulab.core.impl.dma;

import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.core.impl.IommuCoreEngine;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * dma-iommu.c without OSGi: DMA devices over the engine's domains, one IOVA cookie per DMA
 * domain, and the flush-queue timer (IOVA_FQ_TIMEOUT, 10 ms by default).
 */
public final class DmaApiImpl implements DmaApi, AutoCloseable {

    /** IOVA_FQ_TIMEOUT in milliseconds */
    public static final long FQ_TIMEOUT_MS = 10;

    private final IommuCoreEngine engine;
    private final long fqTimeoutNs;
    private final ScheduledThreadPoolExecutor timer;
    private final Set<IovaCookie> cookies = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public DmaApiImpl(IommuCoreEngine engine) {
        this(engine, FQ_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    /** @param fqTimeout how long a flush queue may hold IOVAs before it is flushed */
    public DmaApiImpl(IommuCoreEngine engine, long fqTimeout, TimeUnit unit) {
        this.engine = engine;
        this.fqTimeoutNs = unit.toNanos(fqTimeout);
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "iommu-dma-fq");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    IommuCoreEngine engine() {
        return engine;
    }

    /** @return how long a flush queue holds IOVAs at most before its timer flushes it, ns */
    long fqTimeoutNs() {
        return fqTimeoutNs;
    }

    @Override
    public DmaDevice device(String device) {
        if (closed) {
            throw new IommuException(Errno.ENODEV, "the DMA API was stopped");
        }
        // resolves the name and checks it is probed now; each call later looks up the current domain
        engine.currentDomain(device);
        return new DmaDeviceImpl(this, engine.canonicalName(device), engine.isPci(device));
    }

    @Override
    public java.util.List<io.iommulab.api.dto.DmaMappingDTO> mappings() {
        java.util.List<io.iommulab.api.dto.DmaMappingDTO> out = new java.util.ArrayList<>();
        for (DmaDebug.Entry e : engine.dmaDebug().all()) {
            out.add(e.dto());
        }
        return out;
    }

    /**
     * iommu_dma_init_domain for {@code device}: the domain's cookie, with the device's reserved
     * regions taken out of its IOVA space (iova_reserve_iommu_regions; once per device).
     */
    IovaCookie cookie(DomainImpl d, String device) {
        IovaCookie c = cookie(d);
        c.reserveFor(device, () -> engine.resvRegions(device));
        return c;
    }

    /** iommu_get_dma_cookie: the domain's cookie, made on first use. */
    IovaCookie cookie(DomainImpl d) {
        DomainImpl.Cookie c = d.cookie();
        if (c == null) {
            c = d.installCookie(() -> new IovaCookie(this, d));
        }
        if (!(c instanceof IovaCookie ic)) {
            throw new IommuException(Errno.EINVAL, "domain " + d.id() + " carries a cookie of another DMA layer");
        }
        if (ic.api() != this) {
            ic.adopt(this);
        }
        if (cookies.add(ic) && closed) {
            cookies.remove(ic);
        }
        return ic;
    }

    /** @return the flush-queue timer task run at {@code dueNs} (System.nanoTime), or null once the DMA API is stopped */
    ScheduledFuture<?> schedule(Runnable r, long dueNs) {
        if (closed) {
            return null;
        }
        try {
            return timer.schedule(r, dueNs - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    void forget(IovaCookie c) {
        cookies.remove(c);
    }

    /** Drains every flush queue and stops the timer thread. */
    @Override
    public void close() {
        closed = true;
        for (IovaCookie c : cookies) {
            try {
                c.detachTimer();
            } catch (RuntimeException e) {
                // a driver that cannot flush any more keeps its queued IOVAs; nothing else to do here
            }
        }
        cookies.clear();
        timer.shutdownNow();
    }
}
