package io.iommulab.smmu.model;

/**
 * Register map of the ARM SMMUv2 as the model implements it: dart-facts §4.2 and the model/driver
 * contract ({@code smmu-model/README.md}, "Register block"). Every offset and field of the model lives
 * here, in one place. All registers are 32 bits wide; a 64-bit register is two words, low word at
 * +0 and high word at +4.
 *
 * <p>Layout of the block (4 KiB pages, ID1.PAGESIZE = 0): page 0 is GR0, page 1 is GR1, and context
 * bank {@code n} is page {@code NUMPAGE + n}. GR0 offsets are relative to the block, GR1 offsets to
 * page 1, bank offsets to the bank's page.
 *
 * <p>This is the model's own copy of the layout (the model never imports driver code); the driver
 * bundle keeps its own, so a disagreement between the two shows up as a failing test.
 */
public final class SmmuRegs {

    private SmmuRegs() {
    }

    /** Size of one register page (ID1.PAGESIZE = 0). */
    public static final int PAGE_SIZE = 0x1000;
    /** log2 of {@link #PAGE_SIZE}. */
    public static final int PAGE_SHIFT = 12;

    // ---- GR0 ----

    /** sCR0: global control. */
    public static final int SCR0 = 0x000;
    /** sCR0.CLIENTPD: every transaction bypasses (the reset state). */
    public static final int SCR0_CLIENTPD = 1 << 0;
    /** sCR0.GFRE: global fault reporting enable. */
    public static final int SCR0_GFRE = 1 << 1;
    /** sCR0.GFIE: global fault interrupt enable (raises global interrupt 0). */
    public static final int SCR0_GFIE = 1 << 2;
    /** sCR0.EXIDENABLE: RES0 here (ID0.EXIDS = 0), not writable. */
    public static final int SCR0_EXIDENABLE = 1 << 3;
    /** sCR0.GCFGFRE. */
    public static final int SCR0_GCFGFRE = 1 << 4;
    /** sCR0.GCFGFIE. */
    public static final int SCR0_GCFGFIE = 1 << 5;
    /** sCR0.USFCFG: 1 = unmatched streams fault (USF), 0 = they bypass. */
    public static final int SCR0_USFCFG = 1 << 10;
    /** sCR0.VMIDPNE. */
    public static final int SCR0_VMIDPNE = 1 << 11;
    /** sCR0.PTM. */
    public static final int SCR0_PTM = 1 << 12;
    /** sCR0.FB. */
    public static final int SCR0_FB = 1 << 13;
    /** sCR0.BSU [15:14]. */
    public static final int SCR0_BSU = 3 << 14;
    /** sCR0.VMID16EN: RES0 here (ID2.VMID16 = 0), not writable. */
    public static final int SCR0_VMID16EN = 1 << 31;
    /**
     * Writable sCR0 bits: every architected field in [29:0] except EXIDENABLE (no extended ids)
     * and the reserved bits 6 and 7; VMID16EN is not implemented.
     */
    public static final int SCR0_WRITABLE = 0x3FFF_FF37;
    /** sCR0 at reset (MMU-500 style): CLIENTPD and SMCFCFG (bit 21) set. */
    public static final int SCR0_RESET = 0x0020_0001;

    /** ID0 (RO). */
    public static final int ID0 = 0x020;
    /** ID0.NUMSMRG [7:0]. */
    public static final int ID0_NUMSMRG = 0xFF;
    /** ID0.EXIDS. */
    public static final int ID0_EXIDS = 1 << 8;
    /** ID0.NUMSIDB [12:9]. */
    public static final int ID0_NUMSIDB = 0xF << 9;
    /** ID0.CTTW: coherent table walks. */
    public static final int ID0_CTTW = 1 << 14;
    /** ID0.NUMIRPT [23:16]. */
    public static final int ID0_NUMIRPT = 0xFF << 16;
    /** ID0.PTFS_NO_AARCH32S. */
    public static final int ID0_PTFS_NO_AARCH32S = 1 << 24;
    /** ID0.PTFS_NO_AARCH32. */
    public static final int ID0_PTFS_NO_AARCH32 = 1 << 25;
    /** ID0.ATOSNS: address translation operations not supported. */
    public static final int ID0_ATOSNS = 1 << 26;
    /** ID0.SMS: stream matching (SMRs) present. */
    public static final int ID0_SMS = 1 << 27;
    /** ID0.NTS: nested translation. */
    public static final int ID0_NTS = 1 << 28;
    /** ID0.S2TS: stage 2. */
    public static final int ID0_S2TS = 1 << 29;
    /** ID0.S1TS: stage 1. */
    public static final int ID0_S1TS = 1 << 30;

