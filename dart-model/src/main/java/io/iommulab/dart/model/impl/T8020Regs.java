package io.iommulab.dart.model.impl;

/**
 * Register map of the T8020 DART family (t8103, t8103-usb4 and t6000, which share these registers),
 * as the hardware model implements it: dart-facts §1.2, §1.3, §1.5–§1.7 and the model contract
 * ({@code dart-model/README.md}, "Register map"). All registers are 32 bits wide.
 *
 * <p>Kept apart from the driver's {@code io.iommulab.dart.impl.hw.T8020Regs} on purpose: the model
 * never imports driver code, so a disagreement between the two copies shows up as a failing test.
 */
public final class T8020Regs {

    /** PARAMS1 (RO): [27:24] log2 of the page size. */
    public static final int PARAMS1 = 0x00;
    /** PARAMS1 page-shift field shift. */
    public static final int PARAMS1_PAGE_SHIFT_SHIFT = 24;
    /** PARAMS1 page-shift field mask (in place). */
    public static final int PARAMS1_PAGE_SHIFT_MASK = 0xF << PARAMS1_PAGE_SHIFT_SHIFT;

    /** PARAMS2 (RO): bit 0 bypass support. */
    public static final int PARAMS2 = 0x04;
    /** PARAMS2 bypass support bit. */
    public static final int PARAMS2_BYPASS_SUPPORT = 1;

    /** STREAM_COMMAND: write INVALIDATE, poll BUSY. */
    public static final int STREAM_COMMAND = 0x20;
    /** STREAM_COMMAND bit 20: invalidate the IOTLB of the SIDs in STREAM_SELECT. */
    public static final int STREAM_COMMAND_INVALIDATE = 1 << 20;
    /** STREAM_COMMAND bit 2 (RO): a command is running. */
    public static final int STREAM_COMMAND_BUSY = 1 << 2;

    /** STREAM_SELECT word 0; word {@code i} (SIDs 32·i..32·i+31) is at {@code STREAM_SELECT + 4·i}. */
    public static final int STREAM_SELECT = 0x34;

    /** ERROR (W1C): bit 31 FLAG, [27:24] STREAM, [11:0] CODE. */
    public static final int ERROR = 0x40;
    /** ERROR bit 31: an error is latched. */
    public static final int ERROR_FLAG = 1 << 31;
    /** ERROR stream field shift. */
    public static final int ERROR_STREAM_SHIFT = 24;
    /** ERROR stream field mask (in place): 4 bits, so SIDs of the 64-SID usb4 DART are truncated (dart-facts §1.7). */
    public static final int ERROR_STREAM_MASK = 0xF << ERROR_STREAM_SHIFT;
    /** ERROR code field mask. */
    public static final int ERROR_CODE_MASK = 0xFFF;
    /** ERROR_ADDR_LO (RO): faulting IOVA [31:0]. */
    public static final int ERROR_ADDR_LO = 0x50;
    /** ERROR_ADDR_HI (RO): faulting IOVA [63:32]. */
    public static final int ERROR_ADDR_HI = 0x54;

    /** CONFIG (RO): bit 15 LOCK. */
    public static final int CONFIG = 0x60;
    /** CONFIG bit 15: TCR/TTBR locked until reboot (model option {@code locked}). */
    public static final int CONFIG_LOCK = 1 << 15;

    /** STREAMS_ENABLE word 0 (SIDs 0–31). */
    public static final int STREAMS_ENABLE = 0xFC;
    /**
     * STREAMS_ENABLE word 1 (SIDs 32–63) of the usb4 DART (model choice after dart-facts §1.9 (b): m1n1
     * calls 0xF8 UNK1, a fork puts the second word there; upstream's 0xFC+4 = 0x100 is TCR[0]).
     */
    public static final int USB4_STREAMS_ENABLE_1 = 0xF8;

    /** TCR[sid] at {@code TCR + 4·sid}. */
    public static final int TCR = 0x100;
    /** TCR bit 7: translate through the stream's tables. */
    public static final int TCR_TRANSLATE_ENABLE = 1 << 7;
    /** TCR bit 8: bypass the DART (PA = IOVA). */
    public static final int TCR_BYPASS_DART = 1 << 8;
    /** TCR bit 12: bypass the DAPF (not modelled beyond being stored). */
    public static final int TCR_BYPASS_DAPF = 1 << 12;
    /** Bits of TCR software can write. */
    public static final int TCR_WRITABLE = TCR_TRANSLATE_ENABLE | TCR_BYPASS_DART | TCR_BYPASS_DAPF;

    /** TTBR base of t8103 and t6000; TTBR[sid][idx] at {@code base + 16·sid + 4·idx}. */
    public static final int TTBR = 0x200;
    /** TTBR base of the usb4 DART. */
    public static final int USB4_TTBR = 0x400;
    /** TTBRs per SID. */
    public static final int TTBR_COUNT = 4;
    /** Bytes between the TTBR groups of consecutive SIDs. */
    public static final int TTBR_SID_STRIDE = 16;
    /** TTBR bit 31: the entry points at a table. */
    public static final int TTBR_VALID = 1 << 31;
    /** TTBR [30:0]: table PA >> 12. */
    public static final int TTBR_ADDR_MASK = 0x7FFF_FFFF;
    /** TTBR address shift. */
    public static final int TTBR_SHIFT = 12;

    /** Fault code: no valid TTBR for the IOVA (also: stream blocked, model choice). */
    public static final int CODE_NO_TTBR = 0x01;
    /** Fault code: top-level table entry invalid. */
    public static final int CODE_NO_PMD = 0x02;
    /** Fault code: leaf entry invalid. */
    public static final int CODE_NO_PTE = 0x04;
    /** Fault code: write to a NO_WRITE page. */
    public static final int CODE_WRITE_FAULT = 0x08;
    /** Fault code: read of a NO_READ page. */
    public static final int CODE_READ_FAULT = 0x10;

    private T8020Regs() {
    }

    /** @return byte offset of TCR[sid] */
    public static int tcr(int sid) {
        return TCR + 4 * sid;
    }

    /** @return byte offset of TTBR[sid][idx] for a TTBR array at {@code base} */
    public static int ttbr(int base, int sid, int idx) {
        return base + TTBR_SID_STRIDE * sid + 4 * idx;
    }

    /** @return the TTBR value pointing at a table at {@code pa} (4 KiB aligned) */
    public static int ttbrValue(long pa) {
        return TTBR_VALID | (int) ((pa >>> TTBR_SHIFT) & TTBR_ADDR_MASK);
    }

    /** @return the table PA a TTBR value points at */
    public static long ttbrTable(int ttbr) {
        return (long) (ttbr & TTBR_ADDR_MASK) << TTBR_SHIFT;
    }

    /** @return the ERROR value latched for a fault of {@code sid} with {@code code} */
    public static int errorValue(int sid, int code) {
        return ERROR_FLAG | ((sid << ERROR_STREAM_SHIFT) & ERROR_STREAM_MASK) | (code & ERROR_CODE_MASK);
    }
}
