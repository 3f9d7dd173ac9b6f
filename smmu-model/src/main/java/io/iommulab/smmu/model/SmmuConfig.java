package io.iommulab.smmu.model;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.ModelOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The strapping of one SMMUv2 instance: the model options of the contract ("Model options") and
 * the node's {@code #global-interrupts}. Options come from the node's {@code iommulab,model-options}
 * and the machine properties {@code iommulab.model.<node-path>.<key>}, already merged by the machine.
 *
 * @param contextBanks     option {@code context-banks}: ID1.NUMCB, 1..128 (default 8)
 * @param smrs             option {@code smrs}: ID0.NUMSMRG, 1..128 (default 32); 0 under stream indexing
 * @param streamIndexing   option {@code stream-indexing}: no SMRs, the stream id indexes the S2CRs
 *                         (default false)
 * @param sidBits          option {@code sid-bits}: ID0.NUMSIDB and the width of SMR.ID / SMR.MASK;
 *                         1..15 (default 15), under stream indexing 1..8 (default 7)
 * @param granules         option {@code granules}: a non-empty subset of 4k, 16k, 64k as ID2.PTFS_*
 *                         bits (default all three)
 * @param ias              option {@code ias}: ID2.IAS in bits (default 48)
 * @param oas              option {@code oas}: ID2.OAS in bits (default 48)
 * @param ubs              option {@code ubs}: ID2.UBS in bits (default 48)
 * @param tlbEntries       option {@code tlb-entries}: TLB capacity, 0 = no TLB (default 128)
 * @param syncStuck        option {@code sync-stuck}: SACTIVE / GSACTIVE never clear once a sync is
 *                         issued (default false)
 * @param globalInterrupts the node's {@code #global-interrupts} (default 1): ID0.NUMIRPT, and the
 *                         index of bank 0's context interrupt
 */
