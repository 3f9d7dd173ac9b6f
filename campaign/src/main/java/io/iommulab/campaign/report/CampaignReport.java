package io.iommulab.campaign.report;

import java.util.List;

/**
 * A campaign: every backend's run on every board, with one seed.
 *
 * @param schema     {@code iommulab.campaign/1}
 * @param seed       the seed
 * @param opsPerRun  operations asked of each backend on each board (0 for a replay)
 * @param replayOf   the replay file this report is of, null for a campaign
 * @param runs       one per board and backend
 * @param mismatches runs that ended in a mismatch
 */
public record CampaignReport(String schema, long seed, long opsPerRun, String replayOf, List<BackendResult> runs,
        long mismatches) {

    public static final String SCHEMA = "iommulab.campaign/1";

    public CampaignReport {
        runs = List.copyOf(runs);
    }
}
