package io.iommulab.api.dto;

/**
 * The flush-queue (lazy, DMA-FQ) exposure of one domain, as the DMA sanitizer measured it: the
 * window from an unmap to the flush that invalidated it, during which the IOTLB may still serve
 * the released IOVA (documented, not a finding).
 *
 * @param domain       domain id
 * @param freed        true if the domain was freed since (its figures are final)
 * @param windows      windows closed by a flush
 * @param open         windows still open (unmapped, not yet flushed)
 * @param maxNs        the longest closed window, ns
 * @param meanNs       the mean closed window, ns
 * @param timeoutNs    the flush queue's timeout (IOVA_FQ_TIMEOUT), ns; 0 if no flush was seen yet
 * @param transactions transactions that got through on an IOVA inside its window
 */
public record FlushQueueDTO(int domain, boolean freed, long windows, long open, long maxNs, long meanNs,
        long timeoutNs, long transactions) {
}
