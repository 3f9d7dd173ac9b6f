package io.iommulab.api.machine;

/**
 * The outcome of one DMA request of a master: the bytes moved, or the fault that ended it.
 *
 * @param ok     true if every byte was moved
 * @param bytes  bytes moved before the end (all of them when ok)
 * @param data   for reads, the bytes read ({@code bytes} long); for writes, empty
 * @param fault  decoded fault text from the IOMMU model, null when ok
 * @param iommu  path of the IOMMU that faulted, null when ok
 * @param sid    stream id of the faulting transaction, -1 when ok
 * @param iova   IOVA of the faulting transaction, 0 when ok
 */
public record DmaResult(boolean ok, long bytes, byte[] data, String fault, String iommu, int sid, long iova) {
}
