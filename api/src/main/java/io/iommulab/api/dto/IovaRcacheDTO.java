package io.iommulab.api.dto;

/**
 * One size class of the IOVA allocator's caches of freed ranges (iova.c's rcaches).
 *
 * @param size     bytes of each range it holds
 * @param cached   ranges it holds now
 * @param capacity ranges it can hold
 */
public record IovaRcacheDTO(long size, int cached, int capacity) {
}
