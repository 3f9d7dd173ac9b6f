package io.iommulab.smmu.impl.hw;

import io.iommulab.klib.Bits;

import static io.iommulab.klib.Bits.genmask;

/**
 * The ARM SMMUv2 register map as Linux's arm-smmu.h names it (dart-facts §4.2, SMMU contract):
 * global space page 0 (GR0), page 1 (GR1), context bank {@code n} at page {@code NUMPAGE + n}; a page
 * is 4 KiB ({@code ID1.PAGESIZE} = 0) or 64 KiB. The only place the driver's register offsets and fields
 * live. The hardware model keeps its own copy ({@code smmu-model}'s SmmuRegs) on purpose: hardware
 * never imports driver code, and a disagreement between the two fails a test.
 */
public final class SmmuRegs {

    private SmmuRegs() {
    }

    /* pages */
    public static final int GR0 = 0;
    public static final int GR1 = 1;
    public static final int PAGE_SHIFT_4K = 12;
    public static final int PAGE_SHIFT_64K = 16;

    /* ---- GR0 ---- */
    public static final int GR0_SCR0 = 0x000;
    public static final int SCR0_VMID16EN = 1 << 31;
    public static final int SCR0_BSU = genmask(15, 14);
    public static final int SCR0_FB = 1 << 13;
    public static final int SCR0_PTM = 1 << 12;
    public static final int SCR0_VMIDPNE = 1 << 11;
    public static final int SCR0_USFCFG = 1 << 10;
    public static final int SCR0_GCFGFIE = 1 << 5;
    public static final int SCR0_GCFGFRE = 1 << 4;
    public static final int SCR0_EXIDENABLE = 1 << 3;
    public static final int SCR0_GFIE = 1 << 2;
    public static final int SCR0_GFRE = 1 << 1;
    public static final int SCR0_CLIENTPD = 1;

    public static final int GR0_ID0 = 0x020;
    public static final int ID0_S1TS = 1 << 30;
    public static final int ID0_S2TS = 1 << 29;
    public static final int ID0_NTS = 1 << 28;
    public static final int ID0_SMS = 1 << 27;
    public static final int ID0_ATOSNS = 1 << 26;
    public static final int ID0_PTFS_NO_AARCH32 = 1 << 25;
    public static final int ID0_PTFS_NO_AARCH32S = 1 << 24;
    public static final int ID0_NUMIRPT = genmask(23, 16);
    public static final int ID0_CTTW = 1 << 14;
    public static final int ID0_NUMSIDB = genmask(12, 9);
    public static final int ID0_EXIDS = 1 << 8;
    public static final int ID0_NUMSMRG = genmask(7, 0);

    public static final int GR0_ID1 = 0x024;
    public static final int ID1_PAGESIZE = 1 << 31;
    public static final int ID1_NUMPAGENDXB = genmask(30, 28);
    public static final int ID1_NUMS2CB = genmask(23, 16);
    public static final int ID1_NUMCB = genmask(7, 0);

    public static final int GR0_ID2 = 0x028;
    public static final int ID2_VMID16 = 1 << 15;
    public static final int ID2_PTFS_64K = 1 << 14;
    public static final int ID2_PTFS_16K = 1 << 13;
    public static final int ID2_PTFS_4K = 1 << 12;
    public static final int ID2_UBS = genmask(11, 8);
    public static final int ID2_OAS = genmask(7, 4);
    public static final int ID2_IAS = genmask(3, 0);

    /** sGFAR: 64-bit, low word at +0 */
    public static final int GR0_SGFAR = 0x040;
    public static final int GR0_SGFSR = 0x048;
    public static final int SGFSR_ICF = 1;
    public static final int SGFSR_USF = 1 << 1;
    public static final int SGFSR_SMCF = 1 << 2;
    public static final int SGFSR_UCBF = 1 << 3;
    public static final int SGFSR_UCIF = 1 << 4;
    public static final int SGFSR_CAF = 1 << 5;
    public static final int SGFSR_EF = 1 << 6;
    public static final int SGFSR_UUT = 1 << 8;
    public static final int SGFSR_MULTI = 1 << 31;
    public static final int GR0_SGFSYNR0 = 0x050;
    public static final int SGFSYNR0_WNR = 1 << 1;
    public static final int GR0_SGFSYNR1 = 0x054;
    public static final int SGFSYNR1_SID = genmask(15, 0);
    public static final int GR0_SGFSYNR2 = 0x058;