    /** ID1 (RO). */
    public static final int ID1 = 0x024;
    /** ID1.NUMCB [7:0]. */
    public static final int ID1_NUMCB = 0xFF;
    /** ID1.NUMS2CB [23:16]. */
    public static final int ID1_NUMS2CB = 0xFF << 16;
    /** ID1.NUMPAGENDXB [30:28]: NUMPAGE = 2^(NUMPAGENDXB + 1). */
    public static final int ID1_NUMPAGENDXB = 7 << 28;
    /** ID1.PAGESIZE: 0 = 4 KiB pages. */
    public static final int ID1_PAGESIZE = 1 << 31;

    /** ID2 (RO). */
    public static final int ID2 = 0x028;
    /** ID2.IAS [3:0]. */
    public static final int ID2_IAS = 0xF;
    /** ID2.OAS [7:4]. */
    public static final int ID2_OAS = 0xF << 4;
    /** ID2.UBS [11:8]. */
    public static final int ID2_UBS = 0xF << 8;
    /** ID2.PTFS_4K. */
    public static final int ID2_PTFS_4K = 1 << 12;
    /** ID2.PTFS_16K. */
    public static final int ID2_PTFS_16K = 1 << 13;
    /** ID2.PTFS_64K. */
    public static final int ID2_PTFS_64K = 1 << 14;
    /** ID2.VMID16. */
    public static final int ID2_VMID16 = 1 << 15;

    /** ID3..ID7 (RO, read as 0): ID3 at 0x02C, ID7 at 0x03C. */
    public static final int ID3 = 0x02C;
    /** Number of ID registers from ID3 on. */
    public static final int ID3_TO_ID7 = 5;

    /** sGFAR low word (RO): IOVA of the latched global fault. */
    public static final int SGFAR_LO = 0x040;
    /** sGFAR high word (RO). */
    public static final int SGFAR_HI = 0x044;
    /** sGFSR (W1C): global fault status. */
    public static final int SGFSR = 0x048;
    /** sGFSR.ICF. */
    public static final int SGFSR_ICF = 1 << 0;
    /** sGFSR.USF: unidentified stream. */
    public static final int SGFSR_USF = 1 << 1;
    /** sGFSR.SMCF: stream match conflict. */
    public static final int SGFSR_SMCF = 1 << 2;
    /** sGFSR.UCBF: unimplemented context bank. */
    public static final int SGFSR_UCBF = 1 << 3;
    /** sGFSR.UCIF. */
    public static final int SGFSR_UCIF = 1 << 4;
    /** sGFSR.CAF. */
    public static final int SGFSR_CAF = 1 << 5;
    /** sGFSR.EF. */
    public static final int SGFSR_EF = 1 << 6;
    /** sGFSR.UUT. */
    public static final int SGFSR_UUT = 1 << 8;
    /** sGFSR.MULTI: another fault arrived while one was latched. */
    public static final int SGFSR_MULTI = 1 << 31;
    /** sGFSR bits cleared by writing 1. */
    public static final int SGFSR_W1C = SGFSR_ICF | SGFSR_USF | SGFSR_SMCF | SGFSR_UCBF | SGFSR_UCIF | SGFSR_CAF
            | SGFSR_EF | SGFSR_UUT | SGFSR_MULTI;
    /** sGFSYNR0 (RO). */
    public static final int SGFSYNR0 = 0x050;
    /** sGFSYNR0.WNR: the faulting transaction was a write. */
    public static final int SGFSYNR0_WNR = 1 << 1;
    /** sGFSYNR1 (RO): [15:0] stream id of the faulting transaction. */
    public static final int SGFSYNR1 = 0x054;
    /** sGFSYNR1 stream id field. */
    public static final int SGFSYNR1_SID = 0xFFFF;
    /** sGFSYNR2 (RO, 0). */
    public static final int SGFSYNR2 = 0x058;

