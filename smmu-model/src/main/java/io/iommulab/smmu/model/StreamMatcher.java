package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRegs.*;

import io.iommulab.api.hw.RegisterFile;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Stream identification: which S2CR an incoming stream id selects (contract "Stream matching and
 * S2CR", dart-facts §4.1). The SMMU decodes {@code sid-bits} bits of the stream id.
 * <ul>
 * <li>Stream indexing: the S2CR index is the stream id.</li>
 * <li>Stream matching: the SMRs with VALID whose {@code ((sid ^ ID) & ~MASK) == 0} within
 *     {@code sid-bits} match; one match selects its S2CR, none is {@link #NO_MATCH}, more than one
 *     is {@link #CONFLICT}.</li>
 * </ul>
 *
 * <h2>Match cache</h2>
 * Scanning up to 128 SMRs per DMA transaction would dominate a TLB hit, so each stream id's
 * outcome is cached, tagged with an SMR epoch that every SMR write moves on. The register hook
 * moves the epoch after the register file stored the SMR (volatile write), and a lookup reads the
 * epoch before the SMRs (volatile reads): a lookup that sees the new epoch sees the new SMR, and an
 * outcome computed from an older SMR carries an older tag and is recomputed. Cache words are
 * written and read with opaque (untorn) accesses; losing a race only costs a recomputation.
 */
final class StreamMatcher {

    /** No valid SMR matches the stream. */
    static final int NO_MATCH = -1;
    /** More than one valid SMR matches the stream. */
    static final int CONFLICT = -2;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final RegisterFile regs;
    private final boolean indexing;
    private final int smrs;
    private final int sidMask;
    /** Per stream id: (epoch << 32) | outcome; null under stream indexing. */
    private final long[] cache;
    /** SMR epoch; never 0, so the zeroed cache holds no valid outcome. */
    private volatile int epoch = 1;

    /** @param regs the register file holding the SMRs */
    StreamMatcher(SmmuConfig config, RegisterFile regs) {
        this.regs = regs;
        this.indexing = config.streamIndexing();
        this.smrs = config.smrs();
        this.sidMask = config.sidMask();
        this.cache = indexing ? null : new long[sidMask + 1];
    }

    /** @return the S2CR index for stream {@code sid}, or {@link #NO_MATCH} / {@link #CONFLICT} */
    int index(int sid) {
        int s = sid & sidMask;
        if (indexing) {
            return s;
        }
        int ep = epoch;
        long c = (long) LONGS.getOpaque(cache, s);
        if ((int) (c >>> 32) == ep) {
            return (int) c;
        }
        int idx = match(s);
        LONGS.setOpaque(cache, s, (long) ep << 32 | (idx & 0xFFFF_FFFFL));
        return idx;
    }

    private int match(int s) {
        int found = NO_MATCH;
        for (int i = 0; i < smrs; i++) {
            int smr = regs.get(SMR + 4 * i);
            if ((smr & SMR_VALID) == 0) {
                continue;
            }
            int mask = smr >>> SMR_MASK_SHIFT;
            if (((s ^ smr) & ~mask & sidMask) == 0) {
                if (found != NO_MATCH) {
                    return CONFLICT;
                }
                found = i;
            }
        }
        return found;
    }

    /** An SMR was written: every cached outcome is stale. Runs after the register file stored it. */
    synchronized void smrWritten() {
        int next = epoch + 1;
        epoch = next == 0 ? 1 : next;
    }
}
