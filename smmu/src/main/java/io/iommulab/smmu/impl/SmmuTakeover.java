package io.iommulab.smmu.impl;

import io.iommulab.api.driver.DomainHandover;
import io.iommulab.api.driver.FwspecEntry;
import io.iommulab.api.driver.PreservedDomain;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.driver.TakeoverSource;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.klib.Bits;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Live update, incoming side: a new version of the driver takes over an SMMU the previous one left
 * running, without arm_smmu_device_reset. It reads every SMR, S2CR and context bank (reads only),
 * checks them, against the previous driver's record when there is one it knows ({@link SmmuRecord}),
 * and rebuilds the software state from them: the stream mapping table (entries without users until
 * the masters' probe_device find them again), the context banks in use (unowned until
 * restoreDomain re-opens their domains) and the SID/mask widths. Nothing is written.
 *
 * <p>The state is refused (EINVAL naming the entry or bank and the values, so that the core falls
 * back to remove and probe) when it cannot be what this driver runs: translation off (sCR0.CLIENTPD)
 * or unmatched streams handled otherwise than disable_bypass says; an S2CR translating through a
 * disabled or missing bank, of reserved type, or with bits this driver never writes; SMRs wider than
 * the SMMU or matching one stream twice; a bank whose TTBR0 is not RAM; and, with a record, any
 * entry or bank that differs from it.
 *
 * <p>Fields: {@code driver}; {@code s} the new instance (its interrupts not requested yet);
 * {@code rec} the record if this driver knows it, else null; {@code smr}/{@code s2cr} the registers
 * of every entry; {@code banks} every context bank; {@code scr0}.
 */
final class SmmuTakeover {

    private final ArmSmmuDriver driver;
    private final SmmuInstance s;
    private final PreservedIommu rec;
    private final int[] smr;
    private final int[] s2cr;
    private final ContextBank[] banks;
    private final int scr0;

    private SmmuTakeover(ArmSmmuDriver driver, SmmuInstance s, PreservedIommu rec) {
        this.driver = driver;
        this.s = s;
        this.rec = rec;
        int n = s.streams.size();
        this.smr = new int[n];
        this.s2cr = new int[n];
        for (int i = 0; i < n; i++) {
            smr[i] = s.streams.hasSmrs() ? s.hw.gr0Read(SmmuRegs.smr(i)) : 0;
            s2cr[i] = s.hw.gr0Read(SmmuRegs.s2cr(i));
        }
        this.banks = new ContextBank[s.params.numContextBanks()];
        for (int cb = 0; cb < banks.length; cb++) {
            banks[cb] = ContextBank.read(s.hw, cb);
        }
        this.scr0 = s.hw.gr0Read(SmmuRegs.GR0_SCR0);
    }

    /**
     * Takes {@code s} over: checks, then adopts the stream mapping table, the banks in use and the
     * widths. The record is used when {@link SmmuRecord#knows} it; otherwise the hardware alone.
     *
     * @return what the state was taken from: the record, or the hardware
     * @throws IommuException EINVAL when the running state cannot be trusted (nothing was changed)
     */
    static TakeoverSource takeOver(ArmSmmuDriver driver, SmmuInstance s, PreservedIommu record) {
        String prefix = s.prefix();
        PreservedIommu rec = SmmuRecord.knows(record) ? record : null;
        if (rec != null && !rec.node().equals(s.node())) {
            driver.log().warn("{}: the {} record is of {}; reading the hardware instead", prefix, SmmuRecord.SCHEMA, rec.node());
            rec = null;
        } else if (rec == null && record != null) {
            driver.log().warn("{}: record {} version {} is not one this driver knows ({} {}); reading the hardware", prefix,
                    record.schema(), record.version(), SmmuRecord.SCHEMA, SmmuRecord.VERSION);
        }
        SmmuTakeover t = new SmmuTakeover(driver, s, rec);
        t.checkRunning();
        int[] widths = t.widths();
        t.checkEntries(widths[0]);
        t.checkBanks();
        Map<Integer, PreservedDomain> domains = t.checkRecord();
        t.adopt(widths, domains);
        driver.log().info("{}: took over a running SMMU from {}: {} stream map entries in use, context banks {} in use",
                prefix, rec != null ? "the " + SmmuRecord.SCHEMA + " record" : "the hardware", t.entriesInUse(),
                s.contextBanksInUse());
        return rec != null ? TakeoverSource.RECORD : TakeoverSource.HARDWARE;
    }