    /** TLBIVMID (command): the model drops every TLB entry. */
    public static final int TLBIVMID = 0x064;
    /** TLBIALLNSNH (command): drops every TLB entry. */
    public static final int TLBIALLNSNH = 0x068;
    /** TLBIALLH (command): drops every TLB entry. */
    public static final int TLBIALLH = 0x06C;
    /** sTLBGSYNC (command). */
    public static final int STLBGSYNC = 0x070;
    /** sTLBGSTATUS (RO). */
    public static final int STLBGSTATUS = 0x074;
    /** sTLBGSTATUS.GSACTIVE. */
    public static final int STLBGSTATUS_GSACTIVE = 1;

    /** SMR(n) at {@code SMR + 4n}. */
    public static final int SMR = 0x800;
    /** SMR.VALID (extended ids off). */
    public static final int SMR_VALID = 1 << 31;
    /** SMR.ID [14:0] (at most 15 bits; implemented with {@code sid-bits}). */
    public static final int SMR_ID = 0x7FFF;
    /** SMR.MASK [30:16] (at most 15 bits; implemented with {@code sid-bits}). */
    public static final int SMR_MASK = 0x7FFF << 16;
    /** Shift of SMR.MASK. */
    public static final int SMR_MASK_SHIFT = 16;
    /** S2CR(n) at {@code S2CR + 4n}; the GR0 page holds at most 256 of them (0xC00..0xFFC). */
    public static final int S2CR = 0xC00;
    /** Most S2CRs the 4 KiB GR0 page has room for. */
    public static final int S2CR_MAX = (PAGE_SIZE - S2CR) / 4;
    /** S2CR.CBNDX [7:0]. */
    public static final int S2CR_CBNDX = 0xFF;
    /** S2CR.EXIDVALID (RES0 here). */
    public static final int S2CR_EXIDVALID = 1 << 10;
    /** S2CR.TYPE [17:16]. */
    public static final int S2CR_TYPE = 3 << 16;
    /** Shift of S2CR.TYPE. */
    public static final int S2CR_TYPE_SHIFT = 16;
    /** S2CR.TYPE value: translate through context bank CBNDX. */
    public static final int S2CR_TYPE_TRANS = 0;
    /** S2CR.TYPE value: bypass. */
    public static final int S2CR_TYPE_BYPASS = 1;
    /** S2CR.TYPE value: fault (terminate). */
    public static final int S2CR_TYPE_FAULT = 2;
    /** S2CR.PRIVCFG [25:24]. */
    public static final int S2CR_PRIVCFG = 3 << 24;
    /** S2CR.INSTCFG [27:26]: 0b10 data, 0b11 instruction; 0b0x uses the incoming attribute (device traffic is data). */
    public static final int S2CR_INSTCFG = 3 << 26;
    public static final int S2CR_INSTCFG_SHIFT = 26;
    public static final int S2CR_INSTCFG_INSTRUCTION = 3;
    /** Writable S2CR bits: [29:0] without EXIDVALID. */
    public static final int S2CR_WRITABLE = 0x3FFF_FBFF;
    /** S2CR at reset: TYPE = FAULT. */
    public static final int S2CR_RESET = S2CR_TYPE_FAULT << S2CR_TYPE_SHIFT;

    // ---- GR1 (offsets inside page 1) ----

    /** CBAR(n) at {@code CBAR + 4n} (plain storage: every bank translates stage 1). */
    public static final int CBAR = 0x000;
    /** CBFRSYNRA(n) at {@code CBFRSYNRA + 4n} (RO): stream id of the bank's latched fault. */
    public static final int CBFRSYNRA = 0x400;
    /** CBFRSYNRA stream id field. */
    public static final int CBFRSYNRA_SID = 0xFFFF;
    /** CBA2R(n) at {@code CBA2R + 4n}. */
    public static final int CBA2R = 0x800;
    /** CBA2R.VA64, the only writable bit (ID2.VMID16 = 0). */
    public static final int CBA2R_VA64 = 1;

    // ---- context bank (offsets inside the bank's page) ----

