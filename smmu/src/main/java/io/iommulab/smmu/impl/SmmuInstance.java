package io.iommulab.smmu.impl;

import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuFault;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.driver.PreservedDomain;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.FailNth;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.IrqRegistration;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.klib.Bits;
import io.iommulab.klib.FaultInject;
import io.iommulab.smmu.impl.hw.FaultText;
import io.iommulab.smmu.impl.hw.SmmuHardware;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * One probed SMMU: struct arm_smmu_device plus its struct iommu_device (dart-facts §4).
 *
 * <p>Fields: {@code driver} the driver that probed it (rate limits, disable_bypass, logging);
 * {@code pdev} the platform device; {@code hw} all register I/O; {@code params} what ID0-2 said;
 * {@code streams} the stream mapping table; {@code contextIrqs} the context interrupt of each bank
 * (index = bank, as irptndx = cbndx on SMMUv2); {@code globalIrqCount} #global-interrupts;
 * {@code streamIdMask}/{@code smrMaskMask} the SID and mask bits the SMRs keep (probed after reset;
 * the mask is 0 without SMRs); {@code contextMap} banks in use and {@code cbs} the domain owning each
 * (guarded by {@code contextMap}); {@code globalIrqs} the global fault handler registrations;
 * {@code removed} set by remove: the registers are no longer ours; {@code record} the live-update
 * record's domains by the core's id when this instance was taken over from one (else empty), which
 * restoreDomain finds their banks in. After a takeover, banks in use whose domain is not restored
 * yet are set in {@code contextMap} with no owner in {@code cbs}. {@code skipInvalidate} is the
 * {@code skip-invalidate} fault-injection point every TLB invalidation of this SMMU asks first.
 * {@code disableBypass} is the driver's disable_bypass as this SMMU runs it (its reset, free
 * entries and sCR0.USFCFG), changed at run time by {@link #setDisableBypass} under the stream map's lock.
 */
public final class SmmuInstance implements IommuDevice {

    final ArmSmmuDriver driver;
    final PlatformDevice pdev;
    final SmmuHardware hw;
    final FaultInject skipInvalidate;
    final SmmuParams params;
    final StreamMap streams;
    final IrqLine[] contextIrqs;
    final int globalIrqCount;
    volatile int streamIdMask;
    volatile int smrMaskMask;
    private final BitSet contextMap = new BitSet(SmmuRegs.MAX_CBS);
    private final SmmuDomain[] cbs;
    final List<IrqRegistration> globalIrqs = new ArrayList<>();
    volatile boolean removed;
    volatile Map<Integer, PreservedDomain> record = Map.of();
    private volatile boolean disableBypass;

    SmmuInstance(ArmSmmuDriver driver, PlatformDevice pdev, SmmuHardware hw, SmmuParams params, IrqLine[] contextIrqs,
            int globalIrqCount) {
        this.driver = driver;
        this.pdev = pdev;
        this.hw = hw;
        this.skipInvalidate = new FaultInject(pdev, PlatformDevice.SKIP_INVALIDATE, driver.log());
        this.params = params;
        this.contextIrqs = contextIrqs;
        this.globalIrqCount = globalIrqCount;
        this.streamIdMask = params.streamIdMask();
        this.cbs = new SmmuDomain[params.numContextBanks()];
        this.disableBypass = driver.disableBypass();
        this.streams = new StreamMap(hw, params.numMappingGroups(), params.streamMatching(), initType(disableBypass));
    }

    @Override
    public PlatformDevice platformDevice() {
        return pdev;
    }

    /** @return stream IDs the SMMU tells apart: 2^NUMSIDB, or fewer if the SMRs keep fewer ID bits */
    @Override
    public int numStreams() {
        return streamIdMask + 1;
    }

    /** @return the SMMU's DT path */
    public String node() {
        return pdev.name();
    }

    /** @return what ID0/ID1/ID2 said */
    public SmmuParams params() {
        return params;
    }

    /** @return register I/O (for the shell's read-only views) */
    public SmmuHardware hardware() {
        return hw;
    }

    /** @return SID bits the SMRs keep (smmu->streamid_mask) */
    public int streamIdMask() {
        return streamIdMask;
    }

    /** @return SMR mask bits the SMRs keep (smmu->smr_mask_mask), 0 under stream indexing */
    public int smrMaskMask() {
        return smrMaskMask;
    }

    /** @return banks in use now */
    public BitSet contextBanksInUse() {
        synchronized (contextMap) {
            return (BitSet) contextMap.clone();
        }
    }

    private static int initType(boolean disableBypass) {
        return disableBypass ? SmmuRegs.S2CR_TYPE_FAULT : SmmuRegs.S2CR_TYPE_BYPASS;
    }

    /** @return the disable_bypass this SMMU runs with */
    public boolean disableBypass() {
        return disableBypass;
    }

    /**
     * disable_bypass changed while this SMMU runs (Linux reads it at probe only, a 0444 module
     * parameter; here the configuration changes it live): unmatched streams (sCR0.USFCFG) and free
     * stream-map entries follow at once, entries in use are left alone. Bypass is closed before the
     * free entries change and opened after them, so no stream passes while the two disagree.
     */
    void setDisableBypass(boolean on) {
        synchronized (streams.lock) {
            if (removed || disableBypass == on) {
                return;
            }
            disableBypass = on;
            if (on) {
                writeUsfcfg(true);
                streams.setInitType(initType(true));
            } else {
                streams.setInitType(initType(false));
                writeUsfcfg(false);
            }
        }
        driver.log().info("{}: disable_bypass {}: unmatched streams and free stream map entries {}", prefix(), on ? 1 : 0,
                on ? "fault" : "bypass");
    }

    private void writeUsfcfg(boolean fault) {
        int reg = hw.gr0Read(SmmuRegs.GR0_SCR0);
        hw.gr0Write(SmmuRegs.GR0_SCR0, fault ? reg | SmmuRegs.SCR0_USFCFG : reg & ~SmmuRegs.SCR0_USFCFG);
    }

    /** "arm-smmu /soc/iommu@..." as dev_err/dev_notice prefix driver and device */
    String prefix() {
        return ArmSmmuDriver.NAME + " " + node();
    }

    // ---------------------------------------------------------------- reset

    /**
     * arm_smmu_device_reset (dart-facts §4.3): clear sGFSR; every SMR invalid and S2CR at its init
     * type; every bank disabled with FSR cleared; TLBIALLH + TLBIALLNSNH; sCR0 with fault reporting,
     * client port on, USFCFG per disable_bypass, written after a global TLB sync. An injected
     * {@code skip-invalidate} leaves out the two TLBIALLs (one occurrence); the global sync stays,
     * as it also orders the sCR0 write.
     */
    void deviceReset() {
        int gfsr = hw.gr0Read(SmmuRegs.GR0_SGFSR);
        hw.gr0Write(SmmuRegs.GR0_SGFSR, gfsr);
        for (int i = 0; i < streams.size(); i++) {
            streams.writeSme(i);
        }
        for (int i = 0; i < params.numContextBanks(); i++) {
            writeContextBank(i);
            hw.cbWrite(i, SmmuRegs.CB_FSR, SmmuRegs.FSR_FAULT);
        }
        if (!skipInvalidate.shouldFail(() -> "TLBIALLH + TLBIALLNSNH of the reset")) {
            hw.gr0Write(SmmuRegs.GR0_TLBIALLH, SmmuRegs.DUMMY_VAL);
            hw.gr0Write(SmmuRegs.GR0_TLBIALLNSNH, SmmuRegs.DUMMY_VAL);
        }
        int reg = hw.gr0Read(SmmuRegs.GR0_SCR0);
        reg |= SmmuRegs.SCR0_GFRE | SmmuRegs.SCR0_GFIE | SmmuRegs.SCR0_GCFGFRE | SmmuRegs.SCR0_GCFGFIE;
        reg |= SmmuRegs.SCR0_VMIDPNE | SmmuRegs.SCR0_PTM;
        reg &= ~SmmuRegs.SCR0_CLIENTPD;
        if (disableBypass) {
            reg |= SmmuRegs.SCR0_USFCFG;
        } else {
            reg &= ~SmmuRegs.SCR0_USFCFG;
        }
        reg &= ~(SmmuRegs.SCR0_FB | SmmuRegs.SCR0_BSU);
        if (params.has(SmmuParams.FEAT_VMID16)) {
            reg |= SmmuRegs.SCR0_VMID16EN;
        }
        tlbSyncGlobal();
        hw.gr0Write(SmmuRegs.GR0_SCR0, reg);
    }

    /**
     * arm_smmu_test_smr_masks: in a free SMR, write the ID field with every SID bit, read back what
     * stuck; then the same for the MASK field. Masters claiming bits beyond these are refused.
     */
    void testSmrMasks() {
        if (!streams.hasSmrs()) {
            return;
        }
        int i = streams.firstFreeSmr();
        if (i < 0) {
            return;
        }
        hw.gr0Write(SmmuRegs.smr(i), Bits.prep(SmmuRegs.SMR_ID, streamIdMask));
        streamIdMask = Bits.get(SmmuRegs.SMR_ID, hw.gr0Read(SmmuRegs.smr(i)));
        hw.gr0Write(SmmuRegs.smr(i), Bits.prep(SmmuRegs.SMR_MASK, streamIdMask));
        smrMaskMask = Bits.get(SmmuRegs.SMR_MASK, hw.gr0Read(SmmuRegs.smr(i)));
    }

    /** arm_smmu_tlb_sync_global: sTLBGSYNC and poll sTLBGSTATUS; a timeout is only logged. */
    void tlbSyncGlobal() {
        synchronized (hw) {
            if (!hw.tlbSync(SmmuRegs.GR0, SmmuRegs.GR0_STLBGSYNC, SmmuRegs.GR0_STLBGSTATUS)) {
                driver.logSyncTimeout(this);
            }
        }
    }

    /**
     * arm_smmu_device_shutdown: "disabling translation" when banks are in use, then sCR0 = CLIENTPD:
     * every stream bypasses, whatever its S2CR says (dart-facts §4.3; DART instead blocks every stream).
     */
    void shutdown() {
        boolean inUse;
        synchronized (contextMap) {
            inUse = !contextMap.isEmpty();
        }
        if (inUse) {
            driver.log().info("{}: disabling translation", prefix());
        }
        hw.gr0Write(SmmuRegs.GR0_SCR0, SmmuRegs.SCR0_CLIENTPD);
    }

    // ---------------------------------------------------------------- context banks

    /**
     * __arm_smmu_alloc_bitmap over [start, NUMCB) for {@code domain}; an injection point of the
     * machine's fail-nth ({@code cb-alloc}), which makes it find every bank taken.
     *
     * @return the bank, or -1 when all are taken
     */
    int allocContextBank(int start, SmmuDomain domain) {
        if (pdev.shouldFail(FailNth.CB_ALLOC)) {
            return -1;
        }
        synchronized (contextMap) {
            int idx = contextMap.nextClearBit(start);
            if (idx >= params.numContextBanks()) {
                return -1;
            }
            contextMap.set(idx);
            cbs[idx] = domain;
            return idx;
        }
    }

    /** __arm_smmu_free_bitmap */
    void freeContextBank(int idx) {
        synchronized (contextMap) {
            cbs[idx] = null;
            contextMap.clear(idx);
        }
    }

    /**
     * Live update: bank {@code idx} runs a domain of the previous driver; it stays in use, with no
     * owner until restoreDomain claims it.
     */
    void adoptContextBank(int idx) {
        synchronized (contextMap) {
            contextMap.set(idx);
            cbs[idx] = null;
        }
    }

    /**
     * Live update: {@code domain} takes over bank {@code idx}, which the takeover found in use.
     *
     * @throws IommuException EINVAL if the bank was not in use or another domain has it already
     */
    void claimContextBank(int idx, SmmuDomain domain) {
        synchronized (contextMap) {
            if (idx < 0 || idx >= cbs.length || !contextMap.get(idx)) {
                throw new IommuException(Errno.EINVAL, String.format("%s: context bank %d is not one the takeover found"
                        + " in use (%d banks)", prefix(), idx, cbs.length));
            }
            if (cbs[idx] != null) {
                throw new IommuException(Errno.EINVAL, String.format("%s: context bank %d is taken over twice, by %s and %s",
                        prefix(), idx, cbs[idx], domain));
            }
            cbs[idx] = domain;
        }
    }

    /** Undoes {@link #claimContextBank}: the bank stays in use, unowned. */
    void unclaimContextBank(int idx, SmmuDomain domain) {
        synchronized (contextMap) {
            if (cbs[idx] == domain) {
                cbs[idx] = null;
            }
        }
    }

    /** @return the domain owning bank {@code idx}, or null */
    SmmuDomain bankOwner(int idx) {
        synchronized (contextMap) {
            return cbs[idx];
        }
    }

    /** arm_smmu_write_context_bank for a bank without configuration: only disable it. */
    void writeContextBank(int idx) {
        hw.cbWrite(idx, SmmuRegs.CB_SCTLR, 0);
    }

    // ---------------------------------------------------------------- faults

    /**
     * arm_smmu_global_fault (dart-facts §4.3): sGFSR = 0 → NONE (shared line). Otherwise the
     * rate-limited upstream lines, then (beyond upstream, which reports nothing) the fault goes to
     * the core with the SID of sGFSYNR1, then sGFSR is cleared (W1C). Never throws.
     */
    IrqReturn globalFault(int irq) {
        try {
            int gfsr = hw.gr0Read(SmmuRegs.GR0_SGFSR);
            int gfsynr0 = hw.gr0Read(SmmuRegs.GR0_SGFSYNR0);
            int gfsynr1 = hw.gr0Read(SmmuRegs.GR0_SGFSYNR1);
            int gfsynr2 = hw.gr0Read(SmmuRegs.GR0_SGFSYNR2);
            if (gfsr == 0) {
                return IrqReturn.NONE;
            }
            long far = hw.readq(SmmuRegs.GR0, SmmuRegs.GR0_SGFAR);
            driver.logGlobalFault(this, gfsr, gfsynr0, gfsynr1, gfsynr2);
            report(new IommuFault(Bits.get(SmmuRegs.SGFSYNR1_SID, gfsynr1), far, (gfsynr0 & SmmuRegs.SGFSYNR0_WNR) != 0,
                    gfsr & 0xffff_ffffL, FaultText.globalReason(gfsr)));
            hw.gr0Write(SmmuRegs.GR0_SGFSR, gfsr);
            return IrqReturn.HANDLED;
        } catch (RuntimeException e) {
            driver.log().error("{}: global fault interrupt {}: {}", prefix(), irq, e.getMessage());
            return IrqReturn.NONE;
        }
    }

    /** report_iommu_fault; @return true if a domain fault handler handled it (never throws) */
    boolean report(IommuFault fault) {
        try {
            return pdev.reportFault(fault);
        } catch (RuntimeException e) {
            driver.log().error("{}: reporting the fault of stream 0x{} at 0x{} failed: {}", prefix(),
                    Integer.toHexString(fault.sid()), Long.toHexString(fault.iova()), e.toString());
            return false;
        }
    }

    @Override
    public String toString() {
        return prefix();
    }
}
