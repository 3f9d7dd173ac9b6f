package io.iommulab.smmu.impl;

import io.iommulab.api.machine.MmioWindow;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import io.iommulab.testkit.MmioRecordingDriver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration registers of every SMMU of a board, read through the machine (not through a
 * driver): sCR0, every SMR and S2CR, every bank's CBAR and CBA2R, and the bank registers that decide
 * translation (SCTLR, TCR2, TTBR0/1, TCR, MAIR0/1). Command and status registers (TLBI, sync, FSR)
 * are not configuration. A live update must leave these as they were and write none of them with
 * another value.
 *
 * @param values byte offset in reg[0] → value, per SMMU path
 */
record SmmuRegisters(Map<String, Map<Long, Integer>> values) {

    private static final int[] BANK_REGS = {SmmuRegs.CB_SCTLR, SmmuRegs.CB_TCR2, SmmuRegs.CB_TTBR0, SmmuRegs.CB_TTBR0 + 4,
        SmmuRegs.CB_TTBR1, SmmuRegs.CB_TTBR1 + 4, SmmuRegs.CB_TCR, SmmuRegs.CB_S1_MAIR0, SmmuRegs.CB_S1_MAIR1};

    static SmmuRegisters read(SmmuRig rig, List<String> smmus) {
        return read(rig, smmus, false);
    }

    /**
     * As {@link #read}, but only what is in use: valid SMRs (a freed one only loses SMR.VALID, its
     * ID and mask stay) and context banks with SCTLR.M set (a bank a domain freed is only disabled,
     * arm_smmu_write_context_bank of an unassigned bank; its other registers keep what they held).
     * Nothing reads what these leave out.
     */
    static SmmuRegisters readUsedBanks(SmmuRig rig, List<String> smmus) {
        return read(rig, smmus, true);
    }

    private static SmmuRegisters read(SmmuRig rig, List<String> smmus, boolean usedBanksOnly) {
        Map<String, Map<Long, Integer>> all = new LinkedHashMap<>();
        for (String path : smmus) {
            MmioWindow w = rig.regs(path);
            Map<Long, Integer> v = new LinkedHashMap<>();
            for (long off : offsets(rig, path, usedBanksOnly)) {
                v.put(off, w.readl(off));
            }
            all.put(path, v);
        }
        return new SmmuRegisters(all);
    }

    private static List<Long> offsets(SmmuRig rig, String path, boolean usedBanksOnly) {
        List<Long> out = new ArrayList<>();
        int id0 = rig.gr0(path, SmmuRegs.GR0_ID0);
        boolean sms = (id0 & SmmuRegs.ID0_SMS) != 0;
        int entries = sms ? id0 & 0xff : 1 << ((id0 >>> 9) & 0xf);
        int banks = rig.gr0(path, SmmuRegs.GR0_ID1) & 0xff;
        out.add((long) SmmuRegs.GR0_SCR0);
        for (int i = 0; i < entries; i++) {
            if (sms && (!usedBanksOnly || (rig.gr0(path, SmmuRegs.smr(i)) & SmmuRegs.SMR_VALID) != 0)) {
                out.add((long) SmmuRegs.smr(i));
            }
            out.add((long) SmmuRegs.s2cr(i));
        }
        for (int cb = 0; cb < banks; cb++) {
            if (usedBanksOnly && (rig.cb(path, cb, SmmuRegs.CB_SCTLR) & SmmuRegs.SCTLR_M) == 0) {
                continue;
            }
            out.add(0x1000L + SmmuRegs.cbar(cb));
            out.add(0x1000L + SmmuRegs.cba2r(cb));
            for (int r : BANK_REGS) {
                out.add(rig.bankBase(path, cb) + r);
            }
        }
        return out;
    }

    /** @return the writes among {@code writes} that gave a configuration register another value than it has here */
    List<MmioRecordingDriver.Write> changedBy(List<MmioRecordingDriver.Write> writes) {
        List<MmioRecordingDriver.Write> out = new ArrayList<>();
        for (MmioRecordingDriver.Write w : writes) {
            Integer was = values.getOrDefault(w.iommu(), Map.of()).get(w.offset());
            if (was != null && was != w.value()) {
                out.add(w);
            }
        }
        return out;
    }

    /** @return how many of {@code writes} went to configuration registers */
    long configWrites(List<MmioRecordingDriver.Write> writes) {
        return writes.stream().filter(w -> values.getOrDefault(w.iommu(), Map.of()).containsKey(w.offset())).count();
    }
}
