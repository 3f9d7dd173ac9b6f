package io.iommulab.api.dto;

/**
 * A run of a DMA domain's IOVA space ({@link IovaDomainDTO#ranges}).
 *
 * @param start first IOVA
 * @param size  bytes
 * @param kind  {@code allocated} (a DMA-API mapping holds it), {@code queued} (unmapped, waiting in the flush queue
 *              for the IOTLB flush before it is free), {@code cached} (freed into an rcache: reused first, still
 *              held by the allocator), {@code reserved} (a reserved region, never handed out) or {@code free}
 */
public record IovaRangeDTO(long start, long size, String kind) {
}
