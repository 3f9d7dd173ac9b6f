package io.iommulab.api.hw;

import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/** A hardware model of one IOMMU instance: its registers, its walker, its IOTLB, its error unit. */
@ConsumerType
public interface IommuModel {

    /**
     * Translates one DMA transaction the way the silicon does: decide blocked/bypass/translate from
     * the stream's registers, consult the IOTLB, walk the tables in memory on a miss, check
     * permissions. On failure latch the error registers, raise the interrupt and return a fault.
     *
     * @param sid    stream id the master issued the transaction on
     * @param iova   input address
     * @param access read or write
     */
    Translation translate(int sid, long iova, Access access);

    /**
     * The model's own walk for stream {@code sid} at {@code iova}, as {@link #translate} would do it
     * on an IOTLB miss, from the registers and the tables in memory as they are now: bypass, blocked
     * or disabled streams as their registers say, the tables walked otherwise. A look for a tool
     * (the simulator's debug port {@link io.iommulab.api.machine.Machine#hardwareWalk}, which a
     * differential test compares with what software mapped), never a transaction: the IOTLB is
     * neither read nor filled, nothing is counted, no error is latched, no interrupt raised.
     *
     * @return what the walk gives; null when the model offers no such walk
     * @since 1.3
     */
    default TableWalk walk(int sid, long iova) {
        return null;
    }

    /** @return counters worth showing (IOTLB hits/misses, walks, faults, invalidations) */
    default Map<String, Long> counters() {
        return Map.of();
    }

    /**
     * The IOTLB's live entries, for tools (the machine's debug port): per stream for a cache per
     * stream, oldest first within a cache. Reading them changes nothing (no replacement state, no
     * counter). Models without an IOTLB, or that do not show it, give none.
     *
     * @since 1.4
     */
    default List<IotlbEntry> iotlbEntries() {
        return List.of();
    }
}
