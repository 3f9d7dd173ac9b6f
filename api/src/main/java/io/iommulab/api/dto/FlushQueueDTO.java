package io.iommulab.api.dto;

/**
 * The flush-queue (lazy, DMA-FQ) exposure of one domain, as the DMA sanitizer measured it: the
 * window from an unmap to the flush that invalidated it, during which the IOTLB may still serve
 * the released IOVA (documented, not a finding). The queue's bound: a window lasts at most the
 * timeout plus how late the host ran the queue's timer, so {@code maxNs <= timeoutNs + lateMaxNs}
 * and {@code overdue} is 0 on a correct queue.
 *
 * @param domain       domain id
 * @param freed        true if the domain was freed since (its figures are final)
 * @param windows      windows closed by a flush
 * @param open         windows still open (unmapped, not yet flushed)
 * @param maxNs        the longest closed window, ns
 * @param meanNs       the mean closed window, ns
 * @param timeoutNs    the flush queue's timeout (IOVA_FQ_TIMEOUT), ns; 0 if no flush was seen yet
 * @param transactions transactions that got through on an IOVA inside its window
 * @param flushes      the queue's flushes (flush_iotlb_all: its timer's, a full queue's, a drain's)
 * @param lateMaxNs    the most a flush came after the queue's timer was due (the timeout after
 *                     the unmap that armed it), ns: the host running the timer late, not the queue
 * @param overdue      windows longer than the timeout plus the lateness of the flush that closed
 *                     them: IOVAs the queue kept past its timer (0 on a correct queue)
 */
public record FlushQueueDTO(int domain, boolean freed, long windows, long open, long maxNs, long meanNs,
        long timeoutNs, long transactions, long flushes, long lateMaxNs, long overdue) {
}
