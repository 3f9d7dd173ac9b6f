package io.iommulab.smmu.impl;

/**
 * What arm_smmu_device_cfg_probe learnt from ID0/ID1/ID2 (dart-facts §4.2): the parts of struct
 * arm_smmu_device that never change after probe.
 *
 * @param features          ARM_SMMU_FEAT_* bits ({@link #FEAT_TRANS_S1} ...)
 * @param numMappingGroups  SMRs (stream matching) or S2CRs indexed by SID (stream indexing)
 * @param streamIdMask      SID bits ID0.NUMSIDB allows (before the SMR probe narrows it)
 * @param pgshift           register page shift (12 or 16, ID1.PAGESIZE)
 * @param numPage           NUMPAGE: global pages, and the page of context bank 0
 * @param numContextBanks   ID1.NUMCB
 * @param numS2ContextBanks ID1.NUMS2CB (banks that can only do stage 2; stage-1 banks follow them)
 * @param vaSize            upstream bus size in bits (ID2.UBS): the stage-1 input size
 * @param ipaSize           ID2.IAS in bits: the stage-1 output size
 * @param paSize            ID2.OAS in bits
 * @param pgsizeBitmap      page sizes of every supported format (ID2.PTFS_*)
 */
public record SmmuParams(int features, int numMappingGroups, int streamIdMask, int pgshift, int numPage, int numContextBanks,
        int numS2ContextBanks, int vaSize, int ipaSize, int paSize, long pgsizeBitmap) {

    public static final int FEAT_COHERENT_WALK = 1;
    public static final int FEAT_STREAM_MATCH = 1 << 1;
    public static final int FEAT_TRANS_S1 = 1 << 2;
    public static final int FEAT_TRANS_S2 = 1 << 3;
    public static final int FEAT_TRANS_NESTED = 1 << 4;
    public static final int FEAT_TRANS_OPS = 1 << 5;
    public static final int FEAT_VMID16 = 1 << 6;
    public static final int FEAT_FMT_AARCH64_4K = 1 << 7;
    public static final int FEAT_FMT_AARCH64_16K = 1 << 8;
    public static final int FEAT_FMT_AARCH64_64K = 1 << 9;
    public static final int FEAT_FMT_AARCH32_L = 1 << 10;
    public static final int FEAT_FMT_AARCH32_S = 1 << 11;
    public static final int FEAT_EXIDS = 1 << 12;
    public static final int FEAT_FMT_AARCH64 = FEAT_FMT_AARCH64_4K | FEAT_FMT_AARCH64_16K | FEAT_FMT_AARCH64_64K;

    public boolean has(int feature) {
        return (features & feature) != 0;
    }

    /** @return true with SMRs, false with stream indexing (ID0.SMS) */
    public boolean streamMatching() {
        return has(FEAT_STREAM_MATCH);
    }
}
