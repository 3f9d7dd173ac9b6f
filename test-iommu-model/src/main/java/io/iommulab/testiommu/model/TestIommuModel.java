package io.iommulab.testiommu.model;

import static io.iommulab.testiommu.model.TestIommuRegs.*;

import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IotlbEntry;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hardware model of one "iommulab,test-iommu" instance (the datasheet is
 * {@code test-iommu-model/README.md}, its constants {@link TestIommuRegs}): its register block,
 * per-stream IOTLBs, table walker and error unit.
 *
 * <p>Locking: each stream's IOTLB is guarded by its own monitor, so concurrent DMA on different
 * streams never contends and an IOTLB hit costs one uncontended lock plus a short scan. CTRL and
 * TTBR are read from the register file on every transaction (config is not cached), before the
 * stream lock is taken; the register file is never called with a stream lock held. Faults are
 * latched and signalled after the stream lock is dropped.
 *
 * <p>Each IOTLB entry keeps the walk that filled it (leaf address and value) and the TTBR value;
 * while a DMA sanitizer watches ({@link ModelContext#translationCheck()}) every hit is checked
 * against them ({@link TestIommuHitCheck}) and a stale one is reported, after the stream lock is
 * dropped. The transaction still uses it.
 */
public final class TestIommuModel implements IommuModel, RegisterHooks {

    private final String node;
    private final TestIommuConfig config;
    private final RegisterFile regs;
    private final TestIommuWalker walker;
    private final TestIommuErrorUnit errors;
    private final TestIommuTlb[] tlbs;
    /** The sanitizer's switch; read once per IOTLB hit (one volatile load while it is off). */
    private final TranslationCheck check;
    private final TestIommuHitCheck hitCheck;
    private final AtomicLong invalidations = new AtomicLong();
    /** the machine's fail-nth points ({@link FailNth#BUSY_STUCK}) */
    private final ModelContext context;
    /** fail-nth lost the last command's completion: BUSY stays set, and the next command is taken anyway */
    private volatile boolean lost;

    public TestIommuModel(ModelContext context) {
        this.context = context;
        this.node = context.node().path();
        this.config = TestIommuConfig.from(context.modelOptions());
        this.tlbs = new TestIommuTlb[config.streams()];
        for (int i = 0; i < tlbs.length; i++) {
            tlbs[i] = new TestIommuTlb(config.iotlbEntries());
        }
        this.walker = new TestIommuWalker(context.memory());
        this.regs = context.registers(0, registerTable(config), this);
        this.errors = new TestIommuErrorUnit(regs, context.irq(0));
        this.check = context.translationCheck();
        this.hitCheck = new TestIommuHitCheck(new IotlbHitCheck(node, check, context.memory()), walker);
    }

    /** The register table of an instance with this strapping. */
    static List<RegisterSpec> registerTable(TestIommuConfig c) {
        int id = c.streams() | (PAGE_SHIFT << ID_PAGE_SHIFT_SHIFT) | (c.bypass() ? ID_BYPASS_SUPPORT : 0);
        // A locked instance's stream configuration is fixed: CTRL and TTBR writes are dropped.
        int ctrlWritable = c.locked() ? 0 : CTRL_TRANSLATE | CTRL_BYPASS;
        int ttbrWritable = c.locked() ? 0 : TTBR_VALID | TTBR_ADDR_MASK;
        return List.of(
                RegisterSpec.ro("ID", ID, id),
                RegisterSpec.ro("CONFIG", CONFIG, c.locked() ? CONFIG_LOCK : 0),
                RegisterSpec.reg("CMD", CMD, 0, CMD_INVALIDATE | CMD_STREAM_MASK),
                RegisterSpec.w1c("ERROR", ERROR, 0xffff_ffff),
                RegisterSpec.ro("ERROR_ADDR_LO", ERROR_ADDR_LO, 0),
                RegisterSpec.ro("ERROR_ADDR_HI", ERROR_ADDR_HI, 0),
                RegisterSpec.array("CTRL", CTRL_BASE, c.streams(), STREAM_STRIDE, 0, ctrlWritable),
                RegisterSpec.array("TTBR", TTBR_BASE, c.streams(), STREAM_STRIDE, 0, ttbrWritable));
    }

    @Override
    public Translation translate(int sid, long iova, Access access) {
        if (sid < 0 || sid >= tlbs.length) {
            return errors.fault(sid, iova, CODE_BLOCKED);
        }
        int mode = regs.get(ctrl(sid)) & (CTRL_TRANSLATE | CTRL_BYPASS);
        if (mode == CTRL_BYPASS) {
            return Translation.of(iova, BLOCK_SIZE - (iova & (BLOCK_SIZE - 1)));
        }
        if (mode != CTRL_TRANSLATE) {
            return errors.fault(sid, iova, CODE_BLOCKED);
        }
        // Registers are read before the stream lock: the register file may call our hooks (which take
        // stream locks) while holding its own lock.
        int ttbr = regs.get(ttbr(sid));
        Translation ok = null;
        int code = 0;
        TestIommuWalker.Walk suspect = null;
        TestIommuTlb tlb = tlbs[sid];
        synchronized (tlb) {
            int slot = tlb.lookup(iova);
            if (slot >= 0) {
                tlb.hits++;
                if (check.enabled() && !hitCheck.unchanged(tlb.source(slot), ttbr)) {
                    suspect = tlb.source(slot);
                }
            } else {
                tlb.misses++;
                slot = walk(tlb, ttbr, iova);
            }
            if (slot >= 0) {
                ok = tlb.translation(slot, iova, access);
                code = access == Access.WRITE ? CODE_WRITE_PROT : CODE_READ_PROT;
            } else {
                code = -slot;
            }
        }
        if (suspect != null) {
            // outside the stream lock: the report goes to a tool
            hitCheck.recheck(sid, ttbr, iova, access, suspect, tlb);
        }
        return ok != null ? ok : errors.fault(sid, iova, code);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The stream's CTRL as {@link #translate} reads it, then a walk from its TTBR that fills
     * nothing and is not counted. A bypassed stream gives the IOVA with read and write.
     */
    @Override
    public TableWalk walk(int sid, long iova) {
        if (sid < 0 || sid >= tlbs.length) {
            return TableWalk.fault(codeName(CODE_BLOCKED));
        }
        int mode = regs.get(ctrl(sid)) & (CTRL_TRANSLATE | CTRL_BYPASS);
        if (mode == CTRL_BYPASS) {
            return TableWalk.of(iova, TestIommuWalker.PERM_READ | TestIommuWalker.PERM_WRITE);
        }
        if (mode != CTRL_TRANSLATE) {
            return TableWalk.fault(codeName(CODE_BLOCKED));
        }
        TestIommuWalker.Walk w = walker.walk(regs.get(ttbr(sid)), iova);
        return w.found() ? TableWalk.of(w.out() | (iova & w.mask()), w.perms()) : TableWalk.fault(codeName(w.code()));
    }

    /**
     * Walks the tables {@code ttbr} points at for {@code iova} and caches the leaf.
     *
     * @return the IOTLB slot, or minus the fault code
     */
    private int walk(TestIommuTlb tlb, int ttbr, long iova) {
        if (TestIommuWalker.reach(ttbr, iova) == 0) {
            tlb.walks++;
        }
        TestIommuWalker.Walk w = walker.walk(ttbr, iova);
        return w.found() ? tlb.insert(w) : -w.code();
    }

    /**
     * CMD side effects: run an invalidation, or leave BUSY set for ever when strapped busy-stuck. A
     * command written while BUSY is set is dropped, unless fail-nth lost the busy one's completion
     * (that one was given up on): then it runs. A command whose completion fail-nth loses does
     * nothing and leaves BUSY set.
     */
    @Override
    public void onWrite(RegisterSpec reg, int index, int oldValue, int newValue, int value) {
        if (reg.offset() != CMD || (value & CMD_INVALIDATE) == 0) {
            return;
        }
        if ((oldValue & CMD_BUSY) != 0) {
            if (!lost) {
                return;
            }
            lost = false;
        }
        int stored = newValue & ~CMD_INVALIDATE;
        if (config.busyStuck()) {
            regs.set(CMD, stored | CMD_BUSY);
            return;
        }
        if (context.shouldFail(FailNth.BUSY_STUCK)) {
            lost = true;
            regs.set(CMD, stored | CMD_BUSY);
            return;
        }
        invalidate((newValue & CMD_STREAM_MASK) >>> CMD_STREAM_SHIFT);
        regs.set(CMD, stored & ~CMD_BUSY);
    }

    private void invalidate(int stream) {
        invalidations.incrementAndGet();
        if (stream == CMD_STREAM_ALL) {
            for (TestIommuTlb tlb : tlbs) {
                synchronized (tlb) {
                    tlb.invalidate();
                }
            }
        } else if (stream < tlbs.length) {
            TestIommuTlb tlb = tlbs[stream];
            synchronized (tlb) {
                tlb.invalidate();
            }
        }
    }

    @Override
    public Map<String, Long> counters() {
        long hits = 0;
        long misses = 0;
        long walks = 0;
        for (TestIommuTlb tlb : tlbs) {
            synchronized (tlb) {
                hits += tlb.hits;
                misses += tlb.misses;
                walks += tlb.walks;
            }
        }
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("iotlb.hits", hits);
        out.put("iotlb.misses", misses);
        out.put("walks", walks);
        out.put("faults", errors.faults());
        out.put("invalidations", invalidations.get());
        return out;
    }

    /** {@inheritDoc} <p>Per stream (each has its own IOTLB), 4 KiB pages and 2 MiB blocks; no context or ASID. */
    @Override
    public List<IotlbEntry> iotlbEntries() {
        List<IotlbEntry> out = new java.util.ArrayList<>();
        for (int sid = 0; sid < tlbs.length; sid++) {
            TestIommuTlb tlb = tlbs[sid];
            synchronized (tlb) {
                for (int k = 0; k < tlb.size(); k++) {
                    int slot = tlb.oldest(k);
                    // PERM_READ/PERM_WRITE are Prot's READ/WRITE bits
                    out.add(new IotlbEntry(sid, -1, -1, tlb.tag(slot), tlb.pa(slot), tlb.offMask(slot) + 1, tlb.perms(slot)));
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "test-iommu model " + node + " " + config;
    }
}
