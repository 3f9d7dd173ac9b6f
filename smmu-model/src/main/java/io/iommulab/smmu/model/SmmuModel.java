package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRegs.*;

import io.iommulab.api.Prot;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IotlbEntry;
import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.RegisterHooks;
import io.iommulab.api.hw.RegisterSpec;
import io.iommulab.api.hw.TableWalk;
import io.iommulab.api.hw.Translation;
import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.machine.FailNth;
import io.iommulab.lib.hw.IotlbHitCheck;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hardware model of one ARM SMMUv2 instance ({@code arm,smmu-v2}): stream matching or indexing,
 * S2CRs, context banks with a stage-1 AArch64 walker, an ASID-tagged TLB, and global and context
 * fault units. It implements the model/driver contract ({@code smmu-model/README.md}) from
 * dart-facts §4; where both are silent the classes say "(model choice)". It never imports driver or
 * page-table code: it is the independent oracle the arm-smmu driver is checked against.
 *
 * <h2>One transaction ({@link #translate})</h2>
 * <ol>
 * <li>sCR0.CLIENTPD set (the reset state): bypass, PA = IOVA.</li>
 * <li>Stream identification ({@link StreamMatcher}): no match → USF global fault if sCR0.USFCFG,
 *     else bypass; several matches → SMCF global fault.</li>
 * <li>S2CR.TYPE: BYPASS → PA = IOVA; FAULT (or the reserved 3) → "S2CR FAULT", nothing latched;
 *     TRANS → bank CBNDX (≥ NUMCB → UCBF global fault).</li>
 * <li>Bank SCTLR.M clear: bypass. Else TLB lookup by (ASID, IOVA); a miss walks TTBR0 (EPD0, a bad
 *     granule or T0SZ, or an IOVA beyond 64 − T0SZ bits: translation fault at level 0 without a
 *     walk) and caches the leaf.</li>
 * <li>Permissions on the (cached) leaf: AP[1] = 0, a write with AP[2] = 1, or an instruction fetch
 *     (S2CR.INSTCFG = instruction) with UXN = 1 → permission fault.</li>
 * </ol>
 * The TLB survives every register write except the invalidation commands (TLBIVA, TLBIVAL,
 * TLBIVAA, TLBIVAAL, TLBIASID, TLBIALL, TLBIALLNSNH, TLBIALLH, TLBIVMID). Each entry keeps where it
 * came from (the bank state and the leaf descriptor's address and value); while a DMA sanitizer
 * watches ({@link ModelContext#translationCheck()}) every hit is checked against them
 * ({@link SmmuHitCheck}) and a stale one is reported. The transaction still uses it.
 *
 * <h2>Threads</h2>
 * Transactions run on any number of threads without locks: sCR0 and the S2CRs are read from the
 * register file (volatile loads), bank state is an immutable {@link SmmuBank} decoded by the write
 * hooks and published in a volatile slot, stream matches are cached ({@link StreamMatcher}) and
 * the TLB is lock-free ({@link SmmuTlb}). A TLB hit allocates nothing but its {@link Translation}.
 * Faults are latched and signalled with no model lock held ({@link GlobalFaultUnit},
 * {@link ContextFaultUnit}).
 */
public final class SmmuModel implements IommuModel, RegisterHooks {

    private static final Logger LOG = LoggerFactory.getLogger(SmmuModel.class);
    /** Bypass translations cover to the end of the 4 KiB page (model choice). */
    private static final long BYPASS_SPAN = 1L << PAGE_SHIFT;

    private final String node;
    private final SmmuConfig config;
    private final SmmuLayout layout;
    private final int bank0;
    private final int banks;
    private final SmmuTlb tlb;
    private final LpaeWalker walker;
    private final AtomicReferenceArray<SmmuBank> bankState;
    /**
     * Per bank: {@link #SYNC_DONE}; {@link #SYNC_STUCK}, a TLBSYNC was issued under {@code sync-stuck}
     * (SACTIVE reads 1 for ever); or {@link #SYNC_LOST}, fail-nth lost the last TLBSYNC's completion
     * (SACTIVE reads 1 until the next TLBSYNC of the bank).
     */
    private final AtomicIntegerArray syncStuck;
    /** the same for sTLBGSYNC and sTLBGSTATUS.GSACTIVE */
    private volatile int globalSyncStuck;
    /** the machine's fail-nth points ({@link FailNth#SYNC_STUCK}) */
    private final ModelContext context;
    private final Object bankLock = new Object();
    private final RegisterFile regs;
    private final StreamMatcher matcher;
    private final GlobalFaultUnit globalFaults;
    private final ContextFaultUnit contextFaults;
    /** The sanitizer's switch; read once per TLB hit (one volatile load while it is off). */
    private final TranslationCheck check;
    private final SmmuHitCheck hitCheck;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder faults = new LongAdder();
    private final LongAdder invalidations = new LongAdder();
    private final LongAdder invalidationsVa = new LongAdder();
    private final LongAdder invalidationsAsid = new LongAdder();
    private final LongAdder invalidationsAll = new LongAdder();
    private final LongAdder syncs = new LongAdder();

    /**
     * Builds the model for the context's node and maps its registers.
     *
     * @throws IommuException EINVAL for a bad model option, a bad {@code #global-interrupts}, or a
     *         {@code reg} smaller than 2 * NUMPAGE * 4 KiB
     */
    public SmmuModel(ModelContext context) {
        this.context = context;
        this.node = context.node().path();
        this.config = SmmuConfig.from(node, context.modelOptions(), globalInterrupts(context));
        checkWindow(context.node().reg());
        this.layout = new SmmuLayout(config);
        this.bank0 = layout.bankBase(0);
        this.banks = config.contextBanks();
        this.tlb = new SmmuTlb(config.tlbEntries());
        this.walker = new LpaeWalker(context.memory());
        this.bankState = new AtomicReferenceArray<>(banks);
        for (int n = 0; n < banks; n++) {
            bankState.set(n, SmmuBank.RESET);
        }
        this.syncStuck = new AtomicIntegerArray(banks);
        // `this` is the hooks object before the constructor ends: software cannot reach the block
        // until the machine has finished building the model.
        this.regs = context.registers(0, layout.registers(), this);
        this.matcher = new StreamMatcher(config, regs);
        IrqSource[] ctx = new IrqSource[banks];
        for (int n = 0; n < banks; n++) {
            ctx[n] = irq(context, config.globalInterrupts() + n);
        }
        this.globalFaults = new GlobalFaultUnit(regs, config.globalInterrupts() > 0 ? irq(context, 0) : null);
        this.contextFaults = new ContextFaultUnit(regs, layout, ctx);
        this.check = context.translationCheck();
        this.hitCheck = new SmmuHitCheck(new IotlbHitCheck(node, check, context.memory()), walker, tlb);
        LOG.debug("{}: arm-smmu-v2 model: {} context banks, {}, {} stream id bits, granules {}, IAS/OAS/UBS {}/{}/{}, "
                + "TLB {} entries, sync-stuck {}", node, banks,
                config.streamIndexing() ? "stream indexing" : config.smrs() + " SMRs", config.sidBits(),
                config.granuleList(), config.ias(), config.oas(), config.ubs(), config.tlbEntries(), config.syncStuck());
    }

    /** @return the node's {@code #global-interrupts} (1 if absent) */
    private int globalInterrupts(ModelContext context) {
        try {
            return context.node().u32(SmmuConfig.GLOBAL_INTERRUPTS, 1);
        } catch (IllegalArgumentException e) {
            throw new IommuException(Errno.EINVAL, String.format("%s: arm-smmu-v2 model: %s is not one cell (%s)",
                    node, SmmuConfig.GLOBAL_INTERRUPTS, e.getMessage()));
        }
    }

    private void checkWindow(List<RegRange> reg) {
        if (reg.isEmpty()) {
            throw new IommuException(Errno.EINVAL, String.format("%s: arm-smmu-v2 model: no reg entry", node));
        }
        long size = reg.get(0).size();
        if (size < config.blockSize()) {
            throw new IommuException(Errno.EINVAL, String.format(
                    "%s: arm-smmu-v2 model: reg size 0x%x is smaller than 0x%x (2 * NUMPAGE %d * 4 KiB for %d context banks)",
                    node, size, config.blockSize(), config.numPage(), config.contextBanks()));
        }
    }

    /** An interrupt of the node, or null if it has none at that index (faults then latch silently). */
    private IrqSource irq(ModelContext context, int index) {
        try {
            return context.irq(index);
        } catch (IommuException e) {
            LOG.debug("{}: arm-smmu-v2 model: no interrupt {} ({})", node, index, e.getMessage());
            return null;
        }
    }

    @Override
    public Translation translate(int sid, long iova, Access access) {
        if ((regs.get(SCR0) & SCR0_CLIENTPD) != 0) {
            return bypass(iova);
        }
        int idx = matcher.index(sid);
        if (idx < 0) {
            if (idx == StreamMatcher.CONFLICT) {
                return globalFault(SmmuFault.STREAM_MATCH_CONFLICT, sid, iova, access);
            }
            return (regs.get(SCR0) & SCR0_USFCFG) != 0
                    ? globalFault(SmmuFault.UNIDENTIFIED_STREAM, sid, iova, access) : bypass(iova);
        }
        int s2cr = regs.get(S2CR + 4 * idx);
        int type = (s2cr & S2CR_TYPE) >>> S2CR_TYPE_SHIFT;
        if (type == S2CR_TYPE_BYPASS) {
            return bypass(iova);
        }
        if (type != S2CR_TYPE_TRANS) {
            faults.increment();
            return SmmuFault.S2CR_FAULT.translation();
        }
        int n = s2cr & S2CR_CBNDX;
        if (n >= banks) {
            return globalFault(SmmuFault.INVALID_CONTEXT_BANK, sid, iova, access);
        }
        SmmuBank bank = bankState.get(n);
        // Device traffic is data unless the S2CR overrides the attribute to instruction (INSTCFG).
        boolean fetch = (s2cr & S2CR_INSTCFG) >>> S2CR_INSTCFG_SHIFT == S2CR_INSTCFG_INSTRUCTION;
        return bank.enabled() ? translate(n, bank, sid, iova, access, fetch) : bypass(iova);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The route of {@link #translate} (client bypass, stream match, S2CR, context bank) with
     * nothing latched, then the bank's walk a TLB miss makes (not counted). A bypassed stream gives
     * the IOVA with read and write; a leaf gives what an unprivileged data access may do there.
     */
    @Override
    public TableWalk walk(int sid, long iova) {
        if ((regs.get(SCR0) & SCR0_CLIENTPD) != 0) {
            return TableWalk.of(iova, Prot.READ | Prot.WRITE);
        }
        int idx = matcher.index(sid);
        if (idx < 0) {
            if (idx == StreamMatcher.CONFLICT) {
                return TableWalk.fault(SmmuFault.STREAM_MATCH_CONFLICT.text());
            }
            return (regs.get(SCR0) & SCR0_USFCFG) != 0 ? TableWalk.fault(SmmuFault.UNIDENTIFIED_STREAM.text())
                    : TableWalk.of(iova, Prot.READ | Prot.WRITE);
        }
        int s2cr = regs.get(S2CR + 4 * idx);
        int type = (s2cr & S2CR_TYPE) >>> S2CR_TYPE_SHIFT;
        if (type == S2CR_TYPE_BYPASS) {
            return TableWalk.of(iova, Prot.READ | Prot.WRITE);
        }
        if (type != S2CR_TYPE_TRANS) {
            return TableWalk.fault(SmmuFault.S2CR_FAULT.text());
        }
        int n = s2cr & S2CR_CBNDX;
        if (n >= banks) {
            return TableWalk.fault(SmmuFault.INVALID_CONTEXT_BANK.text());
        }
        SmmuBank bank = bankState.get(n);
        if (!bank.enabled()) {
            return TableWalk.of(iova, Prot.READ | Prot.WRITE);
        }
        if (!bank.walkable() || !bank.inRange(iova)) {
            return TableWalk.fault(SmmuFault.TRANSLATION.translation(0).fault());
        }
        long r = walker.walk(bank, iova, new LpaeWalker.Leaf(), false);
        if (!LpaeWalker.isLeaf(r)) {
            return TableWalk.fault(LpaeWalker.faultOf(r).translation(LpaeWalker.level(r)).fault());
        }
        long size = 1L << LpaeWalker.leafShift(bank.granuleShift(), LpaeWalker.level(r));
        int perms = SmmuHitCheck.prot(LpaeWalker.ap1(r), LpaeWalker.ap2(r), LpaeWalker.xn(r)) & (Prot.READ | Prot.WRITE);
        return TableWalk.of(LpaeWalker.address(r) | (iova & (size - 1)), perms);
    }

    /** Translation through enabled context bank {@code n}; {@code fetch}: an instruction fetch. */
    private Translation translate(int n, SmmuBank bank, int sid, long iova, Access access, boolean fetch) {
        SmmuTlb.Entry e = tlb.lookup(bank.asid(), iova);
        if (e == null) {
            return miss(n, bank, sid, iova, access, fetch);
        }
        hits.increment();
        if (check.enabled()) {
            hitCheck.verify(n, bank, sid, iova, access, e);
        }
        return permit(n, bank, sid, iova, access, fetch, e);
    }

    /*
     * The miss path and the permission check are methods of their own so that the TLB hit path
     * stays small enough for the JIT to inline it into the public translate (a hot method of more
     * than 325 bytes of bytecode is not inlined): a hit is the path that must cost nothing extra.
     */

    /** Walks the bank's tables for an IOVA the TLB does not hold, caches the leaf, checks the permission. */
    private Translation miss(int n, SmmuBank bank, int sid, long iova, Access access, boolean fetch) {
        misses.increment();
        if (!bank.walkable() || !bank.inRange(iova)) {
            return contextFault(n, bank, SmmuFault.TRANSLATION, 0, sid, iova, access, fetch);
        }
        // Sampled before the walk reads memory: see SmmuTlb (no stale insert after an invalidation).
        long epoch = tlb.epoch();
        LpaeWalker.Leaf leaf = new LpaeWalker.Leaf();
        long r = walker.walk(bank, iova, leaf, true);
        if (!LpaeWalker.isLeaf(r)) {
            return contextFault(n, bank, LpaeWalker.faultOf(r), LpaeWalker.level(r), sid, iova, access, fetch);
        }
        int level = LpaeWalker.level(r);
        SmmuTlb.Entry e = new SmmuTlb.Entry(bank.asid(), LpaeWalker.leafShift(bank.granuleShift(), level), iova,
                LpaeWalker.address(r), level, LpaeWalker.ap1(r), LpaeWalker.ap2(r), LpaeWalker.xn(r),
                n, bank, leaf.addr, leaf.desc, hitCheck.leaf(leaf.addr));
        tlb.insert(epoch, e);
        return permit(n, bank, sid, iova, access, fetch, e);
    }

    /** @return the translation of {@code iova} by entry {@code e}, or the permission fault if {@code e} does not permit it */
    private Translation permit(int n, SmmuBank bank, int sid, long iova, Access access, boolean fetch, SmmuTlb.Entry e) {
        if (!e.unprivileged || (e.readOnly && access == Access.WRITE) || (fetch && e.noExec)) {
            return contextFault(n, bank, SmmuFault.PERMISSION, e.level, sid, iova, access, fetch);
        }
        long off = iova & e.offsetMask;
        return Translation.of(e.pa | off, e.size - off);
    }

    private static Translation bypass(long iova) {
        return Translation.of(iova, BYPASS_SPAN - (iova & (BYPASS_SPAN - 1)));
    }

    private Translation globalFault(SmmuFault fault, int sid, long iova, Access access) {
        faults.increment();
        return globalFaults.fault(fault, sid, iova, access);
    }

    private Translation contextFault(int n, SmmuBank bank, SmmuFault fault, int level, int sid, long iova, Access access,
            boolean fetch) {
        faults.increment();
        return contextFaults.fault(n, bank, fault, level, sid, iova, access, fetch);
    }

    // ---- register side effects ----

    @Override
    public void onWrite(RegisterSpec reg, int index, int oldValue, int newValue, int value) {
        int off = reg.offset();
        if (off >= bank0) {
            bankWrite(off - bank0, index, value);
            return;
        }
        switch (off) {
            case SMR:
                matcher.smrWritten();
                break;
            case TLBIVMID:
            case TLBIALLNSNH:
            case TLBIALLH:
                invalidateAll();
                break;
            case STLBGSYNC:
                syncs.increment();
                globalSyncStuck = syncOutcome();
                break;
            default:
                break;
        }
    }

    /** Side effects of a write to register {@code reg} (offset in the page) of bank {@code n}. */
    private void bankWrite(int reg, int n, int value) {
        switch (reg) {
            case CB_SCTLR:
            case CB_TCR:
            case CB_TCR2:
            case CB_TTBR0_LO:
            case CB_TTBR0_HI:
                publishBank(n);
                break;
            case CB_TLBIVA_LO:
            case CB_TLBIVAL_LO:
            case CB_TLBIVAA_LO:
            case CB_TLBIVAAL_LO:
                invalidateVa(n, reg, value);
                break;
            case CB_TLBIASID:
                tlb.invalidateAsid(bankState.get(n).tlbiAsid((long) value << TLBI_ASID_SHIFT));
                counted(invalidationsAsid);
                break;
            case CB_TLBIALL:
                invalidateAll();
                break;
            case CB_TLBSYNC:
                syncs.increment();
                // a release store: the poll that follows on the issuing CPU sees it, as it would see SACTIVE
                syncStuck.lazySet(n, syncOutcome());
                break;
            case CB_FSRRESTORE:
                regs.set(layout.bankBase(n) + CB_FSR, value);
                break;
            default:
                break;
        }
    }

    /** Sync states ({@link #syncStuck}): done, stuck for ever (strapping), completion lost (fail-nth). */
    private static final int SYNC_DONE = 0;
    private static final int SYNC_STUCK = 1;
    private static final int SYNC_LOST = 2;

    /**
     * @return how a sync issued now ends: for ever active under the {@code sync-stuck} strapping;
     *         active until the next sync when fail-nth loses its completion (it then completes, the
     *         TLB maintenance before it having been done at once); else done
     */
    private int syncOutcome() {
        if (config.syncStuck()) {
            return SYNC_STUCK;
        }
        return context.shouldFail(FailNth.SYNC_STUCK) ? SYNC_LOST : SYNC_DONE;
    }

    /**
     * Re-decodes bank {@code n} from its stored registers. Under the lock, so whichever hook runs
     * last publishes the state after the last write (the register file runs hooks outside its own
     * atomic update).
     */
    private void publishBank(int n) {
        int base = layout.bankBase(n);
        synchronized (bankLock) {
            long ttbr0 = (long) regs.get(base + CB_TTBR0_HI) << 32 | (regs.get(base + CB_TTBR0_LO) & 0xFFFF_FFFFL);
            bankState.set(n, SmmuBank.decode(regs.get(base + CB_SCTLR), regs.get(base + CB_TCR),
                    regs.get(base + CB_TCR2), ttbr0, config.granules()));
        }
    }

    /** A 64-bit by-VA TLBI whose low word was just written: the high word was stored before it. */
    private void invalidateVa(int n, int reg, int low) {
        long value = (long) regs.get(layout.bankBase(n) + reg + 4) << 32 | (low & 0xFFFF_FFFFL);
        long iova = (value & TLBI_VA) << PAGE_SHIFT;
        if (reg == CB_TLBIVAA_LO || reg == CB_TLBIVAAL_LO) {
            tlb.invalidateVaAllAsids(iova);
        } else {
            tlb.invalidateVa(bankState.get(n).tlbiAsid(value), iova);
        }
        counted(invalidationsVa);
    }

    private void invalidateAll() {
        tlb.invalidateAll();
        counted(invalidationsAll);
    }

    private void counted(LongAdder kind) {
        kind.increment();
        invalidations.increment();
    }

    @Override
    public int onRead(RegisterSpec reg, int index, int stored) {
        int off = reg.offset();
        if (off == bank0 + CB_TLBSTATUS) {
            return syncStuck.get(index) != SYNC_DONE ? TLBSTATUS_SACTIVE : 0;
        }
        if (off == STLBGSTATUS) {
            return globalSyncStuck != SYNC_DONE ? STLBGSTATUS_GSACTIVE : 0;
        }
        return stored;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code iotlb.hits}, {@code iotlb.misses} (transactions that looked up the TLB), {@code walks}
     * (walks that read tables), {@code faults} (failed transactions, latched or not),
     * {@code invalidations} (all invalidation commands) and by kind {@code invalidations.va},
     * {@code invalidations.asid}, {@code invalidations.all}, and {@code syncs} (TLBSYNC and
     * sTLBGSYNC writes).
     */
    @Override
    public Map<String, Long> counters() {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("iotlb.hits", hits.sum());
        out.put("iotlb.misses", misses.sum());
        out.put("walks", walker.walks());
        out.put("faults", faults.sum());
        out.put("invalidations", invalidations.sum());
        out.put("invalidations.va", invalidationsVa.sum());
        out.put("invalidations.asid", invalidationsAsid.sum());
        out.put("invalidations.all", invalidationsAll.sum());
        out.put("syncs", syncs.sum());
        return out;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One TLB for the whole SMMU, tagged by ASID, each entry with the context bank it was walked
     * through and its leaf's page or block size; no stream.
     */
    @Override
    public List<IotlbEntry> iotlbEntries() {
        List<IotlbEntry> out = new java.util.ArrayList<>();
        for (SmmuTlb.Entry e : tlb.entries()) {
            out.add(new IotlbEntry(-1, e.cb, e.asid, e.vpn << e.shift, e.pa, e.size,
                    SmmuHitCheck.prot(e.unprivileged, e.readOnly, e.noExec)));
        }
        return out;
    }

    @Override
    public String toString() {
        return "arm-smmu-v2 model " + node;
    }
}
