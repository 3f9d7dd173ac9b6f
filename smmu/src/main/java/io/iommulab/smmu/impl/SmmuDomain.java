package io.iommulab.smmu.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuFault;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.IrqRegistration;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.api.pgtable.TlbFlushOps;
import io.iommulab.klib.Bits;
import io.iommulab.klib.IoPgtable;
import io.iommulab.klib.PgtableDomain;
import io.iommulab.smmu.impl.hw.FaultText;
import io.iommulab.smmu.impl.hw.SmmuRegs;

/**
 * A paging domain (struct arm_smmu_domain, dart-facts §4.3): a stage-1 AArch64 context bank of
 * one SMMU with an {@code arm-lpae-s1} table, ASID = bank index. The page sizes and aperture are
 * fixed when the domain is allocated (the core keeps them from then on); the context - bank, table,
 * registers, fault interrupt - is finalised by the first attach, as arm_smmu_init_domain_context.
 * The domain is also the table's flush ops (arm_smmu_s1_tlb_ops): invalidation by VA as pages are
 * unmapped, a context sync in iotlb_sync. In a live update the next driver version re-opens a
 * running domain on its bank and table ({@link #adopt}) instead.
 *
 * <p>Locking: {@code initLock} is the init_mutex (finalisation and free happen once);
 * {@code cbLock} serialises the TLB syncs of the bank (cb_lock). map/unmap take no lock.
 *
 * <p>Fields: {@code driver}; {@code intended} the SMMU of the master it was allocated for (its page
 * sizes and aperture); {@code pgsizeBitmap}/{@code geometry} as allocated; {@code smmu} the SMMU it
 * was finalised on (null before); {@code cbndx}/{@code asid} its bank; {@code table} the
 * io-pgtable half (map, unmap, lookup; its table is installed at finalisation; freed once);
 * {@code state} the table's roots; {@code contextIrq} the context fault handler registration (null
 * when the request failed, as ARM_SMMU_INVALID_IRPTNDX); {@code id}/{@code type} the core's domain id
 * and type (-1/null until the core made its domain), which a live-update record names it by.
 */
final class SmmuDomain implements DomainOps, TlbFlushOps {

    /** name of the context interrupt handler, as upstream requests it */
    static final String CONTEXT_IRQ_NAME = "arm-smmu-context-fault";

    private final ArmSmmuDriver driver;
    private final SmmuInstance intended;
    private final long pgsizeBitmap;
    private final DomainGeometry geometry;
    private final Object initLock = new Object();
    private final Object cbLock = new Object();
    private volatile SmmuInstance smmu;
    private volatile int cbndx = -1;
    private volatile int asid;
    private final PgtableDomain table = new PgtableDomain(this);
    private volatile PageTableState state;
    private volatile IrqRegistration contextIrq;
    private volatile int id = -1;
    private volatile DomainType type;

    SmmuDomain(ArmSmmuDriver driver, SmmuInstance intended, long pgsizeBitmap) {
        this.driver = driver;
        this.intended = intended;
        this.pgsizeBitmap = pgsizeBitmap;
        int ias = intended.params.vaSize();
        this.geometry = new DomainGeometry(0, ias >= 64 ? -1L : (1L << ias) - 1, true);
    }

    // ---------------------------------------------------------------- finalisation

    /**
     * arm_smmu_init_domain_context, once: stage 1 with AArch64 descriptors, a bank from the
     * bitmap (stage-1 banks start after the stage-2-only ones), ASID = bank, the table with
     * IAS = UBS and OAS = ID2.IAS, bank registers, then the context interrupt (shared) last. A
     * failure leaves the bank free and the registers untouched.
     *
     * @throws IommuException EINVAL (SMMU without stage-1 AArch64, or whose page sizes or aperture
     *         differ from what the domain was allocated with), ENOSPC "no free context bank",
     *         ENODEV (no {@code arm-lpae-s1} format), ENOMEM (the format refused)
     */
    private void initDomainContext(SmmuInstance s) {
        synchronized (initLock) {
            if (smmu != null) {
                return;
            }
            checkFits(s);
            int cb = s.allocContextBank(s.params.numS2ContextBanks(), this);
            if (cb < 0) {
                throw new IommuException(Errno.ENOSPC, String.format("%s: no free context bank (all %d in use)", s.prefix(),
                        s.params.numContextBanks()));
            }
            PageTableFormat format;
            PageTableContext context = tableContext(s, cb);
            PageTableOps ops;
            try {
                cbndx = cb;
                asid = cb;
                format = driver.format(PageTableFormat.ARM_LPAE_S1);
                ops = allocTable(s, format, context);
            } catch (RuntimeException e) {
                cbndx = -1;
                s.freeContextBank(cb);
                throw e;
            }
            PageTableState st = ops.state();
            try {
                writeContextBank(s, cb, st);
            } catch (RuntimeException e) {
                ops.free();
                cbndx = -1;
                s.freeContextBank(cb);
                throw e;
            }
            state = st;
            smmu = s;
            contextIrq = requestContextIrq(s, cb);
            table.install(ops, format, context);
        }
    }

