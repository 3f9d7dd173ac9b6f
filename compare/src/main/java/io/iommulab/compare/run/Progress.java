package io.iommulab.compare.run;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The comparison's progress lines (which backend runs, each pattern's figures, the fault each
 * backend reported): a logger of their own under {@code io.iommulab.progress}, which the launcher
 * shows on a terminal and keeps quiet in a pipe. What the lines say is in the comparison's result.
 */
final class Progress {

    static final Logger LOG = LoggerFactory.getLogger("io.iommulab.progress.compare");

    private Progress() {
    }
}
