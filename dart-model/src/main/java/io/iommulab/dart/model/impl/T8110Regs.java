package io.iommulab.dart.model.impl;

/**
 * Register map of the T8110 DART family (t8110 and t6020), as the hardware model implements it:
 * dart-facts §1.2, §1.4–§1.7 and the model contract ({@code dart-model/README.md}, "Register map").
 * All registers are 32 bits wide.
 *
 * <p>Kept apart from the driver's {@code io.iommulab.dart.impl.hw.T8110Regs} on purpose: the model
 * never imports driver code, so a disagreement between the two copies shows up as a failing test.
 */
public final class T8110Regs {

    /** PARAMS1 (RO, m1n1's PARAMS_0): [27:24] log2 of the page size. */
    public static final int PARAMS1 = 0x00;
    /** PARAMS1 page-shift field shift. */
    public static final int PARAMS1_PAGE_SHIFT_SHIFT = 24;
    /** PARAMS2 (RO): bit 0 bypass support. */
    public static final int PARAMS2 = 0x04;
    /** PARAMS2 bypass support bit. */
    public static final int PARAMS2_BYPASS_SUPPORT = 1;
    /** PARAMS3 (RO): [29:24] PA_WIDTH (OAS), [21:16] VA_WIDTH (IAS). */
    public static final int PARAMS3 = 0x08;
    /** PARAMS3 PA_WIDTH shift. */
    public static final int PARAMS3_PA_WIDTH_SHIFT = 24;
    /** PARAMS3 VA_WIDTH shift. */
    public static final int PARAMS3_VA_WIDTH_SHIFT = 16;
    /** PARAMS3 field width mask (6 bits, unshifted). */
    public static final int PARAMS3_WIDTH_MASK = 0x3F;
    /** PARAMS4 (RO): [8:0] NUM_SIDS. */
    public static final int PARAMS4 = 0x0C;
    /** PARAMS4 NUM_SIDS mask. */
    public static final int PARAMS4_NUM_SIDS_MASK = 0x1FF;

    /** TLB_CMD: write {@code (op << 8) | sid}, poll BUSY. */
    public static final int TLB_CMD = 0x80;
    /** TLB_CMD bit 31 (RO): a command is running. */
    public static final int TLB_CMD_BUSY = 1 << 31;
    /** TLB_CMD OP field shift ([10:8]). */
    public static final int TLB_CMD_OP_SHIFT = 8;
    /** TLB_CMD OP field mask (in place). */
    public static final int TLB_CMD_OP_MASK = 0x7 << TLB_CMD_OP_SHIFT;
    /** TLB_CMD STREAM field mask ([7:0]). */
    public static final int TLB_CMD_STREAM_MASK = 0xFF;
    /** TLB_CMD OP 0: flush every SID. */
    public static final int TLB_CMD_OP_FLUSH_ALL = 0;
    /** TLB_CMD OP 1: flush one SID. */
    public static final int TLB_CMD_OP_FLUSH_SID = 1;

    /** ERROR (W1C): bit 31 FLAG, [27:20] STREAM, [14:0] CODE. */
    public static final int ERROR = 0x100;
    /** ERROR bit 31: an error is latched. */
    public static final int ERROR_FLAG = 1 << 31;
    /** ERROR stream field shift. */
    public static final int ERROR_STREAM_SHIFT = 20;
    /** ERROR stream field mask (in place, 8 bits). */
    public static final int ERROR_STREAM_MASK = 0xFF << ERROR_STREAM_SHIFT;
    /** ERROR code field mask. */
    public static final int ERROR_CODE_MASK = 0x7FFF;
    /** ERROR_MASK (RW, reset 0): a code bit set here is not latched. */
    public static final int ERROR_MASK = 0x104;
    /** ERROR_ADDR_LO (RO). */
    public static final int ERROR_ADDR_LO = 0x170;
    /** ERROR_ADDR_HI (RO). */
    public static final int ERROR_ADDR_HI = 0x174;
    /** ERROR_STREAMS word 0 (W1C); word {@code i} at {@code + 4·i}, 8 words, one bit per SID. */
    public static final int ERROR_STREAMS = 0x1C0;

    /** PROTECT (RO): bit 0 TCR/TTBR locked (model option {@code locked}). */
    public static final int PROTECT = 0x200;
    /** PROTECT bit 0. */
    public static final int PROTECT_LOCK_TCR_TTBR = 1;

