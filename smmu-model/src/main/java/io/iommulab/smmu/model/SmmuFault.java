package io.iommulab.smmu.model;

import io.iommulab.api.hw.Translation;

/**
 * Why one transaction failed (contract "Stream matching and S2CR", "Context bank translation").
 * The text is what {@link Translation#fault()} carries; context faults append " (level N)". The
 * failed {@link Translation}s are made once here, so a faulting transaction allocates nothing.
 */
enum SmmuFault {
    /** Invalid descriptor, block where none is allowed, EPD0, bad TG0 / T0SZ, IOVA beyond the input size: FSR.TF. */
    TRANSLATION("TRANSLATION FAULT", SmmuRegs.FSR_TF),
    /** AF = 0 in the leaf while SCTLR.AFE is set: FSR.AFF. */
    ACCESS_FLAG("ACCESS FLAG FAULT", SmmuRegs.FSR_AFF),
    /** AP[1] = 0 (privileged only), or a write to an AP[2] = 1 (read-only) leaf: FSR.PF. */
    PERMISSION("PERMISSION FAULT", SmmuRegs.FSR_PF),
    /** No SMR matches and sCR0.USFCFG = 1: sGFSR.USF. */
    UNIDENTIFIED_STREAM("UNIDENTIFIED STREAM", SmmuRegs.SGFSR_USF),
    /** More than one valid SMR matches: sGFSR.SMCF. */
    STREAM_MATCH_CONFLICT("STREAM MATCH CONFLICT", SmmuRegs.SGFSR_SMCF),
    /** S2CR TRANS to a bank >= NUMCB: sGFSR.UCBF. */
    INVALID_CONTEXT_BANK("INVALID CONTEXT BANK", SmmuRegs.SGFSR_UCBF),
    /** S2CR TYPE = FAULT (a blocked stream, or the reserved TYPE 3): terminated, nothing latched. */
    S2CR_FAULT("S2CR FAULT", 0);

    /** Levels a context fault can report (FSYNR0.PLVL is two bits). */
    static final int LEVELS = 4;

    private final String text;
    /** The FSR or sGFSR bit this fault latches (0: none). */
    private final int status;
    private final Translation plain;
    private final Translation[] atLevel = new Translation[LEVELS];

    SmmuFault(String text, int status) {
        this.text = text;
        this.status = status;
        this.plain = Translation.fault(text);
        for (int l = 0; l < LEVELS; l++) {
            atLevel[l] = Translation.fault(text + " (level " + l + ")");
        }
    }

    /** @return the fault text without a level */
    String text() {
        return text;
    }

    /** @return the FSR bit (context faults) or sGFSR bit (global faults) it latches */
    int status() {
        return status;
    }

    /** @return the failed translation of a global or S2CR fault */
    Translation translation() {
        return plain;
    }

    /** @return the failed translation of a context fault at walk level {@code level} (0..3) */
    Translation translation(int level) {
        return atLevel[level & (LEVELS - 1)];
    }
}