public record SmmuConfig(int contextBanks, int smrs, boolean streamIndexing, int sidBits, int granules, int ias,
        int oas, int ubs, int tlbEntries, boolean syncStuck, int globalInterrupts) {

    /** Option key: number of context banks. */
    public static final String CONTEXT_BANKS = "context-banks";
    /** Option key: number of stream-match register groups. */
    public static final String SMRS = "smrs";
    /** Option key: stream indexing instead of stream matching. */
    public static final String STREAM_INDEXING = "stream-indexing";
    /** Option key: stream id bits. */
    public static final String SID_BITS = "sid-bits";
    /** Option key: supported translation granules. */
    public static final String GRANULES = "granules";
    /** Option key: ID2.IAS. */
    public static final String IAS = "ias";
    /** Option key: ID2.OAS. */
    public static final String OAS = "oas";
    /** Option key: ID2.UBS. */
    public static final String UBS = "ubs";
    /** Option key: TLB capacity. */
    public static final String TLB_ENTRIES = "tlb-entries";
    /** Option key: syncs never complete. */
    public static final String SYNC_STUCK = "sync-stuck";

    /** Default number of context banks. */
    public static final int DEFAULT_CONTEXT_BANKS = 8;
    /** Most context banks (the contract's range; ID1.NUMCB is 8 bits). */
    public static final int MAX_CONTEXT_BANKS = 128;
    /** Default number of SMRs. */
    public static final int DEFAULT_SMRS = 32;
    /** Most SMRs (they end at 0xA00, below the S2CRs at 0xC00). */
    public static final int MAX_SMRS = 128;
    /** Default and largest {@code sid-bits} with SMRs: SMR.ID and SMR.MASK are 15 bits when VALID is bit 31. */
    public static final int MAX_SID_BITS = 15;
    /** Default {@code sid-bits} under stream indexing. */
    public static final int DEFAULT_INDEXED_SID_BITS = 7;
    /**
     * Largest {@code sid-bits} under stream indexing: 2^8 = 256 S2CRs fill GR0 from 0xC00 to the end
     * of the 4 KiB page; more would run into GR1 (model choice, narrower than the contract's 10).
     */
    public static final int MAX_INDEXED_SID_BITS = 8;
    /** Default TLB capacity. */
    public static final int DEFAULT_TLB_ENTRIES = 128;
    /** Largest TLB capacity. */
    public static final int MAX_TLB_ENTRIES = 4096;
    /** Address sizes ID2.IAS/OAS/UBS can encode, in encoding order (0 = 32 bits ... 5 = 48 bits). */
    public static final List<Integer> ADDRESS_SIZES = List.of(32, 36, 40, 42, 44, 48);
    /** Node property: number of global interrupts before the context interrupts. */
    public static final String GLOBAL_INTERRUPTS = "#global-interrupts";

    private static final Set<String> KNOWN = Set.of(CONTEXT_BANKS, SMRS, STREAM_INDEXING, SID_BITS, GRANULES, IAS,
            OAS, UBS, TLB_ENTRIES, SYNC_STUCK);
    private static final String MODEL = "arm-smmu-v2 model";
    /** Option {@code granules} words, in the order of {@link #GRANULE_BITS}. */
    private static final List<String> GRANULE_NAMES = List.of("4k", "16k", "64k");
    private static final List<Integer> GRANULE_BITS = List.of(SmmuRegs.ID2_PTFS_4K, SmmuRegs.ID2_PTFS_16K,
            SmmuRegs.ID2_PTFS_64K);

    /**
     * Decodes the options of a node. Nothing is built when an option is wrong.
     *
     * @param node             node path, for messages
     * @param options          the node's options
     * @param globalInterrupts the node's {@code #global-interrupts} cell
     * @throws IommuException EINVAL naming the node, the key and the value of an unknown key, a
     *         value that does not parse or is out of range, or {@code smrs} given with stream indexing
     */
    public static SmmuConfig from(String node, ModelOptions options, int globalInterrupts) {
        options.requireKnown(KNOWN);
        if (globalInterrupts < 0 || globalInterrupts > 0xFF) {
            throw new IommuException(Errno.EINVAL, String.format("%s: %s: %s = %d is not in 0..255", node, MODEL,
                    GLOBAL_INTERRUPTS, globalInterrupts));
        }
        boolean indexing = options.bool(STREAM_INDEXING, false);
        if (indexing && options.has(SMRS)) {
            // Stream indexing has no SMRs (ID0.NUMSMRG = 0); a count for them is a contradiction.
            throw options.invalid(SMRS, "does not apply with " + STREAM_INDEXING + "=true");
        }
        int smrs = indexing ? 0 : options.integer(SMRS, DEFAULT_SMRS, 1, MAX_SMRS);
        int sidBits = indexing
                ? options.integer(SID_BITS, DEFAULT_INDEXED_SID_BITS, 1, MAX_INDEXED_SID_BITS)
                : options.integer(SID_BITS, MAX_SID_BITS, 1, MAX_SID_BITS);
        return new SmmuConfig(
                options.integer(CONTEXT_BANKS, DEFAULT_CONTEXT_BANKS, 1, MAX_CONTEXT_BANKS),
                smrs, indexing, sidBits,
                granules(options.subsetOf(GRANULES, GRANULE_NAMES, GRANULE_NAMES)),
                options.oneOf(IAS, 48, ADDRESS_SIZES), options.oneOf(OAS, 48, ADDRESS_SIZES),
                options.oneOf(UBS, 48, ADDRESS_SIZES),
                options.integer(TLB_ENTRIES, DEFAULT_TLB_ENTRIES, 0, MAX_TLB_ENTRIES),
                options.bool(SYNC_STUCK, false),
                globalInterrupts);
    }

    /** @return ID2.PTFS_* bits of granule names ({@link #GRANULE_NAMES}) */
    private static int granules(List<String> names) {
        int bits = 0;
        for (String g : names) {
            bits |= GRANULE_BITS.get(GRANULE_NAMES.indexOf(g));
        }
        return bits;
    }

    /** @return ID2 encoding of an address size in bits (0 = 32 ... 5 = 48) */
    static int encodeAddressSize(int bits) {
        return ADDRESS_SIZES.indexOf(bits);
    }

    /** @return NUMPAGE for {@code banks} context banks: the smallest power of two >= max(2, banks) */
    public static int numPage(int banks) {
        return Integer.highestOneBit(Math.max(2, banks) * 2 - 1);
    }

    /** @return the register block size {@code banks} context banks need: 2 * NUMPAGE pages */
    public static long blockSize(int banks) {
        return 2L * numPage(banks) * SmmuRegs.PAGE_SIZE;
    }

    /** @return NUMPAGE of this strapping */
    public int numPage() {
        return numPage(contextBanks);
    }

    /** @return ID1.NUMPAGENDXB: NUMPAGE = 2^(NUMPAGENDXB + 1) */
    public int numPageNdxb() {
        return Integer.numberOfTrailingZeros(numPage()) - 1;
    }

    /** @return size in bytes of the register block */
    public long blockSize() {
        return blockSize(contextBanks);
    }

    /** @return number of S2CRs: one per SMR, or one per stream id under stream indexing */
    public int s2crs() {
        return streamIndexing ? 1 << sidBits : smrs;
    }

    /** @return the stream id bits the SMMU decodes */
    public int sidMask() {
        return (1 << sidBits) - 1;
    }

    /** @return true if translation granule {@code ptfsBit} (an ID2.PTFS_* bit) is implemented */
    public boolean supports(int ptfsBit) {
        return (granules & ptfsBit) != 0;
    }

    /** @return the granules as option text, e.g. "4k,64k" (for logs) */
    public String granuleList() {
        List<String> out = new ArrayList<>();
        if (supports(SmmuRegs.ID2_PTFS_4K)) {
            out.add("4k");
        }
        if (supports(SmmuRegs.ID2_PTFS_16K)) {
            out.add("16k");
        }
        if (supports(SmmuRegs.ID2_PTFS_64K)) {
            out.add("64k");
        }
        return String.join(",", out);
    }
}
