package io.iommulab.core.impl.shell;

import io.iommulab.api.FaultHandler;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.klib.RateLimit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The domain fault handler {@code iommu:faulthandler} installs (iommu_set_fault_handler): it handles
 * every fault reported on its domain (returns 0 in Linux's terms, so the core records it as handled)
 * and counts it; in {@code log} mode it also logs each one as a warning, rate-limited as dev_err_ratelimited.
 */
final class ShellFaultHandler implements FaultHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ShellFaultHandler.class);

    private final boolean log;
    private final AtomicLong handled = new AtomicLong();
    private final RateLimit limit = new RateLimit(System::nanoTime);

    ShellFaultHandler(boolean log) {
        this.log = log;
    }

    String mode() {
        return log ? "log" : "count";
    }

    long handled() {
        return handled.get();
    }

    @Override
    public boolean onFault(IommuDomain domain, FaultDTO f) {
        handled.incrementAndGet();
        // a warning, as drivers' handlers print faults (dev_err_ratelimited): the user asked to see them, --quiet too
        if (log && limit.ratelimit(n -> LOG.warn("domain {}: fault handler: {} callbacks suppressed", domain.id(), n))) {
            LOG.warn("domain {}: fault handler: {} {} fault at IOVA 0x{} ({} sid {}, status 0x{}: {}), handled", domain.id(),
                    f.device() != null ? f.device() : "unknown device", f.access(), Long.toHexString(f.iova()), f.iommu(),
                    f.sid(), Long.toHexString(f.status()), f.reason());
        }
        return true;
    }
}
