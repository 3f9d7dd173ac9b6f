package io.iommulab.itest;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.IommuService;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A control-path call made while a driver is between its old code and its new one, or while the
 * page-table code its domains need is away: on its own thread, a domain allocation for a master
 * (iommu_domain_alloc), freed again. It has to wait in the core until the new code has taken over,
 * then succeed. (The domain is not attached: that would take the master off the mappings its DMA
 * runs through.)
 */
final class WaitingCall {

    private final IommuService iommu;
    private final String master;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean done;

    private WaitingCall(IommuService iommu, String master) {
        this.iommu = iommu;
        this.master = master;
        this.thread = new Thread(() -> {
            try {
                run(iommu);
            } catch (RuntimeException | AssertionError e) {
                failure.set(e);
            } finally {
                done = true;
            }
        }, "itest-waiting-call " + master);
        thread.setDaemon(true);
    }

    /** Starts the call on its own thread. */
    static WaitingCall start(IommuService iommu, String master) {
        WaitingCall c = new WaitingCall(iommu, master);
        c.thread.start();
        return c;
    }

    private void run(IommuService iommu) {
        IommuDomain d = iommu.domainAlloc(master, DomainType.UNMANAGED);
        try {
            if (d.type() != DomainType.UNMANAGED || d.pgsizeBitmap() == 0) {
                throw new AssertionError("allocated for " + master + ": domain " + d.id() + " " + d.type() + ", page sizes 0x"
                        + Long.toHexString(d.pgsizeBitmap()));
            }
        } finally {
            d.free();
        }
    }

    /** @return true while the call waits in the core for the live update (the only call the core counts as waiting) */
    boolean waitingInCore() {
        return !done && iommu.waitingCalls() == 1;
    }

    /** @return true once the call returned or failed */
    boolean done() {
        return done;
    }

    /** Waits for the call to end; it must have succeeded. */
    void join() throws InterruptedException {
        thread.join(Container.TIMEOUT_MS);
        if (!done) {
            throw new AssertionError(this + " did not end");
        }
        if (failure.get() != null) {
            throw new AssertionError(this + " failed instead of waiting: " + failure.get(), failure.get());
        }
    }

    @Override
    public String toString() {
        return "domain allocation for " + master + " (thread " + thread.getState() + ", done " + done + ")";
    }
}
