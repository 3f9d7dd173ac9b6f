package io.iommulab.smmu.impl;

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
import io.iommulab.smmu.impl.hw.SmmuHardware;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import java.util.Map;

/**
 * A paging domain (struct arm_smmu_domain, dart-facts §4.3): a stage-1 AArch64 context bank of
 * one SMMU with an {@code arm-lpae-s1} table, ASID = bank index. The page sizes and aperture are
 * fixed when the domain is allocated (the core keeps them from then on); the context - bank, table,
 * registers, fault interrupt - is finalised by the first attach, as arm_smmu_init_domain_context.
 * The domain is also the table's flush ops (arm_smmu_s1_tlb_ops): invalidation by VA as pages are
 * unmapped, a context sync in iotlb_sync.
 *
 * <p>Locking: {@code initLock} is the init_mutex (finalisation and free happen once);
 * {@code cbLock} serialises the TLB syncs of the bank (cb_lock). map/unmap take no lock.
 *
 * <p>Fields: {@code driver}; {@code intended} the SMMU of the master it was allocated for (its page
 * sizes and aperture); {@code pgsizeBitmap}/{@code geometry} as allocated; {@code smmu} the SMMU it
 * was finalised on (null before); {@code cbndx}/{@code asid} its bank; {@code table} the
 * io-pgtable half (map, unmap, lookup; its table is installed at finalisation; freed once);
 * {@code state} the table's roots; {@code contextIrq} the context fault handler registration (null
 * when the request failed, as ARM_SMMU_INVALID_IRPTNDX).
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
            PageTableOps ops;
            try {
                cbndx = cb;
                asid = cb;
                ops = allocTable(s, cb);
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
            table.install(ops);
        }
    }

    /** The core fixed the page sizes and aperture at allocation: the SMMU must agree with them. */
    private void checkFits(SmmuInstance s) {
        SmmuParams p = s.params;
        if (!p.has(SmmuParams.FEAT_TRANS_S1) || (p.features() & SmmuParams.FEAT_FMT_AARCH64) == 0) {
            throw new IommuException(Errno.EINVAL, s.prefix() + ": no stage-1 AArch64 context format (stage 2 and AArch32"
                    + " contexts are not driven)");
        }
        long bitmap = ConfigProbe.restrictPgsizes(ConfigProbe.aarch64PageSizes(p.features()), s.pdev.cpuPageSize());
        if (bitmap != pgsizeBitmap || p.vaSize() != intended.params.vaSize()) {
            throw new IommuException(Errno.EINVAL, String.format("%s: domain allocated for %s (page sizes 0x%x, %d-bit VA) does"
                    + " not fit this SMMU (0x%x, %d-bit VA)", s.prefix(), intended.node(), pgsizeBitmap,
                    intended.params.vaSize(), bitmap, p.vaSize()));
        }
    }

    private PageTableOps allocTable(SmmuInstance s, int cb) {
        PageTableFormat format = driver.format(PageTableFormat.ARM_LPAE_S1);
        PageTableConfig config = new PageTableConfig(pgsizeBitmap, s.params.vaSize(), s.params.ipaSize(),
                s.params.has(SmmuParams.FEAT_COHERENT_WALK), 0);
        String owner = ArmSmmuDriver.NAME + ":" + s.node() + ":cb" + cb;
        PageTableOps ops = IoPgtable.alloc(format, config, new PageTableContext(s.pdev.memory(), s.pdev.pages(), owner, this),
                s.prefix());
        long settled = ops.state().config().pgsizeBitmap();
        if (settled != pgsizeBitmap) {
            ops.free();
            throw new IommuException(Errno.EINVAL, String.format("%s: the table settled on page sizes 0x%x, the domain has 0x%x",
                    s.prefix(), settled, pgsizeBitmap));
        }
        return ops;
    }

    /**
     * arm_smmu_init_context_bank + arm_smmu_write_context_bank in upstream order: CBA2R, CBAR,
     * TCR2, TCR (before the TTBRs: it decides how ASID bits are taken), TTBR0/1, MAIR0/1, SCTLR.
     */
    private static void writeContextBank(SmmuInstance s, int cb, PageTableState st) {
        SmmuHardware hw = s.hw;
        Map<String, Long> v = st.hw();
        long asidBits = (long) cb << SmmuRegs.TTBR_ASID_SHIFT;
        int tcr = Bits.prep(SmmuRegs.TCR_TG0, (int) get(v, "tcr.tg0")) | Bits.prep(SmmuRegs.TCR_SH0, (int) get(v, "tcr.sh0"))
                | Bits.prep(SmmuRegs.TCR_ORGN0, (int) get(v, "tcr.orgn0")) | Bits.prep(SmmuRegs.TCR_IRGN0, (int) get(v, "tcr.irgn0"))
                | Bits.prep(SmmuRegs.TCR_T0SZ, (int) get(v, "tcr.t0sz")) | SmmuRegs.TCR_EPD1;
        int tcr2 = Bits.prep(SmmuRegs.TCR2_PASIZE, (int) get(v, "tcr.ips"))
                | Bits.prep(SmmuRegs.TCR2_SEP, SmmuRegs.TCR2_SEP_UPSTREAM) | SmmuRegs.TCR2_AS;
        long mair = get(v, "mair");
        hw.gr1Write(SmmuRegs.cba2r(cb), SmmuRegs.CBA2R_VA64);
        hw.gr1Write(SmmuRegs.cbar(cb), Bits.prep(SmmuRegs.CBAR_TYPE, SmmuRegs.CBAR_TYPE_S1_TRANS_S2_BYPASS)
                | Bits.prep(SmmuRegs.CBAR_S1_BPSHCFG, SmmuRegs.CBAR_S1_BPSHCFG_NSH)
                | Bits.prep(SmmuRegs.CBAR_S1_MEMATTR, SmmuRegs.CBAR_S1_MEMATTR_WB));
        hw.cbWrite(cb, SmmuRegs.CB_TCR2, tcr2);
        hw.cbWrite(cb, SmmuRegs.CB_TCR, tcr);
        hw.cbWriteq(cb, SmmuRegs.CB_TTBR0, asidBits | st.ttbrs()[0]);
        hw.cbWriteq(cb, SmmuRegs.CB_TTBR1, asidBits);
        hw.cbWrite(cb, SmmuRegs.CB_S1_MAIR0, (int) mair);
        hw.cbWrite(cb, SmmuRegs.CB_S1_MAIR1, (int) (mair >>> 32));
        hw.cbWrite(cb, SmmuRegs.CB_SCTLR, SmmuRegs.SCTLR_CFIE | SmmuRegs.SCTLR_CFRE | SmmuRegs.SCTLR_AFE | SmmuRegs.SCTLR_TRE
                | SmmuRegs.SCTLR_M | SmmuRegs.SCTLR_S1_ASIDPNE);
    }

    private static long get(Map<String, Long> hw, String key) {
        Long v = hw.get(key);
        if (v == null) {
            throw new IommuException(Errno.EINVAL, PageTableFormat.ARM_LPAE_S1 + " table state lacks '" + key + "' (has " + hw.keySet()
                    + ")");
        }
        return v;
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
        s.streams.installS2crs(cfg, SmmuRegs.S2CR_TYPE_TRANS, cbndx);
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
        SmmuInstance s = smmu;
        PageTableOps ops = table.ops();
        if (s == null || ops == null) {
            return;
        }
        int cb = cbndx;
        if (!s.removed) {
            s.writeContextBank(cb);
        }
        IrqRegistration irq = contextIrq;
        contextIrq = null;
        if (irq != null) {
            irq.free();
        }
        ops.free();
        s.freeContextBank(cb);
    }

    // ---------------------------------------------------------------- TLB (arm_smmu_s1_tlb_ops)

    /** arm_smmu_tlb_inv_context_s1: TLBIASID, then sync */
    @Override
    public void tlbFlushAll() {
        SmmuInstance s = smmu;
        if (s == null || s.removed) {
            return;
        }
        s.hw.cbWrite(cbndx, SmmuRegs.CB_S1_TLBIASID, asid);
        tlbSyncContext();
    }

    /** arm_smmu_tlb_inv_walk_s1: TLBIVA over the range, one per granule, then sync */
    @Override
    public void tlbFlushWalk(long iova, long size, long granule) {
        if (invRange(iova, size, granule, SmmuRegs.CB_S1_TLBIVA)) {
            tlbSyncContext();
        }
    }

    /** arm_smmu_tlb_add_page_s1: TLBIVAL for the leaf right away; the sync comes with iotlb_sync */
    @Override
    public void tlbAddPage(IotlbGather gather, long iova, long granule) {
        invRange(iova, granule, granule, SmmuRegs.CB_S1_TLBIVAL);
    }

    /**
     * arm_smmu_tlb_inv_range_s1, AArch64 format: value = (iova >> 12) | (ASID << 48), one 64-bit
     * write per granule.
     *
     * @return false if the domain has no live bank (nothing written)
     */
    private boolean invRange(long iova, long size, long granule, int reg) {
        SmmuInstance s = smmu;
        if (s == null || s.removed) {
            return false;
        }
        int cb = cbndx;
        long v = (iova >>> 12) | ((long) asid << SmmuRegs.TTBR_ASID_SHIFT);
        long left = size;
        do {
            s.hw.cbWriteq(cb, reg, v);
            v += granule >>> 12;
            left -= granule;
        } while (left > 0);
        return true;
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

    @Override
    public String toString() {
        SmmuInstance s = smmu;
        return "arm-smmu domain@" + Integer.toHexString(System.identityHashCode(this))
                + (s != null ? " (" + s.node() + " cb " + cbndx + ")" : "");
    }
}
