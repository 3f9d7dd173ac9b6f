package io.iommulab.testiommu.model;

/**
 * The "iommulab,test-iommu" datasheet: register block, page-table entry layout and fault codes, in
 * one place. It is a data sheet, not code: the hardware model ({@code ...testiommu.model}) and the
 * driver (its own copy in {@code ...testiommu.impl}) both follow it, and neither reaches into the other.
 *
 * <h2>Register block</h2>
 * {@code reg} entry 0, 0x1000 bytes; every register is 32 bits wide and accessed with 32-bit
 * accesses; undeclared offsets read as zero and ignore writes.
 * <table>
 * <caption>Registers</caption>
 * <tr><th>offset</th><th>name</th><th>access</th><th>fields</th></tr>
 * <tr><td>0x000</td><td>ID</td><td>ro</td><td>[7:0] NUM_STREAMS (model option {@code streams},
 *     default 8, 1..255); [15:8] PAGE_SHIFT = 12; [16] BYPASS_SUPPORT (1 unless option
 *     {@code bypass=false})</td></tr>
 * <tr><td>0x004</td><td>CONFIG</td><td>ro</td><td>[0] LOCK (option {@code locked=true}): CTRL and
 *     TTBR writes are ignored</td></tr>
 * <tr><td>0x010</td><td>CMD</td><td>rw</td><td>[0] INVALIDATE (write 1 to start); [15:8] STREAM
 *     (0xFF = every stream); [31] BUSY (ro): 1 while a command runs. Invalidations complete
 *     immediately unless option {@code busy-stuck=true}, where BUSY stays 1 forever and nothing is
 *     invalidated</td></tr>
 * <tr><td>0x020</td><td>ERROR</td><td>W1C</td><td>[31] FLAG; [23:16] STREAM; [7:0] CODE (see
 *     below). Write the read value back to clear. The first error stays latched until cleared;
 *     later faults still fail their transaction and raise the interrupt but do not overwrite
 *     it</td></tr>
 * <tr><td>0x024</td><td>ERROR_ADDR_LO</td><td>ro</td><td>faulting IOVA [31:0]</td></tr>
 * <tr><td>0x028</td><td>ERROR_ADDR_HI</td><td>ro</td><td>faulting IOVA [63:32]</td></tr>
 * <tr><td>0x100 + 8·sid</td><td>CTRL[sid]</td><td>rw</td><td>[0] TRANSLATE; [1] BYPASS. Neither
 *     or both set: the stream is blocked</td></tr>
 * <tr><td>0x104 + 8·sid</td><td>TTBR[sid]</td><td>rw</td><td>[31] VALID; [27:0] L1 table physical
 *     address &gt;&gt; 12</td></tr>
 * </table>
 * Interrupt 0 of the node is the fault interrupt (level-style: raised once per faulting
 * transaction; the line may be shared).
 *
 * <h2>Translation</h2>
 * 4 KiB granule, IAS 30 (aperture 0..0x3fff_ffff; a translated IOVA at or above 2^30 faults with
 * NO_TABLE), OAS 48. Two levels of 4 KiB tables of 512 little-endian 64-bit entries: L1 index =
 * IOVA[29:21], L2 index = IOVA[20:12]. A bypassed stream passes addresses through unchanged (one
 * transaction covers at most the rest of its 2 MiB-aligned region).
 * <table>
 * <caption>Page-table entry</caption>
 * <tr><th>bits</th><th>name</th><th>meaning</th></tr>
 * <tr><td>0</td><td>VALID</td><td>entry is valid</td></tr>
 * <tr><td>1</td><td>TABLE</td><td>L1 only: 1 = points to an L2 table, 0 = 2 MiB block; ignored at
 *     L2</td></tr>
 * <tr><td>6</td><td>READ</td><td>leaf only: reads allowed</td></tr>
 * <tr><td>7</td><td>WRITE</td><td>leaf only: writes allowed</td></tr>
 * <tr><td>47:12</td><td>ADDR</td><td>output page / next table physical address (a block uses
 *     [47:21]; bits [20:12] of a block entry are ignored)</td></tr>
 * </table>
 * Each stream has an IOTLB (option {@code iotlb-entries}, default 64, oldest entry evicted) caching
 * successful leaf translations (page or block, output address, permissions). It is not coherent
 * with memory: a changed entry is seen only after software invalidates the stream.
 *
 * <h2>Fault codes (ERROR.CODE)</h2>
 * <table>
 * <caption>Codes</caption>
 * <tr><th>code</th><th>name</th><th>cause</th></tr>
 * <tr><td>0x01</td><td>NO_TTBR</td><td>stream translates but TTBR.VALID is clear</td></tr>
 * <tr><td>0x02</td><td>NO_TABLE</td><td>L1 entry invalid (or IOVA beyond the IAS)</td></tr>
 * <tr><td>0x04</td><td>NO_PTE</td><td>L2 entry invalid</td></tr>
 * <tr><td>0x08</td><td>READ_PROT</td><td>read of a leaf without READ</td></tr>
 * <tr><td>0x10</td><td>WRITE_PROT</td><td>write of a leaf without WRITE</td></tr>
 * <tr><td>0x20</td><td>BLOCKED</td><td>stream neither translates nor bypasses</td></tr>
 * </table>
 */
public final class TestIommuRegs {

    /** Compatible string of the hardware. */
    public static final String COMPATIBLE = "iommulab,test-iommu";

    /** Size of the register block. */
    public static final int REG_SIZE = 0x1000;

    public static final int ID = 0x000;
    public static final int ID_NUM_STREAMS_MASK = 0xff;
    public static final int ID_PAGE_SHIFT_SHIFT = 8;
    public static final int ID_PAGE_SHIFT_MASK = 0xff << ID_PAGE_SHIFT_SHIFT;
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
    public static final long APERTURE_END = (1L << IAS) - 1;
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

    /** @return the CMD value that invalidates {@code sid} ({@link #CMD_STREAM_ALL} for all) */
    public static int cmdInvalidate(int sid) {
        return CMD_INVALIDATE | ((sid << CMD_STREAM_SHIFT) & CMD_STREAM_MASK);
    }

    /** @return the TTBR value pointing at an L1 table (4 KiB aligned, below 2^40) */
    public static int ttbrValue(long l1Pa) {
        return TTBR_VALID | (int) ((l1Pa >>> TTBR_ADDR_SHIFT) & TTBR_ADDR_MASK);
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
