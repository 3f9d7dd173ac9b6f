package io.iommulab.smmu.impl;

import java.util.Arrays;

/**
 * struct arm_smmu_master_cfg plus the master's fwspec IDs (dart-facts §4.3): the one SMMU a master
 * is behind, the (SID, mask) pair of every specifier in DT order as of_xlate packed them, and the
 * stream-map entry each one got ({@link #INVALID_SMENDX} until probe_device allocated it). Kept as
 * the master's private data (dev_iommu_priv). Written by of_xlate and probe_device, which the core
 * runs under its lock; later only read.
 *
 * <p>Fields: {@code smmu} the instance of the first specifier; {@code sids}/{@code masks} the IDs
 * (kept as given, so that probe_device can name values beyond 16 bits); {@code smendx} the entries.
 */
final class MasterCfg {

    /** INVALID_SMENDX */
    static final int INVALID_SMENDX = -1;

    final SmmuInstance smmu;
    int[] sids = new int[0];
    int[] masks = new int[0];
    int[] smendx = new int[0];

    MasterCfg(SmmuInstance smmu) {
        this.smmu = smmu;
    }

    /** iommu_fwspec_add_ids for one specifier */
    void addId(int sid, int mask) {
        int n = sids.length;
        sids = Arrays.copyOf(sids, n + 1);
        masks = Arrays.copyOf(masks, n + 1);
        smendx = Arrays.copyOf(smendx, n + 1);
        sids[n] = sid;
        masks[n] = mask;
        smendx[n] = INVALID_SMENDX;
    }

    /** @return fwspec->num_ids */
    int numIds() {
        return sids.length;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(smmu.node()).append(" ids [");
        for (int i = 0; i < sids.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format("0x%x/0x%x->%d", sids[i], masks[i], smendx[i]));
        }
        return sb.append(']').toString();
    }
}
