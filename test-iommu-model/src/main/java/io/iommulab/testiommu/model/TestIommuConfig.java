package io.iommulab.testiommu.model;

import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.ModelOptions;
import java.util.Set;

/**
 * The strapping of one test-iommu instance, decoded from its model options.
 *
 * @param streams       NUM_STREAMS (option {@code streams}, default 8, 1..255)
 * @param bypass        BYPASS_SUPPORT (option {@code bypass}, default true)
 * @param locked        CONFIG.LOCK (option {@code locked}, default false)
 * @param busyStuck     CMD.BUSY never clears (option {@code busy-stuck}, default false)
 * @param iotlbEntries  IOTLB entries per stream (option {@code iotlb-entries}, default 64, 1..4096)
 */
record TestIommuConfig(int streams, boolean bypass, boolean locked, boolean busyStuck, int iotlbEntries) {

    private static final Set<String> KNOWN = Set.of("streams", "bypass", "locked", "busy-stuck", "iotlb-entries");

    /**
     * Decodes options; an unusable value or an unknown key is a board error (as for every model: a
     * misspelt option must not leave the hardware other than the board says).
     *
     * @throws IommuException EINVAL naming the node, the option and the value
     */
    static TestIommuConfig from(ModelOptions options) {
        options.requireKnown(KNOWN);
        return new TestIommuConfig(
                options.integer("streams", 8, 1, TestIommuRegs.MAX_STREAMS),
                options.bool("bypass", true),
                options.bool("locked", false),
                options.bool("busy-stuck", false),
                options.integer("iotlb-entries", 64, 1, 4096));
    }
}
