package io.iommulab.api.machine;

import io.iommulab.api.hw.Access;
import java.util.function.BooleanSupplier;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A debug port of the simulated bus, as {@link Machine#hardwareCounters} is: it sees every DMA
 * transaction and every stale IOTLB hit. Real hardware has no such port; drivers never use it, a
 * tool does (the core's DMA sanitizer). Called on the thread doing the DMA; must be quick and must
 * not throw.
 */
@ConsumerType
public interface BusMonitor {

    /**
     * One transaction of a master, after its IOMMU translated it (a longer request is split where a
     * translation's span ends: one call per piece).
     *
     * @param master the master
     * @param stream index into {@link DmaMaster#streams()}
     * @param iova   the address the master issued
     * @param len    bytes of this piece
     * @param access read or write
     * @param paddr  where it went in memory (valid when {@code fault} is null)
     * @param fault  why it did not go through, or null
     */
    void transaction(DmaMaster master, int stream, long iova, int len, Access access, long paddr, String fault);

    /** An IOMMU model served a translation from its IOTLB that the tables and registers no longer give. */
    void staleTranslation(StaleTranslation stale);

    /**
     * As {@link #staleTranslation(StaleTranslation)}, from a model that can tell afterwards whether
     * its IOTLB still holds the entry that served the hit: {@code stillCached} answers false once an
     * invalidation covering it has come after the hit. The hit was then in flight when software
     * invalidated (silicon's TLB sync waits for such a transaction): nothing was left stale for want
     * of an invalidation. Asked when the monitor has looked at what software did (an IOVA's flush
     * queue, say), an invalidation that raced the hit is told apart from one that never came.
     */
    default void staleTranslation(StaleTranslation stale, BooleanSupplier stillCached) {
        staleTranslation(stale);
    }
}
