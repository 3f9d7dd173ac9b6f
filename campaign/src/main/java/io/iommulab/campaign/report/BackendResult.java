package io.iommulab.campaign.report;

import java.util.List;
import java.util.Map;

/**
 * One backend's run of a campaign on one board.
 *
 * @param board          the board's source (a file, or the booted board's name)
 * @param backend        the backend: the hardware model whose twin of the board ran ({@code apple-dart}, {@code arm-smmu-v2}, ...)
 * @param seed           the seed the operations came from
 * @param variants       the IOMMUs the masters use, each with its first compatible
 * @param ops            operations run (the skipped ones not counted)
 * @param skipped        operations skipped: what they named was not there
 * @param opsPerSecond   operations run per second of the run (the lab's boot and calibration not counted)
 * @param runMs          wall time of the operations
 * @param setupMs        wall time of booting the twin, opening the lab and the calibration
 * @param opsByKind      operations run by name
 * @param errors         expected errors that happened, by errno
 * @param faults         DMA transactions that faulted where the oracle said
 * @param faultsReported of those on a paging domain, the ones the driver reported to the domain's fault handler (all)
 * @param exposures      transactions on IOVAs a flush queue still had pending (either outcome right)
 * @param dmaBytes       bytes moved by DMA and checked
 * @param points         addresses checked through iova_to_phys
 * @param walks          hardware-model walks checked
 * @param liveUpdates    live updates run under the lab
 * @param sanitizerTransactions transactions the lab's DMA sanitizer checked
 * @param pagesBaseline  pages the lab's page allocator held when the operations began (after the calibration)
 * @param pagesAfterFree pages it held once every campaign domain was freed and every DMA-API mapping unmapped
 * @param pagesAfterClose pages it held once the lab was closed (0: every table freed)
 * @param mismatch       the disagreement that stopped the run, null when there was none
 * @param replay         the file with the shrunk operations that replay it, null without a mismatch
 * @param replayOps      how many operations the replay file holds (0 without one)
 * @param shrinkReplays  how many replays shrinking took
 */
public record BackendResult(String board, String backend, long seed, Map<String, String> variants, long ops, long skipped,
        double opsPerSecond, long runMs, long setupMs, Map<String, Long> opsByKind, Map<String, Long> errors, long faults,
        long faultsReported, long exposures, long dmaBytes, long points, long walks, long liveUpdates,
        long sanitizerTransactions, long pagesBaseline, long pagesAfterFree, long pagesAfterClose, MismatchReport mismatch,
        String replay, int replayOps, int shrinkReplays) {

    /** @return 1 with a mismatch, else 0 */
    public int mismatches() {
        return mismatch == null ? 0 : 1;
    }

    /** The disagreement, as the report shows it. */
    public record MismatchReport(long index, String op, String check, String detail, List<String> shrunk) {
    }
}
