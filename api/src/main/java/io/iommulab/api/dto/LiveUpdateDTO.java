package io.iommulab.api.dto;

import java.util.List;

/**
 * One live update: a driver's next version took over running IOMMUs (or could not, and the state
 * was released and probed again), or a driver moved its live domains to a new page-table format.
 *
 * @param driver          the driver's name
 * @param from            the bundle the old code came from ({@code "io.iommulab.dart 0.2.0.SNAPSHOT"}), or null
 * @param to              the bundle of the new code, or null
 * @param iommus          DT paths of the instances taken over
 * @param adopted         true if the new code adopted the running state; false if it fell back to
 *                        removing and probing again
 * @param reason          why it fell back (null when adopted)
 * @param fromRecord      instances whose new code took the state over from the old code's record
 *                        (a record it knows: one of an unknown version is handed over, not used)
 * @param fromHardware    instances whose new code read the state from the hardware (no record, or
 *                        one it does not know); neither for a page-table swap, whose instances
 *                        keep their drivers
 * @param domains         domains taken over (with their ids, IOVA allocators, DMA-API mappings and fault handlers)
 * @param mappings        pages mapped in them
 * @param verified        DMA-API pages the new code translates to the same physical address as the old did
 * @param mismatches      DMA-API pages it translates differently (0 when all is well)
 * @param blackoutNs      how long map, unmap and iova_to_phys of the domains were held back
 * @param longestWaitNs   the longest any call waited for the new code: map, unmap and iova_to_phys
 *                        at the swap, attach and domain allocation from the old code leaving
 * @param callsWaited     control-path calls (domain allocation, attach, detach, free) that waited
 *                        for the new code from the old code leaving
 * @param faultsDuringSwap faults reported from the old code leaving to the new code running
 * @param atNs            when it happened (ns since the core started)
 */
public record LiveUpdateDTO(String driver, String from, String to, List<String> iommus, boolean adopted, String reason,
        int fromRecord, int fromHardware, int domains, long mappings, long verified, long mismatches, long blackoutNs,
        long longestWaitNs, int callsWaited, long faultsDuringSwap, long atNs) {

    public LiveUpdateDTO {
        iommus = List.copyOf(iommus);
    }

    /** The form of 1.1, before the source of each takeover and the waiting calls were reported: both 0. */
    public LiveUpdateDTO(String driver, String from, String to, List<String> iommus, boolean adopted, String reason,
            int fromRecord, int domains, long mappings, long verified, long mismatches, long blackoutNs, long longestWaitNs,
            long faultsDuringSwap, long atNs) {
        this(driver, from, to, iommus, adopted, reason, fromRecord, 0, domains, mappings, verified, mismatches, blackoutNs,
                longestWaitNs, 0, faultsDuringSwap, atNs);
    }
}