    /** ENABLE_STREAMS word 0: write 1 to enable a SID; reads the enable state. 8 words. */
    public static final int ENABLE_STREAMS = 0xC00;
    /** DISABLE_STREAMS word 0: write 1 to disable a SID; reads the enable state. 8 words. */
    public static final int DISABLE_STREAMS = 0xC20;
    /** Number of words in each per-SID bitmap (ERROR_STREAMS, ENABLE_STREAMS, DISABLE_STREAMS). */
    public static final int STREAM_WORDS = 8;

    /** TCR[sid] at {@code TCR + 4·sid}. */
    public static final int TCR = 0x1000;
    /** TCR bit 0: translate. */
    public static final int TCR_TRANSLATE_ENABLE = 1;
    /** TCR bit 1: bypass the DART. */
    public static final int TCR_BYPASS_DART = 1 << 1;
    /** TCR bit 2: bypass the DAPF (stored only). */
    public static final int TCR_BYPASS_DAPF = 1 << 2;
    /** TCR bit 3: the TTBR points at a three-table (four-level) walk. */
    public static final int TCR_FOUR_LEVEL = 1 << 3;
    /** Bits of TCR software can write. */
    public static final int TCR_WRITABLE = TCR_TRANSLATE_ENABLE | TCR_BYPASS_DART | TCR_BYPASS_DAPF | TCR_FOUR_LEVEL;

    /** TTBR[sid] at {@code TTBR + 4·sid} (one per SID). */
    public static final int TTBR = 0x1400;
    /** TTBR bit 0: valid. */
    public static final int TTBR_VALID = 1;
    /** TTBR address field [29:2] shift. */
    public static final int TTBR_ADDR_SHIFT = 2;
    /** TTBR address field mask (in place). */
    public static final int TTBR_ADDR_MASK = 0x0FFF_FFFF << TTBR_ADDR_SHIFT;
    /** Table PA shift of the TTBR address field (PA >> 14). */
    public static final int TTBR_SHIFT = 14;

    /**
     * SIDs that have TCR/TTBR registers: the TCR array ends where the TTBR array starts
     * (0x1000 + 4·256 = 0x1400), so NUM_SIDS above 256 names streams without registers.
     */
    public static final int MAX_SIDS_WITH_REGS = maxSidsWithRegs(TTBR);

    /** Fault code: no valid TTBR / IOVA beyond the tables (also: stream blocked, model choice). */
    public static final int CODE_NO_TTBR = 0x01;
    /** Fault code: top entry of a four-level walk invalid. */
    public static final int CODE_NO_PGD = 0x02;
    /** Fault code: middle (or, three-level, top) entry invalid. */
    public static final int CODE_NO_PMD = 0x04;
    /** Fault code: leaf entry invalid. */
    public static final int CODE_NO_PTE = 0x08;
    /** Fault code: write to a NO_WRITE page. */
    public static final int CODE_WRITE_FAULT = 0x10;
    /** Fault code: read of a NO_READ page. */
    public static final int CODE_READ_FAULT = 0x20;

    private T8110Regs() {
    }

    /** @return byte offset of TCR[sid] */
    public static int tcr(int sid) {
        return TCR + 4 * sid;
    }

    /** @return SIDs that have a TCR below a TTBR array at {@code ttbrBase} (0 if it starts below TCR[0]) */
    public static int maxSidsWithRegs(int ttbrBase) {
        return Math.max(0, (ttbrBase - TCR) / 4);
    }

    /** @return byte offset of TTBR[sid] */
    public static int ttbr(int sid) {
        return TTBR + 4 * sid;
    }

    /** @return the TTBR value pointing at a table at {@code pa} (16 KiB aligned) */
    public static int ttbrValue(long pa) {
        return (int) (((pa >>> TTBR_SHIFT) << TTBR_ADDR_SHIFT) & TTBR_ADDR_MASK) | TTBR_VALID;
    }

    /** @return the table PA a TTBR value points at */
    public static long ttbrTable(int ttbr) {
        return (long) ((ttbr & TTBR_ADDR_MASK) >>> TTBR_ADDR_SHIFT) << TTBR_SHIFT;
    }

    /** @return the TLB_CMD value for {@code op} on {@code sid} */
    public static int tlbCmd(int op, int sid) {
        return ((op << TLB_CMD_OP_SHIFT) & TLB_CMD_OP_MASK) | (sid & TLB_CMD_STREAM_MASK);
    }

    /** @return the ERROR value latched for a fault of {@code sid} with {@code code} */
    public static int errorValue(int sid, int code) {
        return ERROR_FLAG | ((sid << ERROR_STREAM_SHIFT) & ERROR_STREAM_MASK) | (code & ERROR_CODE_MASK);
    }
}