    public static final int GR0_TLBIVMID = 0x064;
    public static final int GR0_TLBIALLNSNH = 0x068;
    public static final int GR0_TLBIALLH = 0x06C;
    public static final int GR0_STLBGSYNC = 0x070;
    public static final int GR0_STLBGSTATUS = 0x074;
    public static final int STLBGSTATUS_GSACTIVE = 1;

    /** What Linux writes to registers whose value is ignored (QCOM_DUMMY_VAL: never the zero register). */
    public static final int DUMMY_VAL = -1;

    public static final int SMR_VALID = 1 << 31;
    public static final int SMR_MASK = genmask(31, 16);
    public static final int SMR_ID = genmask(15, 0);

    public static final int S2CR_PRIVCFG = genmask(25, 24);
    public static final int S2CR_PRIVCFG_DEFAULT = 0;
    public static final int S2CR_TYPE = genmask(17, 16);
    public static final int S2CR_TYPE_TRANS = 0;
    public static final int S2CR_TYPE_BYPASS = 1;
    public static final int S2CR_TYPE_FAULT = 2;
    public static final int S2CR_EXIDVALID = 1 << 10;
    public static final int S2CR_CBNDX = genmask(7, 0);

    /** @return GR0 offset of SMR(n) */
    public static int smr(int n) {
        return 0x800 + (n << 2);
    }

    /** @return GR0 offset of S2CR(n) */
    public static int s2cr(int n) {
        return 0xC00 + (n << 2);
    }

    /* ---- GR1 ---- */
    public static final int CBAR_IRPTNDX = genmask(31, 24);
    public static final int CBAR_TYPE = genmask(17, 16);
    public static final int CBAR_TYPE_S2_TRANS = 0;
    public static final int CBAR_TYPE_S1_TRANS_S2_BYPASS = 1;
    public static final int CBAR_S1_MEMATTR = genmask(15, 12);
    public static final int CBAR_S1_MEMATTR_WB = 0xf;
    public static final int CBAR_S1_BPSHCFG = genmask(9, 8);
    public static final int CBAR_S1_BPSHCFG_NSH = 3;
    public static final int CBAR_VMID = genmask(7, 0);
    public static final int CBFRSYNRA_SID = genmask(15, 0);
    public static final int CBA2R_VMID16 = genmask(31, 16);
    public static final int CBA2R_VA64 = 1;

    /** @return GR1 offset of CBAR(n) */
    public static int cbar(int n) {
        return n << 2;
    }

    /** @return GR1 offset of CBFRSYNRA(n) */
    public static int cbfrsynra(int n) {
        return 0x400 + (n << 2);
    }

    /** @return GR1 offset of CBA2R(n) */
    public static int cba2r(int n) {
        return 0x800 + (n << 2);
    }

    /* ---- context bank ---- */
    public static final int CB_SCTLR = 0x00;
    public static final int SCTLR_S1_ASIDPNE = 1 << 12;
    public static final int SCTLR_HUPCF = 1 << 8;
    public static final int SCTLR_CFCFG = 1 << 7;
    public static final int SCTLR_CFIE = 1 << 6;
    public static final int SCTLR_CFRE = 1 << 5;
    public static final int SCTLR_E = 1 << 4;
    public static final int SCTLR_AFE = 1 << 2;
    public static final int SCTLR_TRE = 1 << 1;
    public static final int SCTLR_M = 1;

    public static final int CB_ACTLR = 0x04;
    public static final int CB_RESUME = 0x08;
    public static final int RESUME_TERMINATE = 1;

    public static final int CB_TCR2 = 0x10;
    public static final int TCR2_SEP = genmask(17, 15);
    public static final int TCR2_SEP_UPSTREAM = 0x7;
    public static final int TCR2_AS = 1 << 4;
    public static final int TCR2_PASIZE = genmask(3, 0);

