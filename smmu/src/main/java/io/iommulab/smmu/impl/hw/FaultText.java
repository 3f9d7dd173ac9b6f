package io.iommulab.smmu.impl.hw;

import io.iommulab.klib.Bits;

import static io.iommulab.smmu.impl.hw.SmmuRegs.*;

/**
 * Decodes the fault syndrome registers into text: the two lines arm_smmu_print_context_fault_info
 * prints, and the short reason handed to the core with a fault (the same words the hardware model
 * uses, e.g. {@code "TRANSLATION FAULT (level 3)"}).
 */
public final class FaultText {

    private FaultText() {
    }

    /** The FSR line of arm_smmu_print_context_fault_info (without the device prefix). */
    public static String fsrLine(int fsr, int cbfrsynra) {
        return String.format("FSR    = %08x [%s%sFormat=%d%s%s%s%s%s%s%s%s], SID=0x%x", fsr,
                (fsr & FSR_MULTI) != 0 ? "MULTI " : "",
                (fsr & FSR_SS) != 0 ? "SS " : "",
                Bits.get(FSR_FORMAT, fsr),
                (fsr & FSR_UUT) != 0 ? " UUT" : "",
                (fsr & FSR_ASF) != 0 ? " ASF" : "",
                (fsr & FSR_TLBLKF) != 0 ? " TLBLKF" : "",
                (fsr & FSR_TLBMCF) != 0 ? " TLBMCF" : "",
                (fsr & FSR_EF) != 0 ? " EF" : "",
                (fsr & FSR_PF) != 0 ? " PF" : "",
                (fsr & FSR_AFF) != 0 ? " AFF" : "",
                (fsr & FSR_TF) != 0 ? " TF" : "",
                cbfrsynra);
    }

    /** The FSYNR0 line of arm_smmu_print_context_fault_info (without the device prefix). */
    public static String fsynr0Line(int fsynr) {
        return String.format("FSYNR0 = %08x [S1CBNDX=%d%s%s%s%s%s%s PLVL=%d]", fsynr,
                Bits.get(FSYNR0_S1CBNDX, fsynr),
                (fsynr & FSYNR0_AFR) != 0 ? " AFR" : "",
                (fsynr & FSYNR0_PTWF) != 0 ? " PTWF" : "",
                (fsynr & FSYNR0_NSATTR) != 0 ? " NSATTR" : "",
                (fsynr & FSYNR0_IND) != 0 ? " IND" : "",
                (fsynr & FSYNR0_PNU) != 0 ? " PNU" : "",
                (fsynr & FSYNR0_WNR) != 0 ? " WNR" : "",
                Bits.get(FSYNR0_PLVL, fsynr));
    }

    /**
     * @return the context fault's reason for the core: the first fault kind FSR records (with the
     *         lookup level from FSYNR0.PLVL for walk faults), ", MULTI" when more faults followed
     */
    public static String contextReason(int fsr, int fsynr) {
        String level = " (level " + Bits.get(FSYNR0_PLVL, fsynr) + ")";
        String kind;
        if ((fsr & FSR_TF) != 0) {
            kind = "TRANSLATION FAULT" + level;
        } else if ((fsr & FSR_AFF) != 0) {
            kind = "ACCESS FLAG FAULT" + level;
        } else if ((fsr & FSR_PF) != 0) {
            kind = "PERMISSION FAULT" + level;
        } else if ((fsr & FSR_EF) != 0) {
            kind = "EXTERNAL FAULT";
        } else if ((fsr & FSR_TLBMCF) != 0) {
            kind = "TLB MATCH CONFLICT";
        } else if ((fsr & FSR_TLBLKF) != 0) {
            kind = "TLB LOCK FAULT";
        } else if ((fsr & FSR_ASF) != 0) {
            kind = "ADDRESS SIZE FAULT";
        } else if ((fsr & FSR_UUT) != 0) {
            kind = "UNSUPPORTED UPSTREAM TRANSACTION";
        } else {
            kind = "CONTEXT FAULT";
        }
        return (fsr & FSR_MULTI) != 0 ? kind + ", MULTI" : kind;
    }

    /** @return the global fault's reason for the core, by the first sGFSR bit set (contract fault texts) */
    public static String globalReason(int gfsr) {
        if ((gfsr & SGFSR_USF) != 0) {
            return "UNIDENTIFIED STREAM";
        } else if ((gfsr & SGFSR_SMCF) != 0) {
            return "STREAM MATCH CONFLICT";
        } else if ((gfsr & SGFSR_UCBF) != 0) {
            return "INVALID CONTEXT BANK";
        } else if ((gfsr & SGFSR_ICF) != 0) {
            return "INVALID CONTEXT FAULT";
        } else if ((gfsr & SGFSR_UCIF) != 0) {
            return "UNIMPLEMENTED CONTEXT INTERRUPT";
        } else if ((gfsr & SGFSR_CAF) != 0) {
            return "CONFIGURATION ACCESS FAULT";
        } else if ((gfsr & SGFSR_EF) != 0) {
            return "EXTERNAL FAULT";
        } else if ((gfsr & SGFSR_UUT) != 0) {
            return "UNSUPPORTED UPSTREAM TRANSACTION";
        }
        return "GLOBAL FAULT";
    }
}
