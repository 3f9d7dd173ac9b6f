package io.iommulab.smmu.impl;

import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.klib.Bits;
import io.iommulab.smmu.impl.hw.SmmuHardware;
import io.iommulab.smmu.impl.hw.SmmuRegs;

/**
 * The stream mapping table of one SMMU (smmu->smrs, smmu->s2crs and the stream_map_mutex of
 * arm-smmu.c; dart-facts §4.3): the driver's copy of every SMR and S2CR, written to the hardware
 * only when an operation as a whole succeeded. S2CR entries are reference-counted by the masters
 * using them; an SMR is valid while its S2CR has users. With stream indexing ({@code smrs} null) the
 * entry index is the SID. A new driver taking a running SMMU over adopts what the registers hold
 * ({@link #adopt}): valid SMRs without users yet, which the masters' probe_device find again.
 *
 * <p>Fields: {@code hw} register I/O; {@code smrs} the SMR copies (null without SMRs);
 * {@code s2crs} the S2CR copies; {@code initType} S2CR type of a free entry (FAULT when
 * disable_bypass, else BYPASS; changed with disable_bypass at run time, {@link #setInitType});
 * {@code lock} the stream_map_mutex guarding the arrays and the init type.
 */
final class StreamMap {

    /** struct arm_smmu_smr. Fields: {@code id}, {@code mask}, {@code valid}. */
    static final class Smr {
        int id;
        int mask;
        boolean valid;
    }

    /**
     * struct arm_smmu_s2cr. Fields: {@code group} the group of its masters (remembered by
     * device_group); {@code domain} the domain whose attach set it (not upstream: a live-update
     * record names every entry's domain); {@code count} masters using it; {@code type}
     * TRANS/BYPASS/FAULT; {@code privcfg}; {@code cbndx} context bank for TRANS.
     */
    static final class S2cr {
        IommuGroup group;
        DomainOps domain;
        int count;
        int type;
        int privcfg;
        int cbndx;
    }

    final Object lock = new Object();
    private final SmmuHardware hw;
    private final Smr[] smrs;
    private final S2cr[] s2crs;
    private int initType;

    StreamMap(SmmuHardware hw, int size, boolean streamMatching, int initType) {
        this.hw = hw;
        this.initType = initType;
        this.smrs = streamMatching ? new Smr[size] : null;
        this.s2crs = new S2cr[size];
        for (int i = 0; i < size; i++) {
            if (smrs != null) {
                smrs[i] = new Smr();
            }
            s2crs[i] = new S2cr();
            s2crs[i].type = initType;
        }
    }

    int size() {
        return s2crs.length;
    }

    /**
     * disable_bypass changed: every free entry (no user, at the old init type, SMR invalid) gets
     * the new init type, written; entries in use keep pointing at their domains and take it when
     * they are freed. An entry a takeover adopted and no master has found again is not free.
     * Caller holds {@link #lock}.
     */
    void setInitType(int type) {
        for (int i = 0; i < s2crs.length; i++) {
            S2cr s = s2crs[i];
            if (s.count == 0 && s.type == initType && (smrs == null || !smrs[i].valid)) {
                s.type = type;
                writeS2cr(i);
            }
        }
        initType = type;
    }

    boolean hasSmrs() {
        return smrs != null;
    }

    /** @return the S2CR copy of entry {@code idx} (callers hold {@link #lock} to change it) */
    S2cr s2cr(int idx) {
        return s2crs[idx];
    }

    /** @return the SMR copy of entry {@code idx}, null under stream indexing */
    Smr smr(int idx) {
        return smrs == null ? null : smrs[idx];
    }

    /** @return the S2CR register value of entry {@code idx} as the copy says */
    int s2crValue(int idx) {
        S2cr s = s2crs[idx];
        return s2crReg(s.type, s.cbndx, s.privcfg);
    }

    /** @return the SMR register value of entry {@code idx} as the copy says */
    int smrValue(int idx) {
        Smr s = smrs[idx];
        return smrReg(s.id, s.mask, s.valid);
    }

    /** @return the S2CR register for (type, cbndx, privcfg) */
    static int s2crReg(int type, int cbndx, int privcfg) {
        return Bits.prep(SmmuRegs.S2CR_TYPE, type) | Bits.prep(SmmuRegs.S2CR_CBNDX, cbndx) | Bits.prep(SmmuRegs.S2CR_PRIVCFG, privcfg);
    }