    public static final int CB_TTBR0 = 0x20;
    public static final int CB_TTBR1 = 0x28;
    /** TTBRn.ASID [63:48] */
    public static final int TTBR_ASID_SHIFT = 48;

    public static final int CB_TCR = 0x30;
    public static final int TCR_EAE = 1 << 31;
    public static final int TCR_EPD1 = 1 << 23;
    public static final int TCR_TG0 = genmask(15, 14);
    public static final int TCR_SH0 = genmask(13, 12);
    public static final int TCR_ORGN0 = genmask(11, 10);
    public static final int TCR_IRGN0 = genmask(9, 8);
    public static final int TCR_EPD0 = 1 << 7;
    public static final int TCR_T0SZ = genmask(5, 0);

    public static final int CB_CONTEXTIDR = 0x34;
    public static final int CB_S1_MAIR0 = 0x38;
    public static final int CB_S1_MAIR1 = 0x3C;

    public static final int CB_FSR = 0x58;
    public static final int FSR_MULTI = 1 << 31;
    public static final int FSR_SS = 1 << 30;
    public static final int FSR_FORMAT = genmask(10, 9);
    public static final int FSR_UUT = 1 << 8;
    public static final int FSR_ASF = 1 << 7;
    public static final int FSR_TLBLKF = 1 << 6;
    public static final int FSR_TLBMCF = 1 << 5;
    public static final int FSR_EF = 1 << 4;
    public static final int FSR_PF = 1 << 3;
    public static final int FSR_AFF = 1 << 2;
    public static final int FSR_TF = 1 << 1;
    public static final int FSR_IGN = FSR_AFF | FSR_ASF | FSR_TLBMCF | FSR_TLBLKF;
    /** ARM_SMMU_CB_FSR_FAULT: every bit that says "a fault is recorded" (also what reset clears) */
    public static final int FSR_FAULT = FSR_MULTI | FSR_SS | FSR_UUT | FSR_EF | FSR_PF | FSR_TF | FSR_IGN;
    public static final int CB_FSRRESTORE = 0x5C;

    public static final int CB_FAR = 0x60;
    public static final int CB_FSYNR0 = 0x68;
    public static final int FSYNR0_PLVL = genmask(1, 0);
    public static final int FSYNR0_WNR = 1 << 4;
    public static final int FSYNR0_PNU = 1 << 5;
    public static final int FSYNR0_IND = 1 << 6;
    public static final int FSYNR0_NSATTR = 1 << 8;
    public static final int FSYNR0_PTWF = 1 << 10;
    public static final int FSYNR0_AFR = 1 << 11;
    public static final int FSYNR0_S1CBNDX = genmask(23, 16);
    public static final int CB_FSYNR1 = 0x6C;

    public static final int CB_S1_TLBIVA = 0x600;
    public static final int CB_S1_TLBIVAA = 0x608;
    public static final int CB_S1_TLBIASID = 0x610;
    public static final int CB_TLBIALL = 0x618;
    public static final int CB_S1_TLBIVAL = 0x620;
    public static final int CB_S1_TLBIVAAL = 0x628;
    public static final int CB_TLBSYNC = 0x7F0;
    public static final int CB_TLBSTATUS = 0x7F4;
    public static final int TLBSTATUS_SACTIVE = 1;

    /** ARM_SMMU_MAX_CBS */
    public static final int MAX_CBS = 128;
    /** TLB_LOOP_TIMEOUT: the sync poll gives up after about this many microseconds (1 s) */
    public static final long TLB_LOOP_TIMEOUT_US = 1_000_000;
    /** TLB_SPIN_COUNT: reads between two delays of the sync poll */
    public static final int TLB_SPIN_COUNT = 10;

    /** arm_smmu_id_size_to_bits: the ID2 IAS/OAS/UBS encoding (5 and anything above mean 48) */
    public static int idSizeToBits(int size) {
        switch (size) {
            case 0: return 32;
            case 1: return 36;
            case 2: return 40;
            case 3: return 42;
            case 4: return 44;
            default: return 48;
        }
    }
}
