package io.iommulab.compare.report;

import java.util.List;

/**
 * One comparison: a workload run on the twin of one board for every backend.
 *
 * @param board       the board's source (file name or "default") and model string
 * @param workload    the workload's name
 * @param backends    one run per backend, in the order they ran
 * @param differences every metric on which the backends disagree
 * @param nodes       every node path of the board, so that the short names pictures and cells show
 *                    are unique over the whole tree and not just among the nodes the runs list (a
 *                    disabled die-1 twin of a master still makes the master's name ambiguous);
 *                    not a result, so the JSON report leaves it out (it has full paths throughout)
 */
public record Comparison(String board, String workload, List<BackendRun> backends, List<Difference> differences,
        List<String> nodes) {
    public Comparison {
        backends = List.copyOf(backends);
        differences = List.copyOf(differences);
        nodes = List.copyOf(nodes);
    }

    /** A comparison whose short names are unique among the nodes its runs name. */
    public Comparison(String board, String workload, List<BackendRun> backends, List<Difference> differences) {
        this(board, workload, backends, differences, List.of());
    }
}