    /** @return the SMR register for (id, mask, valid); no EXIDS: VALID is bit 31 (dart-facts §4.2) */
    static int smrReg(int id, int mask, boolean valid) {
        return Bits.prep(SmmuRegs.SMR_ID, id) | Bits.prep(SmmuRegs.SMR_MASK, mask) | (valid ? SmmuRegs.SMR_VALID : 0);
    }

    /**
     * Takes entry {@code idx} over as the hardware holds it: the SMR (ignored under stream indexing)
     * and the S2CR, without users, group or domain yet (probe_device, device_group and attach find
     * them again). Nothing is written.
     *
     * @throws IommuException EINVAL if the S2CR has bits this driver never programs (another
     *         driver's configuration: writing the entry again would change it)
     */
    void adopt(int idx, int smr, int s2cr) {
        int fields = SmmuRegs.S2CR_TYPE | SmmuRegs.S2CR_CBNDX | SmmuRegs.S2CR_PRIVCFG;
        if ((s2cr & ~fields) != 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s: SME %d: S2CR 0x%08x has bits this driver does not"
                    + " program (0x%08x)", hw.node(), idx, s2cr, s2cr & ~fields));
        }
        synchronized (lock) {
            S2cr s = s2crs[idx];
            s.count = 0;
            s.group = null;
            s.domain = null;
            s.type = Bits.get(SmmuRegs.S2CR_TYPE, s2cr);
            s.cbndx = Bits.get(SmmuRegs.S2CR_CBNDX, s2cr);
            s.privcfg = Bits.get(SmmuRegs.S2CR_PRIVCFG, s2cr);
            if (smrs != null) {
                smrs[idx].valid = (smr & SmmuRegs.SMR_VALID) != 0;
                smrs[idx].id = Bits.get(SmmuRegs.SMR_ID, smr);
                smrs[idx].mask = Bits.get(SmmuRegs.SMR_MASK & ~SmmuRegs.SMR_VALID, smr);
            }
        }
    }

    /**
     * @return the entry translating (id, mask) now: the SID under stream indexing, else the valid
     *         SMR that covers it; -1 if none
     */
    int entryOf(int id, int mask) {
        synchronized (lock) {
            if (smrs == null) {
                return id >= 0 && id < s2crs.length ? id : -1;
            }
            for (int i = 0; i < smrs.length; i++) {
                if (smrs[i].valid && covers(smrs[i], id, mask)) {
                    return i;
                }
            }
            return -1;
        }
    }

    private static boolean covers(Smr s, int id, int mask) {
        return (mask & s.mask) == mask && ((id ^ s.id) & ~s.mask) == 0;
    }

    /** @return the index of the first invalid SMR (arm_smmu_test_smr_masks probes it), -1 if none */
    int firstFreeSmr() {
        synchronized (lock) {
            for (int i = 0; i < smrs.length; i++) {
                if (!smrs[i].valid) {
                    return i;
                }
            }
            return -1;
        }
    }

    /**
     * arm_smmu_find_sme: under stream indexing the SID; otherwise an SMR that entirely covers
     * (id, mask), else the first free one. Caller holds {@link #lock}.
     *
     * @throws IommuException EINVAL for a partial overlap with a valid SMR (some SID would match
     *         two entries), ENOSPC when every SMR is in use
     */
    int findSme(String dev, int id, int mask) {
        if (smrs == null) {
            return id;
        }
        int free = -1;
        for (int i = 0; i < smrs.length; i++) {
            Smr s = smrs[i];
            if (!s.valid) {
                if (free < 0) {
                    free = i;
                }
                continue;
            }
            if (covers(s, id, mask)) {
                return i;
            }
            if (((id ^ s.id) & ~(s.mask | mask)) == 0) {
                throw new IommuException(Errno.EINVAL, String.format("%s: stream ID 0x%x mask 0x%x partially overlaps SMR %d"
                        + " (ID 0x%x mask 0x%x) of %s", dev, id, mask, i, s.id, s.mask, hw.node()));
            }
        }
        if (free < 0) {
            throw new IommuException(Errno.ENOSPC, String.format("%s: no free stream match register for stream ID 0x%x mask"
                    + " 0x%x on %s (all %d in use)", dev, id, mask, hw.node(), smrs.length));
        }
        return free;
    }

    /** arm_smmu_free_sme: drop one user; @return true if the entry became free (back to its init value) */
    boolean freeSme(int idx) {
        S2cr s = s2crs[idx];
        if (--s.count > 0) {
            return false;
        }
        s.count = 0;
        s.group = null;
        s.domain = null;
        s.type = initType;
        s.privcfg = SmmuRegs.S2CR_PRIVCFG_DEFAULT;
        s.cbndx = 0;
        if (smrs != null) {
            smrs[idx].valid = false;
        }
        return true;
    }

    /**
     * arm_smmu_master_alloc_smes: find an entry for every ID first (unwinding the counts on any
     * failure, so nothing changes), then write the S2CRs and SMRs of all of them. An entry found
     * again after a takeover (valid, adopted from the hardware) keeps its SMR, so what is written is
     * what the registers hold.
     */
    void allocSmes(String dev, MasterCfg cfg) {
        synchronized (lock) {
            int i = 0;
            try {
                for (; i < cfg.numIds(); i++) {
                    if (cfg.smendx[i] != MasterCfg.INVALID_SMENDX) {
                        throw new IommuException(Errno.EEXIST, String.format("%s: stream ID 0x%x already has stream map entry"
                                + " %d on %s", dev, cfg.sids[i], cfg.smendx[i], hw.node()));
                    }
                    int idx = findSme(dev, cfg.sids[i], cfg.masks[i]);
                    if (smrs != null && !smrs[idx].valid) {
                        smrs[idx].id = cfg.sids[i];
                        smrs[idx].mask = cfg.masks[i];
                        smrs[idx].valid = true;
                    }
                    s2crs[idx].count++;
                    cfg.smendx[i] = idx;
                }
            } catch (IommuException e) {
                while (i-- > 0) {
                    freeSme(cfg.smendx[i]);
                    cfg.smendx[i] = MasterCfg.INVALID_SMENDX;
                }
                throw e;
            }
            for (int idx : cfg.smendx) {
                writeSme(idx);
            }
        }
    }

    /** arm_smmu_master_free_smes: entries that lost their last user go back to invalid / init type. */
    void freeSmes(MasterCfg cfg) {
        synchronized (lock) {
            for (int i = 0; i < cfg.numIds(); i++) {
                int idx = cfg.smendx[i];
                if (idx == MasterCfg.INVALID_SMENDX) {
                    continue;
                }
                if (freeSme(idx)) {
                    writeSme(idx);
                }
                cfg.smendx[i] = MasterCfg.INVALID_SMENDX;
            }
        }
    }

    /**
     * arm_smmu_master_install_s2crs: point every entry of the master at (type, cbndx) for
     * {@code domain}; unchanged ones are not rewritten (so the attach after a takeover writes nothing).
     */
    void installS2crs(MasterCfg cfg, int type, int cbndx, DomainOps domain) {
        synchronized (lock) {
            for (int idx : cfg.smendx) {
                if (idx == MasterCfg.INVALID_SMENDX) {
                    continue;
                }
                S2cr s = s2crs[idx];
                s.domain = domain;
                if (s.type == type && s.cbndx == cbndx) {
                    continue;
                }
                s.type = type;
                s.privcfg = SmmuRegs.S2CR_PRIVCFG_DEFAULT;
                s.cbndx = cbndx;
                writeS2cr(idx);
            }
        }
    }

    /** arm_smmu_write_sme: S2CR first, then the SMR (a valid SMR never points at a stale S2CR) */
    void writeSme(int idx) {
        writeS2cr(idx);
        if (smrs != null) {
            writeSmr(idx);
        }
    }

    private void writeSmr(int idx) {
        hw.gr0Write(SmmuRegs.smr(idx), smrValue(idx));
    }

    private void writeS2cr(int idx) {
        hw.gr0Write(SmmuRegs.s2cr(idx), s2crValue(idx));
    }

    /** The group went away: no entry remembers it any more (iommu_group release). */
    void forgetGroup(IommuGroup group) {
        synchronized (lock) {
            for (S2cr s : s2crs) {
                if (s.group == group) {
                    s.group = null;
                }
            }
        }
    }
}
