package io.iommulab.testiommu.impl;

/**
 * The driver's own register constants of {@code iommulab,test-iommu} (what {@code apple-dart.c}
 * keeps in its {@code DART_*} defines): the registers it programs, the page-table entry it writes
 * and the fault codes it decodes, from the datasheet ({@code test-iommu-model/README.md}).
 *
 * <p>Kept twice on purpose: the hardware model has its own copy ({@code io.iommulab.testiommu.model.TestIommuRegs}),
 * as silicon and its driver each have their own header. Either bundle updates alone, the model
 * never depends on driver code, and a disagreement between the two copies fails a test (the
 * driver's tests run it against the model) instead of being hidden by a shared constant.
 */
final class TestIommuRegs {

    /** Compatible string the driver binds. */
    static final String COMPATIBLE = "iommulab,test-iommu";

    /** ID: [7:0] NUM_STREAMS, [15:8] PAGE_SHIFT, [16] BYPASS_SUPPORT. */
    static final int ID = 0x000;
    static final int ID_NUM_STREAMS_MASK = 0xff;
    static final int ID_PAGE_SHIFT_SHIFT = 8;
    static final int ID_PAGE_SHIFT_MASK = 0xff << ID_PAGE_SHIFT_SHIFT;
    static final int ID_BYPASS_SUPPORT = 1 << 16;

    /** CONFIG: [0] LOCK, stream configuration writes are ignored. */
    static final int CONFIG = 0x004;
    static final int CONFIG_LOCK = 1;

    /** CMD: [0] INVALIDATE, [15:8] STREAM (0xFF every stream), [31] BUSY. */
    static final int CMD = 0x010;
    static final int CMD_INVALIDATE = 1;
    static final int CMD_STREAM_SHIFT = 8;
    static final int CMD_STREAM_MASK = 0xff << CMD_STREAM_SHIFT;
    static final int CMD_BUSY = 1 << 31;
    static final int CMD_STREAM_ALL = 0xff;

    /** ERROR (W1C): [31] FLAG, [23:16] STREAM, [7:0] CODE; then the faulting IOVA in two words. */
    static final int ERROR = 0x020;
    static final int ERROR_FLAG = 1 << 31;
    static final int ERROR_STREAM_SHIFT = 16;
    static final int ERROR_STREAM_MASK = 0xff << ERROR_STREAM_SHIFT;
    static final int ERROR_CODE_MASK = 0xff;
    static final int ERROR_ADDR_LO = 0x024;
    static final int ERROR_ADDR_HI = 0x028;

    static final int CODE_NO_TTBR = 0x01;
    static final int CODE_NO_TABLE = 0x02;
    static final int CODE_NO_PTE = 0x04;
    static final int CODE_READ_PROT = 0x08;
    static final int CODE_WRITE_PROT = 0x10;
    static final int CODE_BLOCKED = 0x20;

    /** Per stream: CTRL at 0x100 + 8·sid ([0] TRANSLATE, [1] BYPASS), TTBR at 0x104 + 8·sid. */
    static final int CTRL_BASE = 0x100;
    static final int TTBR_BASE = 0x104;
    static final int STREAM_STRIDE = 8;
    static final int CTRL_TRANSLATE = 1;
    static final int CTRL_BYPASS = 1 << 1;
    /** TTBR: [31] VALID, [27:0] L1 table address >> 12, so tables must lie below 2^40. */
    static final int TTBR_VALID = 1 << 31;
    static final int TTBR_ADDR_MASK = 0x0fff_ffff;
    static final int TTBR_ADDR_SHIFT = 12;

    /** Two levels of 512 entries: 4 KiB pages, 2 MiB blocks, a 30-bit aperture, 48-bit outputs. */
    static final int PAGE_SHIFT = 12;
    static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    static final int BLOCK_SHIFT = 21;
    static final long BLOCK_SIZE = 1L << BLOCK_SHIFT;
    static final int IAS = 30;
    static final int OAS = 48;
    static final long APERTURE_END = (1L << IAS) - 1;
    static final int PTES_PER_TABLE = 512;
    static final int INDEX_MASK = PTES_PER_TABLE - 1;

    static final long PTE_VALID = 1L;
    /** L1 only: the entry points at an L2 table (clear: a 2 MiB block). */
    static final long PTE_TABLE = 1L << 1;
    static final long PTE_READ = 1L << 6;
    static final long PTE_WRITE = 1L << 7;
    /** Output or next-table address, bits [47:12]. */
    static final long PTE_ADDR_MASK = ((1L << OAS) - 1) & ~(PAGE_SIZE - 1);
    /** Output address of a 2 MiB block, bits [47:21]. */
    static final long PTE_BLOCK_ADDR_MASK = ((1L << OAS) - 1) & ~(BLOCK_SIZE - 1);

    private TestIommuRegs() {
    }

    /** @return byte offset of CTRL[sid] */
    static int ctrl(int sid) {
        return CTRL_BASE + STREAM_STRIDE * sid;
    }

    /** @return byte offset of TTBR[sid] */
    static int ttbr(int sid) {
        return TTBR_BASE + STREAM_STRIDE * sid;
    }

    /** @return the L1 index of an IOVA, IOVA[29:21] */
    static int l1Index(long iova) {
        return (int) (iova >>> BLOCK_SHIFT) & INDEX_MASK;
    }

    /** @return the L2 index of an IOVA, IOVA[20:12] */
    static int l2Index(long iova) {
        return (int) (iova >>> PAGE_SHIFT) & INDEX_MASK;
    }

    /** @return the CMD value that invalidates {@code sid} ({@link #CMD_STREAM_ALL} for all) */
    static int cmdInvalidate(int sid) {
        return CMD_INVALIDATE | ((sid << CMD_STREAM_SHIFT) & CMD_STREAM_MASK);
    }

    /** @return the TTBR value pointing at an L1 table (4 KiB aligned, below 2^40) */
    static int ttbrValue(long l1Pa) {
        return TTBR_VALID | (int) ((l1Pa >>> TTBR_ADDR_SHIFT) & TTBR_ADDR_MASK);
    }

    /** @return the name of an ERROR.CODE for log lines and fault reports, e.g. {@code "NO_PTE"} */
    static String codeName(int code) {
        return switch (code) {
            case CODE_NO_TTBR -> "NO_TTBR";
            case CODE_NO_TABLE -> "NO_TABLE";
            case CODE_NO_PTE -> "NO_PTE";
            case CODE_READ_PROT -> "READ_PROT";
            case CODE_WRITE_PROT -> "WRITE_PROT";
            case CODE_BLOCKED -> "BLOCKED";
            default -> "UNKNOWN";
        };
    }
}
