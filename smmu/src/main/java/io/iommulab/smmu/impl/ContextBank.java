package io.iommulab.smmu.impl;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.klib.Bits;
import io.iommulab.smmu.impl.hw.SmmuHardware;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The registers of one stage-1 AArch64 context bank as this driver programs them (struct arm_smmu_cb,
 * which Linux keeps so that arm_smmu_write_context_bank can write a bank again): computed from a
 * table's state by arm_smmu_init_context_bank ({@link #of}), written in upstream order
 * ({@link #write}), read back from the hardware ({@link #read}) when a new driver takes a running
 * SMMU over, which then checks that a bank holds exactly what it would have programmed
 * ({@link #differences}) or rebuilds the table's state from it ({@link #tableState}).
 *
 * @param sctlr SCTLR
 * @param cbar  CBAR (GR1)
 * @param cba2r CBA2R (GR1)
 * @param tcr   TCR
 * @param tcr2  TCR2
 * @param ttbr0 TTBR0: ASID [63:48], table root
 * @param ttbr1 TTBR1: ASID only (TTBR1 walks are off, TCR.EPD1)
 * @param mair  MAIR1:MAIR0
 */
record ContextBank(int sctlr, int cbar, int cba2r, int tcr, int tcr2, long ttbr0, long ttbr1, long mair) {

    /* the arm-lpae-s1 values a table's state names (PageTableState#hw) */
    static final String T0SZ = "tcr.t0sz";
    static final String TG0 = "tcr.tg0";
    static final String SH0 = "tcr.sh0";
    static final String IRGN0 = "tcr.irgn0";
    static final String ORGN0 = "tcr.orgn0";
    static final String EPD1 = "tcr.epd1";
    static final String IPS = "tcr.ips";
    static final String MAIR = "mair";

    /** SCTLR of a bank in use: fault reporting and interrupt, AF faults, TEX remap, translation, ASIDs private */
    static final int SCTLR_IN_USE = SmmuRegs.SCTLR_CFIE | SmmuRegs.SCTLR_CFRE | SmmuRegs.SCTLR_AFE | SmmuRegs.SCTLR_TRE
            | SmmuRegs.SCTLR_M | SmmuRegs.SCTLR_S1_ASIDPNE;
    /** TTBRn.BADDR: the table root's bits [47:4] */
    static final long TTBR_BADDR = 0x0000_FFFF_FFFF_FFF0L;

    /* TCR.TG0 encodings (VMSAv8-64) */
    private static final int TG0_4K = 0;
    private static final int TG0_64K = 1;
    private static final int TG0_16K = 2;

    /**
     * arm_smmu_init_context_bank for a stage-1 AArch64 context: the bank's registers for the table
     * {@code st} under {@code asid}.
     */
    static ContextBank of(PageTableState st, int asid) {
        Map<String, Long> v = st.hw();
        long asidBits = (long) asid << SmmuRegs.TTBR_ASID_SHIFT;
        int tcr = Bits.prep(SmmuRegs.TCR_TG0, (int) get(v, TG0)) | Bits.prep(SmmuRegs.TCR_SH0, (int) get(v, SH0))
                | Bits.prep(SmmuRegs.TCR_ORGN0, (int) get(v, ORGN0)) | Bits.prep(SmmuRegs.TCR_IRGN0, (int) get(v, IRGN0))
                | Bits.prep(SmmuRegs.TCR_T0SZ, (int) get(v, T0SZ)) | SmmuRegs.TCR_EPD1;
        int tcr2 = Bits.prep(SmmuRegs.TCR2_PASIZE, (int) get(v, IPS))
                | Bits.prep(SmmuRegs.TCR2_SEP, SmmuRegs.TCR2_SEP_UPSTREAM) | SmmuRegs.TCR2_AS;
        int cbar = Bits.prep(SmmuRegs.CBAR_TYPE, SmmuRegs.CBAR_TYPE_S1_TRANS_S2_BYPASS)
                | Bits.prep(SmmuRegs.CBAR_S1_BPSHCFG, SmmuRegs.CBAR_S1_BPSHCFG_NSH)
                | Bits.prep(SmmuRegs.CBAR_S1_MEMATTR, SmmuRegs.CBAR_S1_MEMATTR_WB);
        return new ContextBank(SCTLR_IN_USE, cbar, SmmuRegs.CBA2R_VA64, tcr, tcr2, asidBits | st.ttbrs()[0], asidBits,
                get(v, MAIR));
    }

    private static long get(Map<String, Long> hw, String key) {
        Long v = hw.get(key);
        if (v == null) {
            throw new IommuException(Errno.EINVAL, PageTableFormat.ARM_LPAE_S1 + " table state lacks '" + key + "' (has "
                    + hw.keySet() + ")");
        }
        return v;
    }

    /**
     * arm_smmu_write_context_bank, bank in use, in upstream order: CBA2R, CBAR, TCR2, TCR (before the
     * TTBRs: it decides how ASID bits are taken), TTBR0/1, MAIR0/1, SCTLR last.
     */
    void write(SmmuHardware hw, int cb) {
        hw.gr1Write(SmmuRegs.cba2r(cb), cba2r);
        hw.gr1Write(SmmuRegs.cbar(cb), cbar);
        hw.cbWrite(cb, SmmuRegs.CB_TCR2, tcr2);
        hw.cbWrite(cb, SmmuRegs.CB_TCR, tcr);
        hw.cbWriteq(cb, SmmuRegs.CB_TTBR0, ttbr0);
        hw.cbWriteq(cb, SmmuRegs.CB_TTBR1, ttbr1);
        hw.cbWrite(cb, SmmuRegs.CB_S1_MAIR0, (int) mair);
        hw.cbWrite(cb, SmmuRegs.CB_S1_MAIR1, (int) (mair >>> 32));
        hw.cbWrite(cb, SmmuRegs.CB_SCTLR, sctlr);
    }

    /** @return what bank {@code cb} holds now (reads only) */
    static ContextBank read(SmmuHardware hw, int cb) {
        long mair = (hw.cbRead(cb, SmmuRegs.CB_S1_MAIR0) & 0xffff_ffffL)
                | (long) hw.cbRead(cb, SmmuRegs.CB_S1_MAIR1) << 32;
        return new ContextBank(hw.cbRead(cb, SmmuRegs.CB_SCTLR), hw.gr1Read(SmmuRegs.cbar(cb)),
                hw.gr1Read(SmmuRegs.cba2r(cb)), hw.cbRead(cb, SmmuRegs.CB_TCR), hw.cbRead(cb, SmmuRegs.CB_TCR2),
                hw.cbReadq(cb, SmmuRegs.CB_TTBR0), hw.cbReadq(cb, SmmuRegs.CB_TTBR1), mair);
    }

    /** @return SCTLR.M: the bank translates (a disabled bank lets its streams bypass) */
    boolean enabled() {
        return (sctlr & SmmuRegs.SCTLR_M) != 0;
    }

    /** @return the table root TTBR0 points at */
    long root() {
        return ttbr0 & TTBR_BADDR;
    }

    /** @return the ASID of TTBR0 */
    int asid() {
        return (int) (ttbr0 >>> SmmuRegs.TTBR_ASID_SHIFT);
    }

    /** @return "SCTLR 0x.. (expected 0x..), TTBR0 ..." for every register that differs from {@code expected}; empty if none */
    String differences(ContextBank expected) {
        List<String> d = new ArrayList<>();
        diff(d, "SCTLR", sctlr, expected.sctlr);
        diff(d, "CBAR", cbar, expected.cbar);
        diff(d, "CBA2R", cba2r, expected.cba2r);
        diff(d, "TCR", tcr, expected.tcr);
        diff(d, "TCR2", tcr2, expected.tcr2);
        diff(d, "TTBR0", ttbr0, expected.ttbr0);
        diff(d, "TTBR1", ttbr1, expected.ttbr1);
        diff(d, "MAIR", mair, expected.mair);
        return String.join(", ", d);
    }

    private static void diff(List<String> out, String reg, long is, long expected) {
        if (is != expected) {
            out.add(String.format("%s 0x%x (expected 0x%x)", reg, is, expected));
        }
    }

    /**
     * The state of the table this bank walks, as arm-lpae-s1 describes it: IAS from TCR.T0SZ, the
     * granule from TCR.TG0 (it must be the smallest of {@code pgsizeBitmap}, the page sizes this
     * driver gives a domain of the SMMU), the walk's levels as VMSAv8-64 derives them from both, the
     * output size {@code oas} (ID2.IAS, which TCR2.PASIZE encodes) and the coherent walk of the
     * SMMU. The format checks, when it re-opens the table, that the TCR and MAIR values are the
     * ones it settles to for this configuration.
     *
     * @param where "context bank 3 of /soc/iommu@..." for messages
     * @throws IommuException EINVAL if TG0 is not the domain's granule or T0SZ leaves no walk
     */
    PageTableState tableState(long pgsizeBitmap, int oas, boolean coherent, String where) {
        int t0sz = Bits.get(SmmuRegs.TCR_T0SZ, tcr);
        int tg0 = Bits.get(SmmuRegs.TCR_TG0, tcr);
        int granuleShift = tg0 == TG0_4K ? 12 : tg0 == TG0_16K ? 14 : tg0 == TG0_64K ? 16 : 0;
        int ias = 64 - t0sz;
        long granule = Long.lowestOneBit(pgsizeBitmap);
        if (granuleShift == 0 || 1L << granuleShift != granule) {
            throw new IommuException(Errno.EINVAL, String.format("%s: TCR 0x%08x has TG0 %d, not the %d KiB granule of"
                    + " the domain's page sizes 0x%x", where, tcr, tg0, granule >> 10, pgsizeBitmap));
        }
        if (ias <= granuleShift || ias > 48) {
            throw new IommuException(Errno.EINVAL, String.format("%s: TCR 0x%08x has T0SZ %d: a %d-bit input leaves no"
                    + " walk with a %d KiB granule", where, tcr, t0sz, ias, granule >> 10));
        }
        int stride = granuleShift - 3;
        int levels = (ias - granuleShift + stride - 1) / stride;
        Map<String, Long> hw = Map.of(T0SZ, (long) t0sz, TG0, (long) tg0, SH0, (long) Bits.get(SmmuRegs.TCR_SH0, tcr),
                IRGN0, (long) Bits.get(SmmuRegs.TCR_IRGN0, tcr), ORGN0, (long) Bits.get(SmmuRegs.TCR_ORGN0, tcr),
                EPD1, (tcr & SmmuRegs.TCR_EPD1) != 0 ? 1L : 0L, IPS, (long) Bits.get(SmmuRegs.TCR2_PASIZE, tcr2), MAIR, mair);
        return new PageTableState(PageTableFormat.ARM_LPAE_S1, new PageTableConfig(pgsizeBitmap, ias, oas, coherent, 0),
                new long[] {root()}, levels, hw);
    }

    @Override
    public String toString() {
        return String.format("SCTLR 0x%x, CBAR 0x%x, CBA2R 0x%x, TCR 0x%x, TCR2 0x%x, TTBR0 0x%x, TTBR1 0x%x, MAIR 0x%x", sctlr,
                cbar, cba2r, tcr, tcr2, ttbr0, ttbr1, mair);
    }
}
