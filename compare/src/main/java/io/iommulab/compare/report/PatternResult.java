package io.iommulab.compare.report;

/**
 * One workload pattern on one backend. An "op" is one map plus its unmap (a buffer, or a whole
 * scatter-gather list), with the device's DMA in between; costs are hardware counter deltas of
 * every IOMMU the pattern's devices use, divided by the ops.
 *
 * @param name               the pattern's name in the workload
 * @param kind               {@code stream}, {@code sg} or {@code random}
 * @param devices            masters the pattern ran on
 * @param ops                map/unmap pairs done
 * @param bytes              bytes mapped over all ops
 * @param mmioReadsPerOp     register reads per op
 * @param mmioWritesPerOp    register writes per op
 * @param invalidationsPerOp TLB invalidation commands per op
 * @param walksPerOp         table walks per op
 * @param iotlbHitRate       hits / (hits + misses) of the DMA transactions, NaN when there were none
 * @param opsPerSecond       map+DMA+unmap pairs per second of wall time
 * @param mibPerSecond       mapped MiB per second of wall time
 * @param verifiedBytes      bytes whose DMA data was checked against the buffer
 * @param dataErrors         DMA transfers that faulted or returned wrong data (0 on a correct backend)
 * @param peakPageTableBytes the most page-table bytes in use during the pattern
 */
public record PatternResult(String name, String kind, java.util.List<String> devices, long ops, long bytes,
        double mmioReadsPerOp, double mmioWritesPerOp, double invalidationsPerOp, double walksPerOp,
        double iotlbHitRate, double opsPerSecond, double mibPerSecond, long verifiedBytes, long dataErrors,
        long peakPageTableBytes) {
    public PatternResult {
        devices = java.util.List.copyOf(devices);
    }
}
