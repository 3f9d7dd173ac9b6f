package io.iommulab.dart.impl.hw;

import io.iommulab.klib.Bits;

import static io.iommulab.klib.Bits.genmask;

/**
 * Register map of the T8020 family (t8103, t8103-usb4, t6000), dart-facts §1.2, §1.3, §1.5, §1.7.
 * Offsets are bytes into the DART's window; every register is 32 bits. The usb4 DART's own
 * offsets (TTBR base, second stream-enable word) belong to its variant bundle. The hardware model
 * keeps its own copy ({@code dart-model}'s T8020Regs) on purpose: a disagreement fails a test.
 */
public final class T8020Regs {

    private T8020Regs() {
    }

    /** PARAMS1: [27:24] page shift */
    public static final int PARAMS1 = 0x00;
    public static final int PARAMS1_PAGE_SHIFT = genmask(27, 24);
    /** PARAMS2: bit 0 bypass support */
    public static final int PARAMS2 = 0x04;
    public static final int PARAMS2_BYPASS_SUPPORT = 1;

    /** STREAM_COMMAND: write INVALIDATE, poll BUSY */
    public static final int STREAM_COMMAND = 0x20;
    public static final int STREAM_COMMAND_BUSY = 1 << 2;
    public static final int STREAM_COMMAND_INVALIDATE = 1 << 20;
    /** STREAM_SELECT word 0; word i (SIDs 32i..32i+31) at +4·i */
    public static final int STREAM_SELECT = 0x34;

    /** ERROR: W1C */
    public static final int ERROR = 0x40;
    public static final int ERROR_FLAG = 1 << 31;
    public static final int ERROR_STREAM = genmask(27, 24);
    public static final int ERROR_CODE = genmask(11, 0);
    public static final int ERROR_READ_FAULT = 1 << 4;
    public static final int ERROR_WRITE_FAULT = 1 << 3;
    public static final int ERROR_NO_PTE = 1 << 2;
    public static final int ERROR_NO_PMD = 1 << 1;
    public static final int ERROR_NO_TTBR = 1;
    public static final int ERROR_ADDR_LO = 0x50;
    public static final int ERROR_ADDR_HI = 0x54;

    /** CONFIG: bit 15 LOCK */
    public static final int CONFIG = 0x60;
    public static final int CONFIG_LOCK = 1 << 15;

    /** STREAMS_ENABLE word 0 */
    public static final int STREAMS_ENABLE = 0xFC;

    /** TCR[0]; TCR[sid] at +4·sid */
    public static final int TCR = 0x100;
    public static final int TCR_TRANSLATE_ENABLE = 1 << 7;
    public static final int TCR_BYPASS_DART = 1 << 8;
    public static final int TCR_BYPASS_DAPF = 1 << 12;

    /** TTBR[0][0]; four per stream */
    public static final int TTBR = 0x200;
    public static final int TTBR_VALID = 1 << 31;
    public static final int TTBR_ADDR_FIELD_SHIFT = 0;
    public static final int TTBR_SHIFT = 12;
    public static final int TTBR_COUNT = 4;

    /** Fixed input address size of the family */
    public static final int IAS = 32;
}
