package io.iommulab.api.dto;

/**
 * Result of {@code iommu:dma}: what the master moved through the IOMMU hardware.
 *
 * @param device DT path
 * @param op     {@code read} or {@code write}
 * @param iova   first IOVA
 * @param length bytes asked for
 * @param ok     true if every byte moved
 * @param bytes  bytes moved
 * @param data   hex of the bytes read (reads only; at most 256 bytes shown)
 * @param fault  the IOMMU's fault (null when ok)
 */
public record DmaDTO(String device, String op, long iova, long length, boolean ok, long bytes, String data,
        String fault) {
}
