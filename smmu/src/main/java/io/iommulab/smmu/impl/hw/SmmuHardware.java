package io.iommulab.smmu.impl.hw;

import io.iommulab.api.machine.MmioWindow;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * All register I/O of one SMMU (arm_smmu_readl/writel/readq/writeq of arm-smmu.h): a register is
 * addressed by page (GR0, GR1, or {@code NUMPAGE + n} for context bank n) and offset. 64-bit
 * registers are two words accessed as io-64-nonatomic-hi-lo does: high word first, then low; the
 * SMMU acts on a TLBI command when its low word is written (SMMU contract), so the order matters.
 * On arm64 a readq/writeq is one access; here the two words of one register are one access too:
 * a pair holds its register page's lock, so another CPU's pair cannot come between them (eight
 * threads unmapping in one domain each write TLBIVAL: an interleaved pair invalidated another
 * thread's address with this one's ASID, or this address with the other's, and left an entry
 * stale).
 *
 * <p>Fields: {@code node} DT path for messages; {@code regs} the window of {@code reg[0]};
 * {@code pgshift} log2 of the register page; {@code numPage} NUMPAGE (where the banks start), set
 * once ID1 was read; {@code clock} nanosecond clock bounding the TLB sync poll; {@code pairLocks}
 * the locks of the 64-bit pairs, striped by register page.
 */
public final class SmmuHardware {

    private static final int PAIR_LOCKS = 64;

    private final String node;
    private final MmioWindow regs;
    private final LongSupplier clock;
    private volatile int pgshift = SmmuRegs.PAGE_SHIFT_4K;
    private volatile int numPage;
    /** the locks of the 64-bit pairs, by register page (striped) */
    private final Object[] pairLocks = new Object[PAIR_LOCKS];

    public SmmuHardware(String node, MmioWindow regs, LongSupplier clock) {
        this.node = node;
        this.regs = regs;
        this.clock = clock;
        for (int i = 0; i < PAIR_LOCKS; i++) {
            pairLocks[i] = new Object();
        }
    }

    /** Sets the page geometry read from ID1 (arm_smmu_device_cfg_probe re-encodes smmu->numpage). */
    public void setGeometry(int pgshift, int numPage) {
        this.pgshift = pgshift;
        this.numPage = numPage;
    }

    public String node() {
        return node;
    }

    /** @return the window (for read-only views such as the shell) */
    public MmioWindow window() {
        return regs;
    }

    public int numPage() {
        return numPage;
    }

    public int pgshift() {
        return pgshift;
    }

    /** @return the byte offset of {@code offset} in register page {@code page} */
    public long offset(int page, int offset) {
        return ((long) page << pgshift) + offset;
    }

    /** @return the page of context bank {@code idx} (ARM_SMMU_CB) */
    public int cbPage(int idx) {
        return numPage + idx;
    }

    public int readl(int page, int offset) {
        return regs.readl(offset(page, offset));
    }

    public void writel(int page, int offset, int value) {
        regs.writel(offset(page, offset), value);
    }

    /** readq of io-64-nonatomic-hi-lo: high word, then low word, as one access (no pair of another CPU between) */
    public long readq(int page, int offset) {
        synchronized (pairLocks[page & (PAIR_LOCKS - 1)]) {
            long hi = regs.readl(offset(page, offset) + 4) & 0xffff_ffffL;
            long lo = regs.readl(offset(page, offset)) & 0xffff_ffffL;
            return hi << 32 | lo;
        }
    }

    /**
     * writeq of io-64-nonatomic-hi-lo: high word, then low word (the low word triggers a TLBI), as
     * one access (no pair of another CPU between)
     */
    public void writeq(int page, int offset, long value) {
        synchronized (pairLocks[page & (PAIR_LOCKS - 1)]) {
            regs.writel(offset(page, offset) + 4, (int) (value >>> 32));
            regs.writel(offset(page, offset), (int) value);
        }
    }

    public int gr0Read(int offset) {
        return readl(SmmuRegs.GR0, offset);
    }

    public void gr0Write(int offset, int value) {
        writel(SmmuRegs.GR0, offset, value);
    }

    public int gr1Read(int offset) {
        return readl(SmmuRegs.GR1, offset);
    }

    public void gr1Write(int offset, int value) {
        writel(SmmuRegs.GR1, offset, value);
    }

    public int cbRead(int idx, int offset) {
        return readl(cbPage(idx), offset);
    }

    public void cbWrite(int idx, int offset, int value) {
        writel(cbPage(idx), offset, value);
    }

    public long cbReadq(int idx, int offset) {
        return readq(cbPage(idx), offset);
    }

    public void cbWriteq(int idx, int offset, long value) {
        writeq(cbPage(idx), offset, value);
    }

    /**
     * __arm_smmu_tlb_sync (dart-facts §4.3): write the sync register, then poll the status
     * register's ACTIVE bit: {@link SmmuRegs#TLB_SPIN_COUNT} reads, then a delay doubling from 1 µs,
     * until about {@link SmmuRegs#TLB_LOOP_TIMEOUT_US} passed. The budget ends when the clock says a
     * second passed or, as in Linux (which counts delays, not time), when the delays add up to it.
     *
     * @return true once ACTIVE read clear; false on timeout (the caller logs)
     */
    public boolean tlbSync(int page, int syncOffset, int statusOffset) {
        writel(page, syncOffset, SmmuRegs.DUMMY_VAL);
        long start = clock.getAsLong();
        for (long delay = 1; ; delay <<= 1) {
            for (int spin = SmmuRegs.TLB_SPIN_COUNT; spin > 0; spin--) {
                // GSACTIVE and SACTIVE are both bit 0
                if ((readl(page, statusOffset) & SmmuRegs.STLBGSTATUS_GSACTIVE) == 0) {
                    return true;
                }
                Thread.onSpinWait();
            }
            long elapsedUs = (clock.getAsLong() - start) / 1000;
            if (delay >= SmmuRegs.TLB_LOOP_TIMEOUT_US || elapsedUs >= SmmuRegs.TLB_LOOP_TIMEOUT_US) {
                return false;
            }
            LockSupport.parkNanos(delay * 1000);
        }
    }

    @Override
    public String toString() {
        return "SMMU registers of " + node;
    }
}
