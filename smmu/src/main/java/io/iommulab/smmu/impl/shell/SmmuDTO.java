package io.iommulab.smmu.impl.shell;

/**
 * One probed SMMU as {@code smmu:smmus} lists it.
 *
 * @param node          DT path
 * @param contextBanks  ID1.NUMCB
 * @param banksInUse    banks owned by a domain now
 * @param streamMatching true with SMRs, false with stream indexing
 * @param entries       stream mapping entries (SMRs, or S2CRs indexed by SID)
 * @param streamIdMask  SID bits the SMRs keep
 * @param smrMaskMask   SMR mask bits the SMRs keep
 * @param pageSizes     page sizes of every supported format (ID2.PTFS)
 * @param vaBits        stage-1 input bits (ID2.UBS)
 * @param ipaBits       stage-1 output bits (ID2.IAS)
 * @param scr0          sCR0 as read now
 * @param disableBypass the driver's disable_bypass
 * @param driverBundle  the bundle whose driver code drives it ({@code "io.iommulab.smmu 0.2.0"}), null
 *                      for a driver outside OSGi: after a live update it names the new version
 */
public record SmmuDTO(String node, int contextBanks, int banksInUse, boolean streamMatching, int entries, int streamIdMask,
        int smrMaskMask, long pageSizes, int vaBits, int ipaBits, int scr0, boolean disableBypass, String driverBundle) {

    @Override
    public String toString() {
        return String.format("%s: %d context banks (%d in use), %s %d, SID mask 0x%x, SMR mask 0x%x, page sizes 0x%08x,"
                + " %d-bit VA -> %d-bit IPA, sCR0 0x%08x, disable_bypass %d, driven by %s", node, contextBanks, banksInUse,
                streamMatching ? "SMRs" : "stream indexing, S2CRs", entries, streamIdMask, smrMaskMask, pageSizes, vaBits,
                ipaBits, scr0, disableBypass ? 1 : 0, driverBundle != null ? driverBundle : "a driver outside OSGi");
    }
}
