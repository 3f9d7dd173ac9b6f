package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRegs.*;

import io.iommulab.api.hw.RegisterSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The register table of one SMMUv2 strapping ({@link SmmuConfig}): GR0, GR1 and one page per
 * context bank, with reset values, writable masks and write-1-to-clear masks (contract "Register
 * block", dart-facts §4.2). Offsets come from {@link SmmuRegs}.
 *
 * <ul>
 * <li>Bank registers are declared as arrays with a stride of one page, so the element index a
 *     register hook receives is the bank number.</li>
 * <li>Command registers (TLBI*, syncs, RESUME, FSRRESTORE and the low words of the 64-bit TLBI
 *     registers) store nothing: their effect is the write hook. The high words of the 64-bit TLBI
 *     registers are plain storage, consumed by the low-word write (io-64-nonatomic-hi-lo order).</li>
 * <li>SMR writable bits are VALID and the ID / MASK bits within {@code sid-bits}, so a driver finds
 *     the implemented width by writing all-ones and reading back (dart-facts §4.3).</li>
 * <li>Pages of banks beyond NUMCB and the unused rest of each page read as zero and ignore writes.</li>
 * </ul>
 *
 * @param config the strapping
 */
record SmmuLayout(SmmuConfig config) {

    /** @return byte offset of bank page {@code n} */
    int bankBase(int n) {
        return bank(config.numPage(), n, 0);
    }

    /** @return ID0 as the model reports it */
    int id0() {
        int v = ID0_S1TS | ID0_S2TS | ID0_NTS | ID0_ATOSNS | ID0_CTTW | ID0_PTFS_NO_AARCH32 | ID0_PTFS_NO_AARCH32S
                | field(ID0_NUMIRPT, config.globalInterrupts()) | field(ID0_NUMSIDB, config.sidBits());
        return config.streamIndexing() ? v : v | ID0_SMS | field(ID0_NUMSMRG, config.smrs());
    }

    /** @return ID1 as the model reports it (NUMS2CB = 0, 4 KiB pages) */
    int id1() {
        return field(ID1_NUMCB, config.contextBanks()) | field(ID1_NUMPAGENDXB, config.numPageNdxb());
    }

    /** @return ID2 as the model reports it (VMID16 = 0) */
    int id2() {
        return field(ID2_IAS, SmmuConfig.encodeAddressSize(config.ias()))
                | field(ID2_OAS, SmmuConfig.encodeAddressSize(config.oas()))
                | field(ID2_UBS, SmmuConfig.encodeAddressSize(config.ubs())) | config.granules();
    }

    /** @return SMR bits software can change: VALID and ID / MASK within {@code sid-bits} */
    int smrWritable() {
        int sid = config.sidMask();
        return SMR_VALID | sid << SMR_MASK_SHIFT | sid;
    }

    /** FIELD_PREP for a contiguous mask. */
    static int field(int mask, int value) {
        return (value << Integer.numberOfTrailingZeros(mask)) & mask;
    }

    /** @return the whole register table */
    List<RegisterSpec> registers() {
        List<RegisterSpec> r = new ArrayList<>();
        globalSpace0(r);
        globalSpace1(r);
        bankPages(r);
        return r;
    }

    private void globalSpace0(List<RegisterSpec> r) {
        r.add(RegisterSpec.reg("sCR0", SCR0, SCR0_RESET, SCR0_WRITABLE));
        r.add(RegisterSpec.ro("ID0", ID0, id0()));
        r.add(RegisterSpec.ro("ID1", ID1, id1()));
        r.add(RegisterSpec.ro("ID2", ID2, id2()));
        r.add(new RegisterSpec("ID3-7", ID3, ID3_TO_ID7, 4, 0, 0, 0));
        r.add(RegisterSpec.ro("sGFAR_LO", SGFAR_LO, 0));
        r.add(RegisterSpec.ro("sGFAR_HI", SGFAR_HI, 0));
        r.add(RegisterSpec.w1c("sGFSR", SGFSR, SGFSR_W1C));
        r.add(RegisterSpec.ro("sGFSYNR0", SGFSYNR0, 0));
        r.add(RegisterSpec.ro("sGFSYNR1", SGFSYNR1, 0));
        r.add(RegisterSpec.ro("sGFSYNR2", SGFSYNR2, 0));
        r.add(command("TLBIVMID", TLBIVMID));
        r.add(command("TLBIALLNSNH", TLBIALLNSNH));
        r.add(command("TLBIALLH", TLBIALLH));
        r.add(command("sTLBGSYNC", STLBGSYNC));
        r.add(RegisterSpec.ro("sTLBGSTATUS", STLBGSTATUS, 0));
        if (!config.streamIndexing()) {
            r.add(RegisterSpec.array("SMR", SMR, config.smrs(), 4, 0, smrWritable()));
        }
        r.add(RegisterSpec.array("S2CR", S2CR, config.s2crs(), 4, S2CR_RESET, S2CR_WRITABLE));
    }

    private void globalSpace1(List<RegisterSpec> r) {
        int n = config.contextBanks();
        r.add(RegisterSpec.array("CBAR", gr1(CBAR), n, 4, 0, 0xFFFF_FFFF));
        r.add(new RegisterSpec("CBFRSYNRA", gr1(CBFRSYNRA), n, 4, 0, 0, 0));
        r.add(RegisterSpec.array("CBA2R", gr1(CBA2R), n, 4, 0, CBA2R_VA64));
    }

    private void bankPages(List<RegisterSpec> r) {
        r.add(bankReg("SCTLR", CB_SCTLR, SCTLR_WRITABLE, 0));
        r.add(bankReg("ACTLR", CB_ACTLR, 0xFFFF_FFFF, 0));
        r.add(bankReg("RESUME", CB_RESUME, 0, 0));
        r.add(bankReg("TCR2", CB_TCR2, 0xFFFF_FFFF, 0));
        r.add(bankReg("TTBR0_LO", CB_TTBR0_LO, 0xFFFF_FFFF, 0));
        r.add(bankReg("TTBR0_HI", CB_TTBR0_HI, 0xFFFF_FFFF, 0));
        r.add(bankReg("TTBR1_LO", CB_TTBR1_LO, 0xFFFF_FFFF, 0));
        r.add(bankReg("TTBR1_HI", CB_TTBR1_HI, 0xFFFF_FFFF, 0));
        r.add(bankReg("TCR", CB_TCR, 0xFFFF_FFFF, 0));
        r.add(bankReg("CONTEXTIDR", CB_CONTEXTIDR, 0xFFFF_FFFF, 0));
        r.add(bankReg("MAIR0", CB_MAIR0, 0xFFFF_FFFF, 0));
        r.add(bankReg("MAIR1", CB_MAIR1, 0xFFFF_FFFF, 0));
        r.add(bankReg("FSR", CB_FSR, 0, FSR_W1C));
        r.add(bankReg("FSRRESTORE", CB_FSRRESTORE, 0, 0));
        r.add(bankReg("FAR_LO", CB_FAR_LO, 0, 0));
        r.add(bankReg("FAR_HI", CB_FAR_HI, 0, 0));
        r.add(bankReg("FSYNR0", CB_FSYNR0, 0, 0));
        r.add(bankReg("FSYNR1", CB_FSYNR1, 0, 0));
        r.add(bankReg("TLBIVA_LO", CB_TLBIVA_LO, 0, 0));
        r.add(bankReg("TLBIVA_HI", CB_TLBIVA_HI, 0xFFFF_FFFF, 0));
        r.add(bankReg("TLBIVAA_LO", CB_TLBIVAA_LO, 0, 0));
        r.add(bankReg("TLBIVAA_HI", CB_TLBIVAA_HI, 0xFFFF_FFFF, 0));
        r.add(bankReg("TLBIASID", CB_TLBIASID, 0, 0));
        r.add(bankReg("TLBIALL", CB_TLBIALL, 0, 0));
        r.add(bankReg("TLBIVAL_LO", CB_TLBIVAL_LO, 0, 0));
        r.add(bankReg("TLBIVAL_HI", CB_TLBIVAL_HI, 0xFFFF_FFFF, 0));
        r.add(bankReg("TLBIVAAL_LO", CB_TLBIVAAL_LO, 0, 0));
        r.add(bankReg("TLBIVAAL_HI", CB_TLBIVAAL_HI, 0xFFFF_FFFF, 0));
        r.add(bankReg("TLBSYNC", CB_TLBSYNC, 0, 0));
        r.add(bankReg("TLBSTATUS", CB_TLBSTATUS, 0, 0));
    }

    /** A register with no storage: writes only run the hook. */
    private static RegisterSpec command(String name, int offset) {
        return RegisterSpec.reg(name, offset, 0, 0);
    }

    /** One register in every bank page; element index = bank number. */
    private RegisterSpec bankReg(String name, int reg, int writable, int w1c) {
        return new RegisterSpec("CB_" + name, bankBase(0) + reg, config.contextBanks(), PAGE_SIZE, 0, writable, w1c);
    }
}
