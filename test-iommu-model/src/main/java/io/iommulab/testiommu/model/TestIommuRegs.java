package io.iommulab.testiommu.model;

/**
 * The hardware's own register constants of {@code iommulab,test-iommu}: the register block, the
 * page-table entry and the fault codes, as the datasheet ({@code test-iommu-model/README.md})
 * gives them.
 *
 * <p>Kept twice on purpose: the driver bundle has its own copy ({@code io.iommulab.testiommu.impl.TestIommuRegs}),
 * as silicon and its driver each have their own header. The model must never import driver code
 * (hardware outlives software: a model bundle that depended on a driver would be restarted, and
 * reset, whenever the driver is updated), and a disagreement between the two copies shows up as
 * a failing test instead of being hidden by a shared constant.
 */
public final class TestIommuRegs {

    /** Compatible string of the hardware. */
    public static final String COMPATIBLE = "iommulab,test-iommu";

    /** Size of the register block. */
    public static final int REG_SIZE = 0x1000;

    public static final int ID = 0x000;
    public static final int ID_NUM_STREAMS_MASK = 0xff;
    public static final int ID_PAGE_SHIFT_SHIFT = 8;
    public static final int ID_BYPASS_SUPPORT = 1 << 16;

    public static final int CONFIG = 0x004;
    public static final int CONFIG_LOCK = 1;

    public static final int CMD = 0x010;
    public static final int CMD_INVALIDATE = 1;
    public static final int CMD_STREAM_SHIFT = 8;
    public static final int CMD_STREAM_MASK = 0xff << CMD_STREAM_SHIFT;
    public static final int CMD_BUSY = 1 << 31;
    /** CMD.STREAM value selecting every stream. */
    public static final int CMD_STREAM_ALL = 0xff;

    public static final int ERROR = 0x020;
    public static final int ERROR_FLAG = 1 << 31;
    public static final int ERROR_STREAM_SHIFT = 16;
    public static final int ERROR_STREAM_MASK = 0xff << ERROR_STREAM_SHIFT;
    public static final int ERROR_CODE_MASK = 0xff;
    public static final int ERROR_ADDR_LO = 0x024;
    public static final int ERROR_ADDR_HI = 0x028;

    public static final int CODE_NO_TTBR = 0x01;
    public static final int CODE_NO_TABLE = 0x02;
    public static final int CODE_NO_PTE = 0x04;
    public static final int CODE_READ_PROT = 0x08;
    public static final int CODE_WRITE_PROT = 0x10;
    public static final int CODE_BLOCKED = 0x20;

    public static final int CTRL_BASE = 0x100;
    public static final int TTBR_BASE = 0x104;
    public static final int STREAM_STRIDE = 8;
    public static final int CTRL_TRANSLATE = 1;
    public static final int CTRL_BYPASS = 1 << 1;
    public static final int TTBR_VALID = 1 << 31;
    public static final int TTBR_ADDR_MASK = 0x0fff_ffff;
    public static final int TTBR_ADDR_SHIFT = 12;

    /** Largest NUM_STREAMS: STREAM 0xFF means "all" in CMD. */
    public static final int MAX_STREAMS = 255;

    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    public static final int BLOCK_SHIFT = 21;
    public static final long BLOCK_SIZE = 1L << BLOCK_SHIFT;
    public static final int IAS = 30;
    public static final int OAS = 48;
    public static final int PTES_PER_TABLE = 512;
    public static final int INDEX_MASK = PTES_PER_TABLE - 1;

    public static final long PTE_VALID = 1L;
    public static final long PTE_TABLE = 1L << 1;
    public static final long PTE_READ = 1L << 6;
    public static final long PTE_WRITE = 1L << 7;
    /** Output / table address bits [47:12]. */
    public static final long PTE_ADDR_MASK = ((1L << OAS) - 1) & ~(PAGE_SIZE - 1);
    /** Output address bits of a 2 MiB block, [47:21]. */
    public static final long PTE_BLOCK_ADDR_MASK = ((1L << OAS) - 1) & ~(BLOCK_SIZE - 1);

    private TestIommuRegs() {
    }

    /** @return byte offset of CTRL[sid] */
    public static int ctrl(int sid) {
        return CTRL_BASE + STREAM_STRIDE * sid;
    }

    /** @return byte offset of TTBR[sid] */
    public static int ttbr(int sid) {
        return TTBR_BASE + STREAM_STRIDE * sid;
    }

    /** @return L1 index of an IOVA, IOVA[29:21] */
    public static int l1Index(long iova) {
        return (int) (iova >>> BLOCK_SHIFT) & INDEX_MASK;
    }

    /** @return L2 index of an IOVA, IOVA[20:12] */
    public static int l2Index(long iova) {
        return (int) (iova >>> PAGE_SHIFT) & INDEX_MASK;
    }

    /** @return the L1 table address a TTBR value points at */
    public static long ttbrTable(int ttbr) {
        return (long) (ttbr & TTBR_ADDR_MASK) << TTBR_ADDR_SHIFT;
    }

    /** @return the ERROR value latched for a fault */
    public static int errorValue(int sid, int code) {
        return ERROR_FLAG | ((sid << ERROR_STREAM_SHIFT) & ERROR_STREAM_MASK) | (code & ERROR_CODE_MASK);
    }

    /** @return the datasheet name of a fault code, e.g. {@code "NO_PTE"}; {@code "UNKNOWN"} otherwise */
    public static String codeName(int code) {
        switch (code) {
            case CODE_NO_TTBR: return "NO_TTBR";
            case CODE_NO_TABLE: return "NO_TABLE";
            case CODE_NO_PTE: return "NO_PTE";
            case CODE_READ_PROT: return "READ_PROT";
            case CODE_WRITE_PROT: return "WRITE_PROT";
            case CODE_BLOCKED: return "BLOCKED";
            default: return "UNKNOWN";
        }
    }
}
