package io.iommulab.api.hw;

import io.iommulab.api.machine.BusMonitor;
import io.iommulab.api.machine.StaleTranslation;
import java.util.function.BooleanSupplier;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a model uses to let a DMA sanitizer see stale IOTLB hits. While {@link #enabled()} (one
 * volatile read, so it costs nothing when off), a model checks each IOTLB hit against memory and
 * its registers (the leaf entry it was filled from, the table base it walked) and reports a hit
 * that no longer matches; the transaction still uses the stale entry, as silicon would. What such
 * a check does apart from the architecture (the read of the leaf, the comparison with a fresh walk,
 * the report) is {@code io.iommulab.lib.hw.IotlbHitCheck}. Implemented by the machine.
 */
@ProviderType
public interface TranslationCheck {

    /** @return true while a sanitizer watches */
    boolean enabled();

    /** Reports a stale hit (the model has done a fresh walk for {@link StaleTranslation#currentPa}). */
    void stale(StaleTranslation stale);

    /**
     * Reports a stale hit with a way to ask the IOTLB, at any time after, whether it still holds
     * the entry that served the hit ({@link BusMonitor#staleTranslation(StaleTranslation, BooleanSupplier)}).
     *
     * @since 1.2
     */
    default void stale(StaleTranslation stale, BooleanSupplier stillCached) {
        stale(stale);
    }
}
