package io.iommulab.dart.impl.hw;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.dart.spi.DartFault;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartMmio;
import io.iommulab.klib.Bitmap;
import io.iommulab.klib.FaultInject;
import java.lang.invoke.MethodHandles;

/**
 * All register I/O of one probed DART: Linux's {@code apple_dart_hw_*} helpers (dart-facts §1.5,
 * §1.6, §1.8, §1.9). Stream arguments are 256-bit SID bitmaps ({@link Bitmap}, DART_MAX_STREAMS bits); SIDs at or above
 * the DART's stream count are skipped, as {@code for_each_set_bit(..., num_streams)} does.
 *
 * <p>Locking (dart-facts §3.4): only the invalidation sequence is serialised, by {@code tlbLock}
 * (the per-DART spinlock); TCR/TTBR writes take no lock because the core serialises attaches per
 * group and different groups use different streams.
 *
 * <p>Injected driver bugs: every invalidation asks {@code skipInvalidate} first, here and only here,
 * whichever family strategy (built in or a variant bundle's) would issue it; one occurrence is one
 * {@code hw->invalidate_tlb} call, i.e. one set of streams on this DART (T8020: one STREAM_SELECT +
 * STREAM_COMMAND sequence; T8110: the TLB_CMD FLUSH_SID of each stream of the set).
 *
 * <p>Fields: {@code dart} the registers and settled parameters; {@code hw}/{@code regs}/{@code
 * numStreams} its parts; {@code skipInvalidate} the {@code skip-invalidate} injection point of this
 * DART; {@code tlbLock} the invalidation lock.
 */
public final class DartHardware {

    private final DartMmio dart;
    private final DartHw hw;
    private final MmioWindow regs;
    private final int numStreams;
    private final FaultInject skipInvalidate;
    /** the per-DART spinlock (a monitor costs an atomic on exit too, and this is taken twice per map+unmap) */
    private final java.util.concurrent.atomic.AtomicBoolean tlbLock = new java.util.concurrent.atomic.AtomicBoolean();

    static {
        // The first invalidation of a new driver version is its attach inside a live update's
        // blackout: loading and verifying Poll there took ~0.3 ms of a 0.45 ms blackout. This
        // class is initialised when the DART is taken over, before the domains are paused.
        try {
            MethodHandles.lookup().ensureInitialized(Poll.class);
        } catch (IllegalAccessException e) {
            throw new ExceptionInInitializerError(e); // same package: always accessible
        }
    }

    /**
     * @param dart           the DART's registers and settled parameters
     * @param skipInvalidate its {@code skip-invalidate} fault-injection point
     */
    public DartHardware(DartMmio dart, FaultInject skipInvalidate) {
        this.dart = dart;
        this.hw = dart.hw();
        this.regs = dart.regs();
        this.numStreams = dart.numStreams();
        this.skipInvalidate = skipInvalidate;
    }

    /** @return what the family strategies get */
    public DartMmio mmio() {
        return dart;
    }

    /** @return the raw lock register (T8020 CONFIG, T8110 PROTECT) */
    public int readLock() {
        return regs.readl(hw.global().lock());
    }

    /** @return true if the lock bit is set: TCR and TTBR writes are ignored until reboot */
    public boolean isLocked() {
        return (readLock() & hw.global().lockBit()) != 0;
    }

    /**
     * apple_dart_hw_reset: refuse a locked DART; block every stream and clear its TTBRs; enable all
     * streams globally (TCR controls isolation); clear pending errors; invalidate everything. The
     * invalidation's result is the reset's result.
     *
     * @throws IommuException EINVAL "DART is locked down until reboot: %08x"; ETIMEDOUT from the invalidation
     */
    public void hwReset() {
        int config = readLock();
        if ((config & hw.global().lockBit()) != 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s: DART is locked down until reboot: %08x", dart.node(), config));
        }
        long[] all = Bitmap.zalloc(DartHw.MAX_STREAMS);
        Bitmap.setRange(all, 0, numStreams);
        hwDisableDma(all);
        hwClearAllTtbrs(all);
        // One word per 32 streams, at the offsets the variant lists: consecutive on T8020/T8110;
        // the usb4 variant lists 0xFC then 0xF8, because 0xFC + 4 is TCR[0] (dart-facts §1.9 (b)).
        for (int i = 0; i < (numStreams + 31) / 32; i++) {
            regs.writel(hw.global().enableStreams().get(i), -1);
        }
        hw.strategies().faultHandler().resetErrors(dart);
        hwInvalidateTlb(all);
    }