    /** SCTLR. */
    public static final int CB_SCTLR = 0x00;
    /** SCTLR.M: translation enabled (0: the bank bypasses). */
    public static final int SCTLR_M = 1 << 0;
    /** SCTLR.TRE. */
    public static final int SCTLR_TRE = 1 << 1;
    /** SCTLR.AFE: AF = 0 in a leaf is an access flag fault. */
    public static final int SCTLR_AFE = 1 << 2;
    /** SCTLR.E. */
    public static final int SCTLR_E = 1 << 4;
    /** SCTLR.CFRE: context faults are recorded in FSR/FAR/FSYNR0. */
    public static final int SCTLR_CFRE = 1 << 5;
    /** SCTLR.CFIE: a recorded context fault raises the bank's interrupt. */
    public static final int SCTLR_CFIE = 1 << 6;
    /** SCTLR.CFCFG (stall; not modelled: faults always terminate). */
    public static final int SCTLR_CFCFG = 1 << 7;
    /** SCTLR.HUPCF. */
    public static final int SCTLR_HUPCF = 1 << 8;
    /** SCTLR.ASIDPNE. */
    public static final int SCTLR_ASIDPNE = 1 << 12;
    /** Writable SCTLR bits. */
    public static final int SCTLR_WRITABLE = 0x3FFF_FFFF;
    /** ACTLR (storage). */
    public static final int CB_ACTLR = 0x04;
    /** RESUME (command; stalls are not modelled, writes are ignored). */
    public static final int CB_RESUME = 0x08;
    /** TCR2. */
    public static final int CB_TCR2 = 0x10;
    /** TCR2.AS: 16-bit ASIDs (else 8-bit). */
    public static final int TCR2_AS = 1 << 4;
    /** TTBR0 low word. */
    public static final int CB_TTBR0_LO = 0x20;
    /** TTBR0 high word: [31:16] ASID. */
    public static final int CB_TTBR0_HI = 0x24;
    /** TTBR1 low word (storage). */
    public static final int CB_TTBR1_LO = 0x28;
    /** TTBR1 high word (storage). */
    public static final int CB_TTBR1_HI = 0x2C;
    /** TTBR base address bits [47:4]. */
    public static final long TTBR_BADDR = 0x0000_FFFF_FFFF_FFF0L;
    /** Shift of the TTBR ASID field [63:48]. */
    public static final int TTBR_ASID_SHIFT = 48;
    /** TCR. */
    public static final int CB_TCR = 0x30;
    /** TCR.T0SZ [5:0]: TTBR0 input size = 64 - T0SZ bits. */
    public static final int TCR_T0SZ = 0x3F;
    /** TCR.EPD0: walks through TTBR0 disabled (translation fault). */
    public static final int TCR_EPD0 = 1 << 7;
    /** TCR.TG0 [15:14]. */
    public static final int TCR_TG0 = 3 << 14;
    /** Shift of TCR.TG0. */
    public static final int TCR_TG0_SHIFT = 14;
    /** TCR.TG0 value: 4 KiB granule. */
    public static final int TG0_4K = 0;
    /** TCR.TG0 value: 64 KiB granule. */
    public static final int TG0_64K = 1;
    /** TCR.TG0 value: 16 KiB granule. */
    public static final int TG0_16K = 2;
    /** TCR.EPD1. */
    public static final int TCR_EPD1 = 1 << 23;
    /** TCR.EAE. */
    public static final int TCR_EAE = 1 << 31;
    /** CONTEXTIDR (storage). */
    public static final int CB_CONTEXTIDR = 0x34;
    /** MAIR0 (storage). */
    public static final int CB_MAIR0 = 0x38;
    /** MAIR1 (storage). */
    public static final int CB_MAIR1 = 0x3C;
    /** FSR (W1C). */
    public static final int CB_FSR = 0x58;
    /** FSR.TF: translation fault. */
    public static final int FSR_TF = 1 << 1;
    /** FSR.AFF: access flag fault. */
    public static final int FSR_AFF = 1 << 2;
    /** FSR.PF: permission fault. */
    public static final int FSR_PF = 1 << 3;
    /** FSR.EF. */
    public static final int FSR_EF = 1 << 4;
    /** FSR.TLBMCF. */
    public static final int FSR_TLBMCF = 1 << 5;
    /** FSR.TLBLKF. */
    public static final int FSR_TLBLKF = 1 << 6;
    /** FSR.ASF. */
    public static final int FSR_ASF = 1 << 7;
    /** FSR.UUT. */
    public static final int FSR_UUT = 1 << 8;
    /** FSR.SS (never set: stalls are not modelled). */
    public static final int FSR_SS = 1 << 30;
    /** FSR.MULTI. */
    public static final int FSR_MULTI = 1 << 31;
    /** FSR fault bits: a fault is latched while any of them is set. */
    public static final int FSR_FAULT = FSR_TF | FSR_AFF | FSR_PF | FSR_EF | FSR_TLBMCF | FSR_TLBLKF | FSR_ASF
            | FSR_UUT;
    /** FSR bits cleared by writing 1. */
    public static final int FSR_W1C = FSR_FAULT | FSR_SS | FSR_MULTI;
    /** FSRRESTORE (command): the written value becomes FSR. */
    public static final int CB_FSRRESTORE = 0x5C;
    /** FAR low word (RO): faulting IOVA [31:0]. */
    public static final int CB_FAR_LO = 0x60;
    /** FAR high word (RO). */
    public static final int CB_FAR_HI = 0x64;
    /** FSYNR0 (RO). */
    public static final int CB_FSYNR0 = 0x68;
    /** FSYNR0.PLVL [1:0]: level of the walk that faulted. */
    public static final int FSYNR0_PLVL = 3;
    /** FSYNR0.WNR: the faulting transaction was a write. */
    public static final int FSYNR0_WNR = 1 << 4;
    /** FSYNR0.IND: the faulting transaction was an instruction fetch. */
    public static final int FSYNR0_IND = 1 << 6;
    /** FSYNR1 (RO, 0). */
    public static final int CB_FSYNR1 = 0x6C;
    /** TLBIVA low word (command on write): value = (iova >> 12) | (ASID << 48). */
    public static final int CB_TLBIVA_LO = 0x600;
    /** TLBIVA high word (stored for the low-word write). */
    public static final int CB_TLBIVA_HI = 0x604;
    /** TLBIVAA low word (command): by VA, every ASID. */
    public static final int CB_TLBIVAA_LO = 0x608;
    /** TLBIVAA high word. */
    public static final int CB_TLBIVAA_HI = 0x60C;
    /** TLBIASID (command): value = ASID. */
    public static final int CB_TLBIASID = 0x610;
    /** TLBIALL (command): the model drops every TLB entry. */
    public static final int CB_TLBIALL = 0x618;
    /** TLBIVAL low word (command): leaf only; the TLB holds only leaves, so as TLBIVA. */
    public static final int CB_TLBIVAL_LO = 0x620;
    /** TLBIVAL high word. */
    public static final int CB_TLBIVAL_HI = 0x624;
    /** TLBIVAAL low word (command). */
    public static final int CB_TLBIVAAL_LO = 0x628;
    /** TLBIVAAL high word. */
    public static final int CB_TLBIVAAL_HI = 0x62C;
    /** TLBI by-VA value: VA[55:12] in bits [43:0]. */
    public static final long TLBI_VA = (1L << 44) - 1;
    /** Shift of the TLBI ASID field [63:48]. */
    public static final int TLBI_ASID_SHIFT = 48;
    /** TLBSYNC (command). */
    public static final int CB_TLBSYNC = 0x7F0;
    /** TLBSTATUS (RO). */
    public static final int CB_TLBSTATUS = 0x7F4;
    /** TLBSTATUS.SACTIVE. */
    public static final int TLBSTATUS_SACTIVE = 1;

