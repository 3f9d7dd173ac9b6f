package io.iommulab.machine.master;

import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.machine.BusMonitor;
import io.iommulab.api.machine.StaleTranslation;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine's debug port for a tool on the bus (the DMA sanitizer): masters tell it every
 * transaction, models their stale IOTLB hits. Without a monitor it costs one volatile read.
 */
public final class BusPort implements TranslationCheck {
    private static final Logger LOG = LoggerFactory.getLogger(BusPort.class);

    private volatile BusMonitor monitor;

    /** @return the monitor, or null */
    public BusMonitor monitor() {
        return monitor;
    }

    public void monitor(BusMonitor m) {
        monitor = m;
    }

    @Override
    public boolean enabled() {
        return monitor != null;
    }

    @Override
    public void stale(StaleTranslation stale) {
        BusMonitor m = monitor;
        if (m == null) {
            return;
        }
        try {
            m.staleTranslation(stale);
        } catch (RuntimeException e) {
            failed(stale, e);
        }
    }

    @Override
    public void stale(StaleTranslation stale, BooleanSupplier stillCached) {
        BusMonitor m = monitor;
        if (m == null) {
            return;
        }
        try {
            m.staleTranslation(stale, stillCached);
        } catch (RuntimeException e) {
            failed(stale, e);
        }
    }

    /** A tool's bug must not stop the DMA that tripped it. */
    private static void failed(StaleTranslation stale, RuntimeException e) {
        LOG.error("bus monitor failed on a stale translation of {}: {}", stale.iommu(), e.toString());
    }
}