    /** apple_dart_hw_enable_translation: TCR ← translate (| FOUR_LEVEL for four-level tables). */
    public void hwEnableTranslation(long[] sidmap, int levels) {
        int tcr = hw.tcr().enabled() | (levels == 4 ? hw.tcr().fourLevel() : 0);
        writeTcr(sidmap, tcr);
    }

    /** apple_dart_hw_disable_dma: TCR ← the blocked value. */
    public void hwDisableDma(long[] sidmap) {
        writeTcr(sidmap, hw.tcr().disabled());
    }

    /** apple_dart_hw_enable_bypass: TCR ← the bypass value; the caller checked bypass support. */
    public void hwEnableBypass(long[] sidmap) {
        writeTcr(sidmap, hw.tcr().bypass());
    }

    private void writeTcr(long[] sidmap, int value) {
        for (int sid = Bitmap.findFirstBit(sidmap, numStreams); sid < numStreams; sid = Bitmap.findNextBit(sidmap, numStreams, sid + 1)) {
            regs.writel(hw.tcr().offset(sid), value);
        }
    }

    /**
     * apple_dart_hw_set_ttbr: TTBR[sid][idx] ← VALID | table address.
     *
     * @throws IommuException EINVAL if the table is not aligned to what a TTBR can hold (Linux WARNs;
     *         the formats never hand out such a table)
     */
    public void hwSetTtbr(long[] sidmap, int idx, long pa) {
        if ((pa & ((1L << hw.ttbr().shift()) - 1)) != 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s: table at 0x%x is not aligned to 0x%x for TTBR %d",
                    dart.node(), pa, 1L << hw.ttbr().shift(), idx));
        }
        int value = hw.ttbr().value(pa);
        for (int sid = Bitmap.findFirstBit(sidmap, numStreams); sid < numStreams; sid = Bitmap.findNextBit(sidmap, numStreams, sid + 1)) {
            regs.writel(hw.ttbr().offset(sid, idx), value);
        }
    }

    /** apple_dart_hw_clear_ttbr */
    public void hwClearTtbr(long[] sidmap, int idx) {
        for (int sid = Bitmap.findFirstBit(sidmap, numStreams); sid < numStreams; sid = Bitmap.findNextBit(sidmap, numStreams, sid + 1)) {
            regs.writel(hw.ttbr().offset(sid, idx), 0);
        }
    }

    /** apple_dart_hw_clear_all_ttbrs */
    public void hwClearAllTtbrs(long[] sidmap) {
        for (int idx = 0; idx < hw.ttbr().count(); idx++) {
            hwClearTtbr(sidmap, idx);
        }
    }

    /**
     * hw->invalidate_tlb under the DART's lock, so select → command → poll sequences of different
     * callers never interleave. An injected {@code skip-invalidate} leaves it out: nothing is
     * written and the streams' IOTLB entries stay, as if the driver had forgotten the flush.
     *
     * @throws IommuException ETIMEDOUT when BUSY does not clear
     */
    public void hwInvalidateTlb(long[] sidmap) {
        if (skipInvalidate.shouldFail(() -> "the invalidation of streams " + Bitmap.toText(sidmap, numStreams))) {
            return;
        }
        while (!tlbLock.compareAndSet(false, true)) {
            Thread.onSpinWait();
        }
        try {
            hw.strategies().invalidator().invalidateTlb(dart, sidmap);
        } finally {
            tlbLock.setRelease(false);
        }
    }

    /** @return the latched error, or null when ERROR.FLAG is clear */
    public DartFault readFault() {
        return hw.strategies().faultHandler().readFault(dart);
    }

    /** Clears a latched error (W1C). */
    public void clearFault(DartFault fault) {
        hw.strategies().faultHandler().clearFault(dart, fault);
    }

    /** @return TCR[sid] as the hardware holds it */
    public int readTcr(int sid) {
        return regs.readl(hw.tcr().offset(sid));
    }

    /** @return TTBR[sid][idx] as the hardware holds it */
    public int readTtbr(int sid, int idx) {
        return regs.readl(hw.ttbr().offset(sid, idx));
    }

    /** readl for the shell's register dump: reads have no side effect except that a pending BUSY may read once. */
    public int readl(int offset) {
        return regs.readl(offset);
    }
}