    private IommuException refuse(String what, Object... args) {
        return new IommuException(Errno.EINVAL, s.prefix() + ": cannot take over: " + String.format(what, args));
    }

    /** sCR0: the SMMU translates (a reset or removed SMMU bypasses), and unmatched streams do as disable_bypass says. */
    private void checkRunning() {
        if ((scr0 & SmmuRegs.SCR0_CLIENTPD) != 0) {
            throw refuse("sCR0 0x%08x has CLIENTPD set: the SMMU is not translating (reset or removed)", scr0);
        }
        boolean usf = (scr0 & SmmuRegs.SCR0_USFCFG) != 0;
        if (usf != driver.disableBypass()) {
            throw refuse("sCR0 0x%08x has USFCFG %d but this driver runs with disable_bypass %d (unmatched streams would"
                    + " be handled otherwise)", scr0, usf ? 1 : 0, driver.disableBypass() ? 1 : 0);
        }
    }

    /** @return {streamid_mask, smr_mask_mask}: the record's (within ID0's), else the NUMSIDB bits of ID0 for both */
    private int[] widths() {
        int id0Mask = s.params.streamIdMask();
        if (rec == null) {
            // the SMR fields implement NUMSIDB bits; Linux probes them by writing a free SMR, which a takeover must not
            return new int[] {id0Mask, s.streams.hasSmrs() ? id0Mask : 0};
        }
        int sid = (int) SmmuRecord.cell(rec, SmmuRecord.STREAMID_MASK, 0);
        int mask = (int) SmmuRecord.cell(rec, SmmuRecord.SMR_MASK_MASK, 0);
        if ((sid & ~id0Mask) != 0 || (mask & ~id0Mask) != 0) {
            throw refuse("the record's stream ID mask 0x%x / SMR mask 0x%x exceed the 0x%x of ID0.NUMSIDB", sid, mask, id0Mask);
        }
        return new int[] {sid, mask};
    }

    /** Every entry in use: a known S2CR type, TRANS only to an enabled bank, SMRs within the widths and not overlapping. */
    private void checkEntries(int sidMask) {
        boolean smrs = s.streams.hasSmrs();
        for (int i = 0; i < s2cr.length; i++) {
            if (smrs && (smr[i] & SmmuRegs.SMR_VALID) == 0) {
                continue;
            }
            int type = Bits.get(SmmuRegs.S2CR_TYPE, s2cr[i]);
            if (type == SmmuRegs.S2CR_TYPE_TRANS) {
                int cb = Bits.get(SmmuRegs.S2CR_CBNDX, s2cr[i]);
                if (cb >= banks.length) {
                    throw refuse("SME %d (%s): S2CR 0x%08x translates through context bank %d, beyond the %d banks", i,
                            smrText(i), s2cr[i], cb, banks.length);
                }
                if (!banks[cb].enabled()) {
                    throw refuse("SME %d (%s): S2CR 0x%08x translates through context bank %d, which is disabled (SCTLR"
                            + " 0x%08x)", i, smrText(i), s2cr[i], cb, banks[cb].sctlr());
                }
            } else if (type != SmmuRegs.S2CR_TYPE_BYPASS && type != SmmuRegs.S2CR_TYPE_FAULT) {
                throw refuse("SME %d (%s): S2CR 0x%08x has the reserved type %d", i, smrText(i), s2cr[i], type);
            }
            if (!smrs) {
                continue;
            }
            int id = Bits.get(SmmuRegs.SMR_ID, smr[i]);
            int mask = Bits.get(SmmuRegs.SMR_MASK & ~SmmuRegs.SMR_VALID, smr[i]);
            if (((id | mask) & ~sidMask) != 0) {
                throw refuse("SME %d: SMR 0x%08x has ID 0x%x / mask 0x%x beyond the 0x%x stream ID bits", i, smr[i], id, mask,
                        sidMask);
            }
            for (int j = 0; j < i; j++) {
                if ((smr[j] & SmmuRegs.SMR_VALID) != 0 && ((id ^ Bits.get(SmmuRegs.SMR_ID, smr[j]))
                        & ~(mask | Bits.get(SmmuRegs.SMR_MASK & ~SmmuRegs.SMR_VALID, smr[j]))) == 0) {
                    throw refuse("SMEs %d (SMR 0x%08x) and %d (SMR 0x%08x) match the same stream IDs", j, smr[j], i, smr[i]);
                }
            }
        }
    }