    /** The core fixed the page sizes and aperture at allocation: the SMMU must agree with them. */
    private void checkFits(SmmuInstance s) {
        SmmuParams p = s.params;
        if (!p.has(SmmuParams.FEAT_TRANS_S1) || (p.features() & SmmuParams.FEAT_FMT_AARCH64) == 0) {
            throw new IommuException(Errno.EINVAL, s.prefix() + ": no stage-1 AArch64 context format (stage 2 and AArch32"
                    + " contexts are not driven)");
        }
        long bitmap = driver.pageSizes(s);
        if (bitmap != pgsizeBitmap || p.vaSize() != intended.params.vaSize()) {
            throw new IommuException(Errno.EINVAL, String.format("%s: domain allocated for %s (page sizes 0x%x, %d-bit VA) does"
                    + " not fit this SMMU (0x%x, %d-bit VA)", s.prefix(), intended.node(), pgsizeBitmap,
                    intended.params.vaSize(), bitmap, p.vaSize()));
        }
    }

    private PageTableOps allocTable(SmmuInstance s, PageTableFormat format, PageTableContext context) {
        PageTableConfig config = new PageTableConfig(pgsizeBitmap, s.params.vaSize(), s.params.ipaSize(),
                s.params.has(SmmuParams.FEAT_COHERENT_WALK), 0);
        PageTableOps ops = IoPgtable.alloc(format, config, context, s.prefix());
        long settled = ops.state().config().pgsizeBitmap();
        if (settled != pgsizeBitmap) {
            ops.free();
            throw new IommuException(Errno.EINVAL, String.format("%s: the table settled on page sizes 0x%x, the domain has 0x%x",
                    s.prefix(), settled, pgsizeBitmap));
        }
        return ops;
    }

    /** Where the bank's tables live and whom they tell about invalidation (this domain: arm_smmu_s1_tlb_ops). */
    private PageTableContext tableContext(SmmuInstance s, int cb) {
        return new PageTableContext(s.pdev.memory(), s.pdev.pages(), ArmSmmuDriver.NAME + ":" + s.node() + ":cb" + cb, this);
    }

    /** arm_smmu_init_context_bank + arm_smmu_write_context_bank: the bank's registers for the table, ASID = bank. */
    private static void writeContextBank(SmmuInstance s, int cb, PageTableState st) {
        ContextBank.of(st, cb).write(s.hw, cb);
    }

