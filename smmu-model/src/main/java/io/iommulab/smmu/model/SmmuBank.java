package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRegs.*;

/**
 * The decoded state of one context bank, as a transaction needs it: SCTLR bits, the ASID, and the
 * TTBR0 walk parameters from TCR (contract "Context bank translation", dart-facts §4.4). Immutable:
 * the model decodes a new one whenever software writes SCTLR, TCR, TCR2 or TTBR0, and publishes it
 * through a volatile slot, so a transaction reads one reference and no register.
 *
 * @param enabled      SCTLR.M: translate (false: the bank bypasses)
 * @param afe          SCTLR.AFE: AF = 0 in a leaf is an access flag fault
 * @param cfre         SCTLR.CFRE: context faults are recorded
 * @param cfie         SCTLR.CFIE: a recorded context fault raises the bank's interrupt
 * @param asid16       TCR2.AS: 16-bit ASIDs (else 8-bit)
 * @param asid         TTBR0[63:48], cut to 8 bits unless {@code asid16}
 * @param ttb          TTBR0 base address [47:4]
 * @param granuleShift log2 of the TCR.TG0 granule (12, 14 or 16); 0 if TG0 is reserved or the
 *                     granule is not implemented ({@code granules} option)
 * @param inputBits    64 - TCR.T0SZ
 * @param startLevel   first walk level: 4 - ceil((inputBits - granuleShift) / (granuleShift - 3))
 * @param walkable     false if a TLB miss is a translation fault without a walk: EPD0 set, bad
 *                     granule, or an input size outside (granuleShift, 48]
 */
record SmmuBank(boolean enabled, boolean afe, boolean cfre, boolean cfie, boolean asid16, int asid, long ttb,
        int granuleShift, int inputBits, int startLevel, boolean walkable) {

    /** Largest input size without 52-bit addressing (dart-facts §4.4). */
    static final int MAX_INPUT_BITS = 48;

    /** A bank after reset: SCTLR = 0, so it bypasses. */
    static final SmmuBank RESET = decode(0, 0, 0, 0, SmmuRegs.ID2_PTFS_4K);

    /**
     * @param granules implemented granules as ID2.PTFS_* bits
     * @return the bank state the register values describe
     */
    static SmmuBank decode(int sctlr, int tcr, int tcr2, long ttbr0, int granules) {
        boolean asid16 = (tcr2 & TCR2_AS) != 0;
        int asid = (int) (ttbr0 >>> TTBR_ASID_SHIFT) & (asid16 ? 0xFFFF : 0xFF);
        int g = granuleShift((tcr & TCR_TG0) >>> TCR_TG0_SHIFT, granules);
        int inputBits = 64 - (tcr & TCR_T0SZ);
        int start = 0;
        boolean inputOk = g != 0 && inputBits > g && inputBits <= MAX_INPUT_BITS;
        if (inputOk) {
            int stride = g - 3;
            int levels = (inputBits - g + stride - 1) / stride;
            start = 4 - levels;
        }
        return new SmmuBank((sctlr & SCTLR_M) != 0, (sctlr & SCTLR_AFE) != 0, (sctlr & SCTLR_CFRE) != 0,
                (sctlr & SCTLR_CFIE) != 0, asid16, asid, ttbr0 & TTBR_BADDR, g, inputBits, start,
                inputOk && (tcr & TCR_EPD0) == 0);
    }

    /** @return log2 of the TG0 granule, or 0 if TG0 is reserved or the granule is not implemented */
    private static int granuleShift(int tg0, int granules) {
        switch (tg0) {
            case TG0_4K: return (granules & ID2_PTFS_4K) != 0 ? 12 : 0;
            case TG0_16K: return (granules & ID2_PTFS_16K) != 0 ? 14 : 0;
            case TG0_64K: return (granules & ID2_PTFS_64K) != 0 ? 16 : 0;
            default: return 0;
        }
    }

    /** @return the ASID a TLBI value's [63:48] names for this bank (8 bits unless TCR2.AS) */
    int tlbiAsid(long value) {
        return (int) (value >>> TLBI_ASID_SHIFT) & (asid16 ? 0xFFFF : 0xFF);
    }

    /** @return true if {@code iova} lies inside the TTBR0 input range */
    boolean inRange(long iova) {
        return (iova >>> inputBits) == 0;
    }
}