    private String smrText(int i) {
        return s.streams.hasSmrs() ? String.format("SMR 0x%08x", smr[i]) : "stream ID 0x" + Integer.toHexString(i);
    }

    /** Every enabled bank walks a table in RAM. */
    private void checkBanks() {
        for (int cb = 0; cb < banks.length; cb++) {
            ContextBank b = banks[cb];
            if (b.enabled() && !s.pdev.memory().isRam(b.root())) {
                throw refuse("context bank %d: TTBR0 0x%016x points outside RAM (table at 0x%x)", cb, b.ttbr0(), b.root());
            }
        }
    }

    /**
     * With a record: its sizes, every entry and every bank must be what the hardware holds.
     *
     * @return the record's domains by the core's id (empty without a record)
     */
    private Map<Integer, PreservedDomain> checkRecord() {
        Map<Integer, PreservedDomain> byId = new HashMap<>();
        if (rec == null) {
            return byId;
        }
        SmmuParams p = s.params;
        if (rec.ias() != p.vaSize() || rec.oas() != p.ipaSize()) {
            throw refuse("the record says %d-bit IAS, %d-bit OAS; ID2 says %d (UBS) and %d (IAS)", rec.ias(), rec.oas(),
                    p.vaSize(), p.ipaSize());
        }
        boolean smrs = s.streams.hasSmrs();
        for (String name : smrs ? List.of(SmmuRecord.SMR_ID, SmmuRecord.SMR_MASK, SmmuRecord.SMR_VALID, SmmuRecord.S2CR_TYPE,
                SmmuRecord.S2CR_CBNDX, SmmuRecord.S2CR_PRIVCFG) : List.of(SmmuRecord.S2CR_TYPE, SmmuRecord.S2CR_CBNDX,
                SmmuRecord.S2CR_PRIVCFG)) {
            if (rec.property(name).size() != s2cr.length) {
                throw refuse("the record has %d cells of '%s', the SMMU %d stream map entries", rec.property(name).size(), name,
                        s2cr.length);
            }
        }
        for (int i = 0; i < s2cr.length; i++) {
            int rs2cr = StreamMap.s2crReg((int) SmmuRecord.cell(rec, SmmuRecord.S2CR_TYPE, i),
                    (int) SmmuRecord.cell(rec, SmmuRecord.S2CR_CBNDX, i), (int) SmmuRecord.cell(rec, SmmuRecord.S2CR_PRIVCFG, i));
            int rsmr = smrs ? StreamMap.smrReg((int) SmmuRecord.cell(rec, SmmuRecord.SMR_ID, i),
                    (int) SmmuRecord.cell(rec, SmmuRecord.SMR_MASK, i), SmmuRecord.cell(rec, SmmuRecord.SMR_VALID, i) != 0) : 0;
            // an invalid SMR's ID and MASK bits are no state (arm_smmu_test_smr_masks leaves its probe in one)
            boolean valid = ((rsmr | smr[i]) & SmmuRegs.SMR_VALID) != 0;
            if (rs2cr != s2cr[i] || valid && rsmr != smr[i]) {
                throw refuse("SME %d: the record says SMR 0x%08x S2CR 0x%08x, the hardware holds SMR 0x%08x S2CR 0x%08x", i, rsmr,
                        rs2cr, smr[i], s2cr[i]);
            }
        }
        PreservedDomain[] owner = new PreservedDomain[banks.length];
        for (PreservedDomain d : rec.domains()) {
            byId.put(d.domain(), d);
            int cb = (int) SmmuRecord.cell(d, SmmuRecord.CBNDX);
            if (cb < 0) {
                continue;
            }
            if (d.table() != null && d.formatVersion() != SmmuRecord.FORMAT_VERSION) {
                throw refuse("the record gives domain %d a %s table of encoding version %d; this driver knows %d", d.domain(),
                        d.table().format(), d.formatVersion(), SmmuRecord.FORMAT_VERSION);
            }
            if (cb >= banks.length || d.table() == null) {
                throw refuse("the record puts domain %d on context bank %d%s", d.domain(), cb,
                        cb >= banks.length ? " of " + banks.length : " without a table");
            }
            if (owner[cb] != null) {
                throw refuse("the record puts domains %d and %d on context bank %d", owner[cb].domain(), d.domain(), cb);
            }
            owner[cb] = d;
            String diff = banks[cb].differences(ContextBank.of(d.table(), (int) SmmuRecord.cell(d, SmmuRecord.ASID)));
            if (!diff.isEmpty()) {
                throw refuse("context bank %d of domain %d does not hold what the record's table says: %s", cb, d.domain(), diff);
            }
        }
        for (int cb = 0; cb < banks.length; cb++) {
            if (banks[cb].enabled() && owner[cb] == null) {
                throw refuse("context bank %d is enabled (TTBR0 0x%016x) but the record names no domain on it", cb,
                        banks[cb].ttbr0());
            }
        }
        return byId;
    }