    /**
     * Live update: the domain a previous version of this driver ran on bank {@code cb}, re-opened on
     * its table in memory (PageTableFormat.attach: nothing allocated, cleared or written) with its
     * ASID. The bank's registers and the master's S2CRs are left as they are (the caller checked
     * they hold what this driver would have programmed); only the context interrupt is requested,
     * and a fault the bank latched while no handler was registered is reported.
     *
     * @throws IommuException EINVAL (the table does not fit this SMMU, the bank is not one the
     *         takeover found in use or is claimed twice, the format refuses the state), ENODEV (no
     *         {@code arm-lpae-s1} format), the request's errno when the context interrupt cannot
     *         be requested (the domain would never report a fault again)
     */
    static SmmuDomain adopt(ArmSmmuDriver driver, SmmuInstance s, int cb, int asid, PageTableState st) {
        SmmuDomain d = new SmmuDomain(driver, s, st.config().pgsizeBitmap());
        String where = s.prefix() + ": context bank " + cb; // not formatted: runs per domain in a live update's blackout
        synchronized (d.initLock) {
            d.checkFits(s);
            if (st.config().ias() != s.params.vaSize()) {
                throw new IommuException(Errno.EINVAL, String.format("%s: the table has a %d-bit IAS, a domain of this SMMU"
                        + " %d bits (UBS)", where, st.config().ias(), s.params.vaSize()));
            }
            s.claimContextBank(cb, d);
            PageTableFormat format;
            PageTableContext context = d.tableContext(s, cb);
            PageTableOps ops;
            try {
                format = driver.format(PageTableFormat.ARM_LPAE_S1);
                ops = format.attach(st, context);
            } catch (IommuException e) {
                s.unclaimContextBank(cb, d);
                throw new IommuException(e.errno(), where + ": cannot re-open its table: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                s.unclaimContextBank(cb, d);
                throw e;
            }
            d.cbndx = cb;
            d.asid = asid;
            d.state = st;
            d.smmu = s;
            try {
                // unlike a first attach, which goes on without it as upstream does, a takeover
                // fails without it: the previous driver had it, and the core may try again
                d.contextIrq = s.contextIrqs[cb].request(CONTEXT_IRQ_NAME, d::contextFault, true);
            } catch (IommuException e) {
                d.smmu = null;
                d.cbndx = -1;
                s.unclaimContextBank(cb, d);
                throw new IommuException(e.errno(), where + ": cannot request its context interrupt: " + e.getMessage(), e);
            }
            d.table.install(ops, format, context);
        }
        if (d.contextIrq != null) {
            // no handler was registered while the versions changed: a fault latched then is reported now
            d.contextFault(s.contextIrqs[cb].number());
        }
        return d;
    }

    /** "Request context fault interrupt. Do this last to avoid the handler seeing a half-initialised domain state." */
    private IrqRegistration requestContextIrq(SmmuInstance s, int cb) {
        IrqLine line = s.contextIrqs[cb];
        try {
            return line.request(CONTEXT_IRQ_NAME, this::contextFault, true);
        } catch (RuntimeException e) {
            driver.log().error("{}: failed to request context IRQ {} ({}): {}", s.prefix(), cb, line.number(), e.getMessage());
            return null;
        }
    }

    // ---------------------------------------------------------------- DomainOps

    /**
     * arm_smmu_attach_dev: finalise on the master's SMMU, refuse a domain of another SMMU, then
     * point the master's S2CRs at the bank. An EINVAL changes nothing.
     */
    @Override
    public void attachDev(IommuMaster dev) {
        table.checkLive();
        MasterCfg cfg = ArmSmmuDriver.masterCfg(dev);
        SmmuInstance s = cfg.smmu;
        initDomainContext(s);
        if (smmu != s) {
            throw new IommuException(Errno.EINVAL, String.format("%s: domain is on %s (context bank %d); a domain cannot span"
                    + " two SMMUs and %s is behind %s", dev.name(), smmu.node(), cbndx, dev.name(), s.node()));
        }
        s.streams.installS2crs(cfg, SmmuRegs.S2CR_TYPE_TRANS, cbndx, this);
    }

    @Override
    public long pgsizeBitmap() {
        return pgsizeBitmap;
    }

    @Override
    public DomainGeometry geometry() {
        return geometry;
    }

    /** @throws IommuException ENODEV while the domain has no table (never attached) */
    @Override
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, int prot) {
        return table.mapPages(iova, paddr, pgsize, pgcount, prot);
    }

