package io.iommulab.dart.impl.hw;

import io.iommulab.klib.Bits;

import static io.iommulab.klib.Bits.genmask;

/**
 * Register map of the T8110 family (t8110, t6020), dart-facts §1.2, §1.4, §1.5, §1.7. Offsets are
 * bytes into the DART's window; every register is 32 bits. The hardware model keeps its own copy
 * ({@code dart-model}'s T8110Regs) on purpose: a disagreement fails a test.
 */
public final class T8110Regs {

    private T8110Regs() {
    }

    /** PARAMS1 (m1n1: PARAMS_0): [27:24] page shift */
    public static final int PARAMS1 = 0x00;
    public static final int PARAMS1_PAGE_SHIFT = genmask(27, 24);
    /** PARAMS2: bit 0 bypass support */
    public static final int PARAMS2 = 0x04;
    public static final int PARAMS2_BYPASS_SUPPORT = 1;
    /** PARAMS3: PA/VA width, version */
    public static final int PARAMS3 = 0x08;
    public static final int PARAMS3_PA_WIDTH = genmask(29, 24);
    public static final int PARAMS3_VA_WIDTH = genmask(21, 16);
    public static final int PARAMS3_VER_MAJ = genmask(15, 8);
    public static final int PARAMS3_VER_MIN = genmask(7, 0);
    /** PARAMS4: clients, SIDs */
    public static final int PARAMS4 = 0x0C;
    public static final int PARAMS4_NUM_CLIENTS = genmask(24, 16);
    public static final int PARAMS4_NUM_SIDS = genmask(8, 0);

    /** TLB_CMD: (op, stream); BUSY while running */
    public static final int TLB_CMD = 0x80;
    public static final int TLB_CMD_BUSY = 1 << 31;
    public static final int TLB_CMD_OP = genmask(10, 8);
    public static final int TLB_CMD_OP_FLUSH_ALL = 0;
    public static final int TLB_CMD_OP_FLUSH_SID = 1;
    public static final int TLB_CMD_STREAM = genmask(7, 0);

    /** ERROR: W1C */
    public static final int ERROR = 0x100;
    public static final int ERROR_FLAG = 1 << 31;
    public static final int ERROR_STREAM = genmask(27, 20);
    public static final int ERROR_CODE = genmask(14, 0);
    public static final int ERROR_READ_FAULT = 1 << 5;
    public static final int ERROR_WRITE_FAULT = 1 << 4;
    public static final int ERROR_NO_PTE = 1 << 3;
    public static final int ERROR_NO_PMD = 1 << 2;
    public static final int ERROR_NO_PGD = 1 << 1;
    public static final int ERROR_NO_TTBR = 1;
    /** ERROR_MASK: a set code bit is not latched; reset writes 0 */
    public static final int ERROR_MASK = 0x104;
    public static final int ERROR_ADDR_LO = 0x170;
    public static final int ERROR_ADDR_HI = 0x174;
    /** ERROR_STREAMS word 0 of 8: bit per SID that faulted; W1C */
    public static final int ERROR_STREAMS = 0x1C0;
    public static final int ERROR_STREAMS_WORDS = 8;

    /** PROTECT: bit 0 TTBR/TCR protected ("locked") */
    public static final int PROTECT = 0x200;
    public static final int PROTECT_TTBR_TCR = 1;

    /** ENABLE_STREAMS word 0 of 8 (write 1 to set) */
    public static final int ENABLE_STREAMS = 0xC00;
    /** DISABLE_STREAMS word 0 of 8 (write 1 to clear) */
    public static final int DISABLE_STREAMS = 0xC20;
    public static final int STREAM_WORDS = 8;

    /** TCR[0]; TCR[sid] at +4·sid */
    public static final int TCR = 0x1000;
    public static final int TCR_TRANSLATE_ENABLE = 1;
    public static final int TCR_BYPASS_DART = 1 << 1;
    public static final int TCR_BYPASS_DAPF = 1 << 2;
    public static final int TCR_FOUR_LEVEL = 1 << 3;

    /** TTBR[0]; one per stream */
    public static final int TTBR = 0x1400;
    public static final int TTBR_VALID = 1;
    public static final int TTBR_ADDR_FIELD_SHIFT = 2;
    public static final int TTBR_SHIFT = 14;
    public static final int TTBR_COUNT = 1;

    /** IAS above which the DART walks four-level tables (four_level = ias &gt; 36) */
    public static final int FOUR_LEVEL_IAS = 36;
}