    /** The driver's state becomes what the hardware holds. */
    private void adopt(int[] widths, Map<Integer, PreservedDomain> domains) {
        s.streamIdMask = widths[0];
        s.smrMaskMask = widths[1];
        for (int i = 0; i < s2cr.length; i++) {
            s.streams.adopt(i, smr[i], s2cr[i]);
        }
        for (int cb = 0; cb < banks.length; cb++) {
            if (banks[cb].enabled()) {
                s.adoptContextBank(cb);
            }
        }
        s.record = Map.copyOf(domains);
    }

    private int entriesInUse() {
        int n = 0;
        for (int i = 0; i < s2cr.length; i++) {
            if (s.streams.hasSmrs() ? (smr[i] & SmmuRegs.SMR_VALID) != 0
                    : Bits.get(SmmuRegs.S2CR_TYPE, s2cr[i]) == SmmuRegs.S2CR_TYPE_TRANS) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- domains

    /**
     * restoreDomain: the paging domain {@code h} re-opened on the bank its streams' S2CRs (or the
     * record) name, with the table the record gives or, without one, the table that bank's
     * registers describe; the bank must hold exactly what this driver programs for that table and
     * ASID. A domain never attached (no bank in the record) comes back unfinalised.
     *
     * @throws IommuException EINVAL naming the domain, stream, entry or bank that does not add up
     */
    static SmmuDomain restoreDomain(ArmSmmuDriver driver, List<SmmuInstance> instances, DomainHandover h) {
        String who = "domain " + h.domain() + " (" + h.type() + ")";
        SmmuInstance s = null;
        int cb = -1;
        for (FwspecEntry e : h.streams()) {
            SmmuInstance si = driver.instance(e.iommu());
            if (s != null && si != s) {
                throw new IommuException(Errno.EINVAL, who + " is attached to streams of " + s.node() + " and " + si.node());
            }
            s = si;
            int[] args = e.args();
            int sid = args.length > 0 ? args[0] : 0;
            int mask = args.length > 1 ? args[1] : ArmSmmuDriver.streamMatchMask(si);
            int idx = si.streams.entryOf(sid, mask);
            if (idx < 0) {
                throw new IommuException(Errno.EINVAL, String.format("%s: stream 0x%x (mask 0x%x) of %s matches no stream map"
                        + " entry", si.prefix(), sid, mask, who));
            }
            int s2cr = si.streams.s2crValue(idx);
            if (Bits.get(SmmuRegs.S2CR_TYPE, s2cr) != SmmuRegs.S2CR_TYPE_TRANS) {
                throw new IommuException(Errno.EINVAL, String.format("%s: SME %d of stream 0x%x of %s has S2CR 0x%08x: not"
                        + " translated by a context bank", si.prefix(), idx, sid, who, s2cr));
            }
            int c = Bits.get(SmmuRegs.S2CR_CBNDX, s2cr);
            if (cb >= 0 && c != cb) {
                throw new IommuException(Errno.EINVAL, String.format("%s: the streams of %s translate through context banks"
                        + " %d and %d", si.prefix(), who, cb, c));
            }
            cb = c;
        }
        PreservedDomain pd = null;
        for (SmmuInstance si : instances) {
            if (s == null || si == s) {
                PreservedDomain found = si.record.get(h.domain());
                if (found != null) {
                    pd = found;
                    s = si;
                }
            }
        }
        if (s == null) {
            throw new IommuException(Errno.EINVAL, driver.name() + ": " + who + " is attached to no stream and no record names"
                    + " it: its context bank cannot be found");
        }
        int recCb = pd != null ? (int) SmmuRecord.cell(pd, SmmuRecord.CBNDX) : -1;
        if (recCb >= 0 && cb >= 0 && recCb != cb) {
            throw new IommuException(Errno.EINVAL, String.format("%s: the record puts %s on context bank %d, its streams'"
                    + " S2CRs on %d", s.prefix(), who, recCb, cb));
        }
        if (cb < 0) {
            cb = recCb;
        }
        SmmuDomain d;
        if (cb < 0) {
            if (h.table() != null) {
                throw new IommuException(Errno.EINVAL, s.prefix() + ": " + who + " has a table but no context bank");
            }
            d = driver.allocDomain(s, who);
        } else {
            d = reopen(driver, s, cb, pd, h.table(), who);
        }
        d.domainInit(h.domain(), h.type());
        return d;
    }

    /** The domain on bank {@code cb}: the bank must hold what this driver programs for the table (given, or read from it). */
    private static SmmuDomain reopen(ArmSmmuDriver driver, SmmuInstance s, int cb, PreservedDomain pd, PageTableState table,
            String who) {
        int asid = pd != null && SmmuRecord.cell(pd, SmmuRecord.ASID) >= 0 ? (int) SmmuRecord.cell(pd, SmmuRecord.ASID) : cb;
        ContextBank bank = ContextBank.read(s.hw, cb);
        // concatenated, not formatted: this runs for every domain inside a live update's blackout
        String where = s.prefix() + ": context bank " + cb + " of " + who;
        PageTableState st = table != null ? table
                : bank.tableState(driver.pageSizes(s), s.params.ipaSize(), s.params.has(SmmuParams.FEAT_COHERENT_WALK), where);
        String diff = bank.differences(ContextBank.of(st, asid));
        if (!diff.isEmpty()) {
            throw new IommuException(Errno.EINVAL, where + " does not hold what its table and ASID " + asid + " program: " + diff);
        }
        SmmuDomain d = SmmuDomain.adopt(driver, s, cb, asid, st);
        driver.trackDomain(d);
        return d;
    }
}