    @Override
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        return table.unmapPages(iova, pgsize, pgcount, gather);
    }

    @Override
    public long iovaToPhys(long iova) {
        return table.iovaToPhys(iova);
    }

    /** arm_smmu_flush_iotlb_all: TLBIASID + sync */
    @Override
    public void flushIotlbAll() {
        if (smmu != null) {
            tlbFlushAll();
        }
    }

    /** arm_smmu_iotlb_sync: the TLBIVALs went out as pages were unmapped; only the context sync is left. */
    @Override
    public void iotlbSync(IotlbGather gather) {
        if (smmu != null) {
            tlbSyncContext();
        }
    }

    /**
     * arm_smmu_domain_free → arm_smmu_destroy_domain_context: disable the bank, free its interrupt,
     * free the table (which flushes the ASID), free the bank. Of an SMMU already removed only the
     * table is freed: its registers are not ours any more.
     */
    @Override
    public void free() {
        synchronized (initLock) { // waits for a finalisation in progress, so its bank and table are freed too
            if (!table.markFreed()) {
                return;
            }
        }
        driver.forgetDomain(this);
        SmmuInstance s = smmu;
        PageTableOps ops = table.ops();
        if (s == null || ops == null) {
            return;
        }
        int cb = cbndx;
        if (!s.removed) {
            s.writeContextBank(cb);
        }
        releaseContextIrq();
        ops.free();
        s.freeContextBank(cb);
    }

    /** free_irq of the context interrupt, once (free, a live update's preserve, remove after a failed takeover). */
    void releaseContextIrq() {
        IrqRegistration irq;
        synchronized (cbLock) {
            irq = contextIrq;
            contextIrq = null;
        }
        if (irq != null) {
            irq.free();
        }
    }

    // ---------------------------------------------------------------- TLB (arm_smmu_s1_tlb_ops)

    /*
     * Injected driver bugs: each invalidation below asks the SMMU's skip-invalidate point once and,
     * told to, writes nothing. One occurrence is one io-pgtable flush callback: the TLBIASID of
     * tlb_flush_all with its sync, the TLBIVA run of tlb_flush_walk with its sync, the TLBIVAL of
     * tlb_add_page (whose sync comes later with iotlb_sync and still goes out: a sync alone drops
     * nothing).
     */

    /** arm_smmu_tlb_inv_context_s1: TLBIASID, then sync */
    @Override
    public void tlbFlushAll() {
        SmmuInstance s = liveSmmu();
        if (s == null || s.skipInvalidate.shouldFail(() -> "TLBIASID " + asid + " (context bank " + cbndx + ") and its sync")) {
            return;
        }
        s.hw.cbWrite(cbndx, SmmuRegs.CB_S1_TLBIASID, asid);
        tlbSyncContext();
    }

    /** arm_smmu_tlb_inv_walk_s1: TLBIVA over the range, one per granule, then sync */
    @Override
    public void tlbFlushWalk(long iova, long size, long granule) {
        SmmuInstance s = liveSmmu();
        if (s == null || s.skipInvalidate.shouldFail(() -> String.format("TLBIVA of 0x%x-0x%x (ASID %d) and its sync",
                iova, iova + size - 1, asid))) {
            return;
        }
        invRange(s, iova, size, granule, SmmuRegs.CB_S1_TLBIVA);
        tlbSyncContext();
    }

    /** arm_smmu_tlb_add_page_s1: TLBIVAL for the leaf right away; the sync comes with iotlb_sync */
    @Override
    public void tlbAddPage(IotlbGather gather, long iova, long granule) {
        SmmuInstance s = liveSmmu();
        if (s == null || s.skipInvalidate.shouldFail(() -> String.format("TLBIVAL of 0x%x (ASID %d)", iova, asid))) {
            return;
        }
        invRange(s, iova, granule, granule, SmmuRegs.CB_S1_TLBIVAL);
    }

    /** @return the SMMU this domain's bank lives on, null before finalisation or once the SMMU was removed */
    private SmmuInstance liveSmmu() {
        SmmuInstance s = smmu;
        return s == null || s.removed ? null : s;
    }

    /**
     * arm_smmu_tlb_inv_range_s1, AArch64 format: value = (iova >> 12) | (ASID << 48), one 64-bit
     * write per granule.
     */
    private void invRange(SmmuInstance s, long iova, long size, long granule, int reg) {
        int cb = cbndx;
        long v = (iova >>> 12) | ((long) asid << SmmuRegs.TTBR_ASID_SHIFT);
        long left = size;
        do {
            s.hw.cbWriteq(cb, reg, v);
            v += granule >>> 12;
            left -= granule;
        } while (left > 0);
    }

    /** arm_smmu_tlb_sync_context: TLBSYNC and poll TLBSTATUS under the bank's lock; a timeout is logged. */
    private void tlbSyncContext() {
        SmmuInstance s = smmu;
        if (s == null || s.removed) {
            return;
        }
        synchronized (cbLock) {
            if (!s.hw.tlbSync(s.hw.cbPage(cbndx), SmmuRegs.CB_TLBSYNC, SmmuRegs.CB_TLBSTATUS)) {
                driver.logSyncTimeout(s);
            }
        }
    }

    // ---------------------------------------------------------------- faults

    /**
     * arm_smmu_context_fault (dart-facts §4.3): FAR, FSR, FSYNR0, CBFRSYNRA; no fault bits → NONE
     * (the line is shared). The fault goes to the core; if nobody handled it, the rate-limited
     * upstream lines are logged. FSR is cleared (W1C); a stalled transaction is terminated. Never throws.
     */
    IrqReturn contextFault(int irq) {
        SmmuInstance s = smmu;
        int idx = cbndx;
        if (s == null || idx < 0 || s.removed) {
            return IrqReturn.NONE;
        }
        try {
            long iova = s.hw.cbReadq(idx, SmmuRegs.CB_FAR);
            int fsr = s.hw.cbRead(idx, SmmuRegs.CB_FSR);
            int fsynr = s.hw.cbRead(idx, SmmuRegs.CB_FSYNR0);
            int cbfrsynra = s.hw.gr1Read(SmmuRegs.cbfrsynra(idx));
            if ((fsr & SmmuRegs.FSR_FAULT) == 0) {
                return IrqReturn.NONE;
            }
            boolean handled = s.report(new IommuFault(Bits.get(SmmuRegs.CBFRSYNRA_SID, cbfrsynra), iova,
                    (fsynr & SmmuRegs.FSYNR0_WNR) != 0, fsr & 0xffff_ffffL, FaultText.contextReason(fsr, fsynr)));
            if (!handled) {
                driver.logContextFault(s, idx, fsr, iova, fsynr, cbfrsynra);
            }
            s.hw.cbWrite(idx, SmmuRegs.CB_FSR, fsr);
            if ((fsr & SmmuRegs.FSR_SS) != 0) {
                // report_iommu_fault cannot answer -EAGAIN here: always terminate
                s.hw.cbWrite(idx, SmmuRegs.CB_RESUME, SmmuRegs.RESUME_TERMINATE);
            }
            return IrqReturn.HANDLED;
        } catch (RuntimeException e) {
            driver.log().error("{}: context fault interrupt {} of bank {}: {}", s.prefix(), irq, idx, e.getMessage());
            return IrqReturn.NONE;
        }
    }

    // ---------------------------------------------------------------- views

    @Override
    public void domainInit(int id, DomainType type) {
        this.id = id;
        this.type = type;
    }

    /** @return the core's domain id, -1 before the core made its domain */
    int id() {
        return id;
    }

    /** @return the core's domain type, null before the core made its domain */
    DomainType type() {
        return type;
    }

    /** @return the SMMU it was finalised on, else the one it was allocated for */
    SmmuInstance home() {
        SmmuInstance s = smmu;
        return s != null ? s : intended;
    }

    /** @return its ASID, meaningful once finalised */
    int asid() {
        return asid;
    }

    /** @return the SMMU the domain was finalised on, null before its first attach */
    SmmuInstance smmu() {
        return smmu;
    }

    /** @return its context bank, -1 before finalisation */
    int cbndx() {
        return cbndx;
    }

    /** @return the table's state (TTBR0, levels, TCR values), null before finalisation */
    PageTableState tableState() {
        return state;
    }

    /**
     * @return the io-pgtable half: after a pgtable update a new version of the format re-opens it
     *         ({@code PgtableFormats}) in the context it was made in (the owner tag, this domain as
     *         the flush ops); the bank, its registers and {@code state} stay as they are
     */
    PgtableDomain table() {
        return table;
    }

    /** @return the format object the table runs on, null before finalisation */
    PageTableFormat format() {
        return table.format();
    }

    @Override
    public String toString() {
        SmmuInstance s = smmu;
        return "arm-smmu domain " + (id >= 0 ? Integer.toString(id) : "@" + Integer.toHexString(System.identityHashCode(this)))
                + (s != null ? " (" + s.node() + " cb " + cbndx + ")" : "");
    }
}
