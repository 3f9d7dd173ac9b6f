package io.iommulab.compare.report;

import java.util.List;

/**
 * One comparison: a workload run on the twin of one board for every backend.
 *
 * @param board       the board's source (file name or "default") and model string
 * @param workload    the workload's name
 * @param backends    one run per backend, in the order they ran
 * @param differences every metric on which the backends disagree
 */
public record Comparison(String board, String workload, List<BackendRun> backends, List<Difference> differences) {
    public Comparison {
        backends = List.copyOf(backends);
        differences = List.copyOf(differences);
    }
}