    // ---- LPAE stage-1 descriptors (dart-facts §4.4) ----

    /** Descriptor type [1:0]. */
    public static final long PTE_TYPE = 3;
    /** Type: block (levels that allow blocks). */
    public static final long PTE_TYPE_BLOCK = 1;
    /** Type: table (levels 0-2) or page (level 3). */
    public static final long PTE_TYPE_TABLE = 3;
    /** AP[1]: unprivileged access allowed. */
    public static final long PTE_AP1 = 1L << 6;
    /** AP[2]: read-only. */
    public static final long PTE_AP2 = 1L << 7;
    /** UXN (XN at EL0, bit 54): no instruction fetch by unprivileged (device) transactions; IOMMU_NOEXEC sets it. */
    public static final long PTE_UXN = 1L << 54;
    /** AF: access flag. */
    public static final long PTE_AF = 1L << 10;
    /** Output / next-table address bits [47:12] (lower bits per granule and level are cleared). */
    public static final long PTE_ADDR = 0x0000_FFFF_FFFF_F000L;

    /** @return byte offset of GR1 register {@code reg} */
    public static int gr1(int reg) {
        return PAGE_SIZE + reg;
    }

    /** @return byte offset of bank register {@code reg} of bank {@code n} in a block of {@code numPage} pages per half */
    public static int bank(int numPage, int n, int reg) {
        return (numPage + n) * PAGE_SIZE + reg;
    }
}
