package io.iommulab.api.dto;

import java.util.List;

/**
 * The IOVA allocator of a device's DMA domain ({@code dma:iova}): struct iova_domain and the flush
 * queue of its DMA cookie.
 *
 * @param device     DT path of the device asked about
 * @param domain     domain id
 * @param domainType DMA or DMA-FQ
 * @param granule    the allocation unit in bytes (the domain's smallest page size)
 * @param start      first IOVA the allocator hands out
 * @param end        last IOVA it hands out
 * @param allocated  bytes held by DMA-API mappings
 * @param queued     bytes unmapped but waiting in the flush queue
 * @param cached     bytes parked in the rcaches
 * @param reserved   bytes of reserved regions
 * @param free       bytes free
 * @param flushes    flushes of the flush queue so far (0 for a strict domain)
 * @param ranges     the whole space from {@code start} to {@code end} in address order: every allocated,
 *                   queued, cached and reserved run and the free holes between them
 * @param rcaches    the caches of freed ranges, smallest size first
 */
public record IovaDomainDTO(String device, int domain, String domainType, long granule, long start, long end,
        long allocated, long queued, long cached, long reserved, long free, long flushes, List<IovaRangeDTO> ranges,
        List<IovaRcacheDTO> rcaches) {
}
