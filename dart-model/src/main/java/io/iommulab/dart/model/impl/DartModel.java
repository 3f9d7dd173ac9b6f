package io.iommulab.dart.model.impl;

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
import io.iommulab.dart.model.spi.DartModelHw;
import io.iommulab.lib.hw.IotlbHitCheck;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hardware model of one Apple DART instance of a variant ({@link DartModelHw}: a built-in one or one a
 * hardware bundle brings): its register block, per-stream IOTLBs, table walker and error unit. It implements the model
 * contract ({@code dart-model/README.md}) from dart-facts §1–§2; where the fact sheet is silent
 * the classes say "(model choice)". It never imports driver or page-table code: it is the
 * independent oracle the driver is checked against.
 *
 * <h2>One transaction ({@link #translate})</h2>
 * <ol>
 * <li>SID without stream state: fails "NO SUCH STREAM", nothing latched (the bus never delivers it).</li>
 * <li>Stream not enabled: fails "STREAM DISABLED", nothing latched, no interrupt (model choice).</li>
 * <li>TCR: bypass → PA = IOVA; blocked (0, TRANSLATE+BYPASS, or BYPASS without PARAMS2 support) →
 *     NO TTBR latched and signalled (model choice).</li>
 * <li>IOTLB hit → permission check on the cached entry; miss → TTBR selection and walk, the leaf is
 *     cached (FIFO) with where it came from (leaf address and value, TCR, TTBR), then the
 *     permission check.</li>
 * </ol>
 * The IOTLB survives TCR and TTBR writes; only invalidation commands drop it. While a DMA sanitizer
 * watches ({@link ModelContext#translationCheck()}), every hit is checked against the tables and
 * registers ({@link DartHitCheck}) and a stale one is reported; the transaction still uses it.
 *
 * <h2>Threads</h2>
 * Transactions run concurrently on any number of threads without locks on the IOTLB hit path
 * ({@link DartIotlb}); the TCR/TTBR/enable state they read is mirrored by the register hooks
 * ({@link DartLayout}). Faults are latched and signalled with no model lock held
 * ({@link DartErrorUnit}).
 *
 * <p>A window (the node's {@code reg}) smaller than the family's register map decodes only the
 * registers that fit (model choice: the driver rejects windows below 0x4000 itself, dart-facts
 * §1.1, and must be able to probe far enough to do so). A node without an interrupt gets a model
 * whose faults latch but signal nothing (the driver's probe fails with ENODEV first).
 */
public final class DartModel implements IommuModel, RegisterHooks {

    private static final Logger LOG = LoggerFactory.getLogger(DartModel.class);

    private final String node;
    private final DartConfig config;
    private final DartPteFormat format;
    private final DartWalker walker;
    private final DartIotlb iotlb;
    private final DartLayout layout;
    private final DartErrorUnit errors;
    /** The sanitizer's switch; read once per IOTLB hit (one volatile load while it is off). */
    private final TranslationCheck check;
    private final DartHitCheck hitCheck;
    private final int sids;
    private final int pageShift;
    private final long pageSize;
    private final long pageMask;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder faults = new LongAdder();

    /**
     * Builds the model of {@code variant} for the context's node and maps its registers.
     *
     * @throws IommuException EINVAL for a bad model option, a quirk this model does not implement,
     *         or a window too small to hold the error registers
     */
    public DartModel(ModelContext context, DartModelHw variant) {
        this.node = context.node().path();
        if (!variant.quirks().isEmpty()) {
            throw new IommuException(Errno.EINVAL, String.format("%s: apple-dart model: variant %s needs quirks %s, "
                    + "which this model does not implement", node, variant.name(), new java.util.TreeSet<>(variant.quirks())));
        }
        this.config = DartConfig.from(variant, context.modelOptions());
        DartModelHw v = config.variant();
        if (config.sidsWithRegs() < 1) {
            throw new IommuException(Errno.EINVAL, String.format("%s: apple-dart model: variant %s has its TTBR array at 0x%x, "
                    + "below TCR[0]: no stream has registers", node, v.name(), v.ttbrBase()));
        }
        this.format = DartPteFormat.of(v.format());
        this.sids = config.sidsWithRegs();
        this.pageShift = v.pageShift();
        this.pageSize = 1L << pageShift;
        this.pageMask = pageSize - 1;
        this.walker = new DartWalker(context.memory(), format, pageShift);
        this.iotlb = new DartIotlb(sids, config.iotlbEntries());
        this.layout = v.family() == DartModelHw.Family.T8110
                ? new T8110Layout(config, walker, iotlb) : new T8020Layout(config, walker, iotlb);
        long window = context.node().reg().isEmpty() ? 0 : context.node().reg().get(0).size();
        // `this` is the hooks object before the constructor ends: the hooks only use `layout`, set above.
        RegisterFile regs = context.registers(0, fit(layout.registers(), window), this);
        if (regs.specAt(layout.errorReg()) == null || regs.specAt(layout.errorAddrHi()) == null) {
            throw new IommuException(Errno.EINVAL, String.format(
                    "%s: apple-dart model: reg window of 0x%x bytes does not reach the error registers", node, window));
        }
        layout.attach(regs, context);
        this.errors = new DartErrorUnit(regs, irq(context), layout);
        this.check = context.translationCheck();
        this.hitCheck = new DartHitCheck(new IotlbHitCheck(node, check, context.memory()), layout, walker, format, iotlb,
                pageShift);
        LOG.debug("{}: apple-dart model {}: {} SIDs, IAS {}, OAS {}, bypass {}, locked {}, busy-stuck {}, "
                + "IOTLB {} entries/stream", node, v.name(), config.sids(), v.sizes().ias(), v.sizes().oas(), v.bypass(),
                config.locked(), config.busyStuck(), config.iotlbEntries());
    }

    /** The fault interrupt; a node without one still gets a model (its driver refuses it). */
    private IrqSource irq(ModelContext context) {
        try {
            return context.irq(0);
        } catch (IommuException e) {
            LOG.info("{}: apple-dart model: no fault interrupt ({}); faults will latch without signalling", node, e.getMessage());
            return null;
        }
    }

    /** @return the specs that fit a window of {@code size} bytes (arrays cut to the elements inside) */
    private List<RegisterSpec> fit(List<RegisterSpec> specs, long size) {
        List<RegisterSpec> out = new ArrayList<>(specs.size());
        for (RegisterSpec s : specs) {
            long room = size - s.offset() - 4;
            if (room < 0) {
                LOG.debug("{}: apple-dart model: {} at 0x{} is outside the 0x{}-byte window", node, s.name(),
                        Integer.toHexString(s.offset()), Long.toHexString(size));
                continue;
            }
            int count = s.count() == 1 ? 1 : (int) Math.min(s.count(), room / s.stride() + 1);
            out.add(count == s.count() ? s
                    : new RegisterSpec(s.name(), s.offset(), count, s.stride(), s.reset(), s.writable(), s.w1c()));
        }
        return out;
    }

    @Override
    public Translation translate(int sid, long iova, Access access) {
        if (sid < 0 || sid >= sids) {
            faults.increment();
            return DartFault.NO_SUCH_STREAM.translation();
        }
        if (!layout.streamEnabled(sid)) {
            faults.increment();
            return DartFault.STREAM_DISABLED.translation();
        }
        int tcr = layout.tcr(sid);
        int mode = layout.mode(tcr);
        if (mode == DartLayout.MODE_BYPASS) {
            return Translation.of(iova, pageSize - (iova & pageMask));
        }
        if (mode != DartLayout.MODE_TRANSLATE) {
            return fault(sid, iova, DartFault.NO_TTBR);
        }
        long tag = iova >>> pageShift;
        DartIotlb.Entry e = iotlb.lookup(sid, tag);
        if (e == null) {
            return miss(sid, tcr, iova, tag, access);
        }
        hits.increment();
        if (check.enabled()) {
            hitCheck.verify(sid, tcr, iova, access, e);
        }
        return permit(sid, iova, access, e);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The stream checks of {@link #translate}, then the walk an IOTLB miss makes (not counted as
     * a hardware walk). A bypassed stream gives the IOVA with read and write.
     */
    @Override
    public TableWalk walk(int sid, long iova) {
        if (sid < 0 || sid >= sids) {
            return TableWalk.fault(DartFault.NO_SUCH_STREAM.text());
        }
        if (!layout.streamEnabled(sid)) {
            return TableWalk.fault(DartFault.STREAM_DISABLED.text());
        }
        int tcr = layout.tcr(sid);
        int mode = layout.mode(tcr);
        if (mode == DartLayout.MODE_BYPASS) {
            return TableWalk.of(iova, DartPteFormat.PERM_READ | DartPteFormat.PERM_WRITE);
        }
        if (mode != DartLayout.MODE_TRANSLATE) {
            return TableWalk.fault(DartFault.NO_TTBR.text());
        }
        long leaf = walker.leafOf(layout.locate(tcr, layout.ttbrFor(sid, iova), iova, false));
        if (!DartWalker.found(leaf)) {
            return TableWalk.fault(DartWalker.fault(leaf).text());
        }
        // as the miss path: PA bits below the page are not part of a leaf's output
        return TableWalk.of((format.address(leaf) & ~pageMask) | (iova & pageMask), format.perms(leaf));
    }

    /*
     * The miss path and the permission check are methods of their own so that translate stays
     * small enough for the JIT to inline it into a caller's loop (a hot method of more than 325
     * bytes of bytecode is not inlined): an IOTLB hit is the path that must cost nothing extra.
     */

    /** Walks the tables for an IOVA the IOTLB does not hold, caches the leaf, checks the permission. */
    private Translation miss(int sid, int tcr, long iova, long tag, Access access) {
        misses.increment();
        // Sampled before the walk reads memory: see DartIotlb (no stale insert after an invalidation).
        long epoch = iotlb.epoch(sid);
        int ttbr = layout.ttbrFor(sid, iova);
        long slot = layout.locate(tcr, ttbr, iova, true);
        if (!DartWalker.found(slot)) {
            return fault(sid, iova, DartWalker.fault(slot));
        }
        long r = walker.readLeaf(DartWalker.slot(slot));
        if (!DartWalker.found(r)) {
            return fault(sid, iova, DartWalker.fault(r));
        }
        // PA bits below the page are not part of a leaf's output (model choice for malformed DART1 leaves).
        long leaf = DartWalker.slot(slot);
        DartIotlb.Entry e = new DartIotlb.Entry(tag, format.address(r) & ~pageMask, format.perms(r), leaf, r, tcr, ttbr,
                hitCheck.leaf(leaf));
        iotlb.insert(sid, epoch, e);
        return permit(sid, iova, access, e);
    }

    /** @return the translation of {@code iova} by entry {@code e}, or the fault if {@code e} does not permit {@code access} */
    private Translation permit(int sid, long iova, Access access, DartIotlb.Entry e) {
        int need = access == Access.WRITE ? DartPteFormat.PERM_WRITE : DartPteFormat.PERM_READ;
        if ((e.perms & need) == 0) {
            return fault(sid, iova, access == Access.WRITE ? DartFault.WRITE_FAULT : DartFault.READ_FAULT);
        }
        long off = iova & pageMask;
        return Translation.of(e.pa | off, pageSize - off);
    }

    private Translation fault(int sid, long iova, DartFault fault) {
        faults.increment();
        return errors.fault(sid, iova, fault);
    }

    @Override
    public void onWrite(RegisterSpec reg, int index, int oldValue, int newValue, int value) {
        layout.onWrite(reg, index, oldValue, newValue, value);
    }

    @Override
    public int onRead(RegisterSpec reg, int index, int stored) {
        return layout.onRead(reg, index, stored);
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code iotlb.hits}, {@code iotlb.misses} (transactions that looked up the IOTLB),
     * {@code walks} (walks that read tables), {@code faults} (failed transactions, latched or not),
     * {@code invalidations} (invalidation commands executed).
     */
    @Override
    public Map<String, Long> counters() {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("iotlb.hits", hits.sum());
        out.put("iotlb.misses", misses.sum());
        out.put("walks", walker.walks());
        out.put("faults", faults.sum());
        out.put("invalidations", layout.invalidations());
        return out;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Per stream (the DART's IOTLB is per SID), each entry one page of the DART's page size;
     * no context or ASID.
     */
    @Override
    public List<IotlbEntry> iotlbEntries() {
        List<IotlbEntry> out = new ArrayList<>();
        for (int sid = 0; sid < iotlb.streams(); sid++) {
            for (DartIotlb.Entry e : iotlb.entries(sid)) {
                // PERM_READ/PERM_WRITE are Prot's READ/WRITE bits
                out.add(new IotlbEntry(sid, -1, -1, e.tag << pageShift, e.pa, pageSize, e.perms));
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "apple-dart model " + node + " (" + config.variant().name() + ")";
    }
}
