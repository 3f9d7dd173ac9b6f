package io.iommulab.dart.model.impl;

import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.RegisterSpec;
import io.iommulab.api.machine.FailNth;
import io.iommulab.dart.model.spi.DartModelHw;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What differs between the DART register families, as a strategy of the model: the register table,
 * the side effects of the command and stream-enable registers, the TCR decode, the TTBR selection
 * before a walk, and the error encoding. {@link T8020Layout} and {@link T8110Layout} implement it;
 * {@link DartModel} runs the common transaction pipeline.
 *
 * <p>Per-transaction state (TCR, TTBRs, stream enables) is mirrored from the register hooks into
 * {@link AtomicIntegerArray}s, so a transaction reads a few array elements (volatile loads, plain
 * loads on x86: a CPU's TCR write is seen by the next transaction on any DMA thread) instead of going
 * through the register file. The locked strapping is enforced by the register table (TCR/TTBR not
 * writable); the hooks mirror the value the register file kept, re-reading it under the mirror's
 * lock ({@link #mirror}) because the register file runs hooks outside its own lock: two CPUs writing
 * one register cannot leave the mirror with the older value.
 *
 * <p>Invalidation commands run synchronously inside the register write, before BUSY is armed, so
 * when software sees BUSY clear the IOTLB entries are gone (dart-facts §1.9). BUSY then reads 1 for
 * the next {@code busy-polls} reads (default 0, model choice: the simulated DART is done at once;
 * a test sets it to make a driver's poll loop go round).
 *
 * <p>A command whose completion is lost ({@code busy-stuck} strapping: every command from the first
 * one on; the machine's fail-nth point {@link FailNth#BUSY_STUCK}: one command) does nothing, and
 * BUSY reads 1: for ever when strapped, until the next command is written when injected (the driver
 * gave up on it; the next one runs). A poll reads the busy state (one volatile read, as before the
 * point existed); a command asks the point (one volatile read while nothing is armed) and reads a
 * plain flag to end a lost command's BUSY (commands are serialised by the driver's lock).
 */
abstract class DartLayout {

    /** TCR decode: the stream is blocked (NO TTBR fault, latched, model choice). */
    static final int MODE_BLOCKED = 0;
    /** TCR decode: PA = IOVA. */
    static final int MODE_BYPASS = 1;
    /** TCR decode: translate through the tables. */
    static final int MODE_TRANSLATE = 2;

    protected final DartConfig config;
    protected final DartModelHw variant;
    protected final DartWalker walker;
    protected final DartIotlb iotlb;
    /** SIDs with stream state. */
    protected final int sids;
    /** TCR of each SID, mirrored by the TCR hook. */
    protected final AtomicIntegerArray tcr;
    /** TTBRs, the family's {@code ttbrsPerStream} per SID, mirrored by the TTBR hook. */
    protected final AtomicIntegerArray ttbr;
    /** Stream-enable bitmap, one word per 32 SIDs. */
    protected final AtomicIntegerArray enable;
    /** The family's TCR TRANSLATE_ENABLE and BYPASS_DART bits (fields, not calls: read per transaction). */
    private final int tcrTranslate;
    private final int tcrBypass;
    private final LongAdder invalidations = new LongAdder();
    /** reads left that see BUSY after the last command ({@code busy-polls}) */
    private final java.util.concurrent.atomic.AtomicInteger busyReadsLeft = new java.util.concurrent.atomic.AtomicInteger();
    /** {@link #BUSY_NONE}, {@link #BUSY_STUCK} or {@link #BUSY_LOST}: what a poll reads */
    private volatile int busy;
    /** a lost command's BUSY is up: the next command ends it (written and read by commands only) */
    private boolean lostPending;
    /** the machine's fail-nth points, set by {@link #attach} */
    private ModelContext context;
    protected volatile RegisterFile regs;

    /** commands complete (busy-stuck strapping: none issued yet, BUSY reads 0) */
    private static final int BUSY_NONE = 0;
    /** busy-stuck strapping and a command was issued: BUSY reads 1 for ever */
    private static final int BUSY_STUCK = 2;
    /** fail-nth: the last command's completion was lost; BUSY reads 1 until the next command */
    private static final int BUSY_LOST = 3;

    /**
     * @param tcrTranslate the family's TCR TRANSLATE_ENABLE bit
     * @param tcrBypass    the family's TCR BYPASS_DART bit
     */
    DartLayout(DartConfig config, DartWalker walker, DartIotlb iotlb, int tcrTranslate, int tcrBypass) {
        this.config = config;
        this.tcrTranslate = tcrTranslate;
        this.tcrBypass = tcrBypass;
        this.variant = config.variant();
        this.walker = walker;
        this.iotlb = iotlb;
        this.sids = config.sidsWithRegs();
        this.tcr = new AtomicIntegerArray(sids);
        this.ttbr = new AtomicIntegerArray(sids * variant.family().ttbrsPerStream());
        this.enable = new AtomicIntegerArray((sids + 31) / 32);
    }

    /** @return the family's register table for this strapping */
    abstract List<RegisterSpec> registers();

    /** Gives the layout the register file built from {@link #registers()} and the machine's injection points. */
    void attach(RegisterFile file, ModelContext context) {
        this.context = context;
        this.regs = file;
    }

    /** Side effects of a software write (after the register file applied the masks). */
    abstract void onWrite(RegisterSpec reg, int index, int oldValue, int newValue, int value);

    /** @return the value software reads */
    abstract int onRead(RegisterSpec reg, int index, int stored);

    /**
     * Copies the stored value of element {@code index} of {@code reg} into {@code arr[slot]}. The
     * stored value is re-read under the array's monitor, so whichever hook runs last copies the
     * value of the last write.
     */
    final void mirror(AtomicIntegerArray arr, int slot, RegisterSpec reg, int index) {
        int offset = reg.count() == 1 ? reg.offset() : reg.offset() + index * reg.stride();
        synchronized (arr) {
            arr.set(slot, regs.get(offset));
        }
    }

    /** @return the mirrored TCR of {@code sid} */
    final int tcr(int sid) {
        return tcr.get(sid);
    }

    /** @return true if {@code sid}'s bit is set in the stream-enable state */
    final boolean streamEnabled(int sid) {
        return (enable.get(sid >>> 5) & (1 << (sid & 31))) != 0;
    }

    /** @return {@link #MODE_BLOCKED}, {@link #MODE_BYPASS} or {@link #MODE_TRANSLATE} for a TCR value */
    final int mode(int tcrValue) {
        boolean translate = (tcrValue & tcrTranslate) != 0;
        boolean bypass = (tcrValue & tcrBypass) != 0;
        if (translate && !bypass) {
            return MODE_TRANSLATE;
        }
        // BYPASS_DART alone bypasses only where PARAMS2 says the DART can; TRANSLATE+BYPASS is
        // m1n1's "INVALID" and 0 is blocked (dart-facts §1.5, contract step 3 of dart-model/README.md).
        return bypass && !translate && variant.bypass() ? MODE_BYPASS : MODE_BLOCKED;
    }

    /**
     * @return the mirrored value of the TTBR that translates {@code iova} on {@code sid} (T8020:
     *         the one IOVA[37:36] selects; T8110: the stream's only one), or 0 (not VALID) if the
     *         IOVA selects none
     */
    abstract int ttbrFor(int sid, long iova);

    /**
     * Checks the TTBR value and the IOVA's range, and walks the tables above the leaf.
     *
     * @param counted see {@link DartWalker#locate}
     * @return a {@link DartWalker#locate} result (the leaf's slot or a fault token)
     */
    abstract long locate(int tcrValue, int ttbrValue, long iova, boolean counted);

    /** @return the invalidation that drops {@code sid}'s IOTLB, as the family's registers spell it */
    abstract String flushDue(int sid);

    /** @return ERROR.CODE of a fault kind (the two unlatched kinds have none) */
    abstract int code(DartFault fault);

    /** @return the ERROR value latched for a fault */
    abstract int errorValue(int sid, int code);

    /** @return offset of ERROR */
    abstract int errorReg();

    /** @return offset of ERROR_ADDR_LO */
    abstract int errorAddrLo();

    /** @return offset of ERROR_ADDR_HI */
    abstract int errorAddrHi();

    /** @return true if the error mask keeps {@code code} from being latched (T8110 ERROR_MASK) */
    boolean masked(int code) {
        return false;
    }

    /** Records a fault of {@code sid} outside ERROR (T8110 ERROR_STREAMS). Called for every unmasked fault. */
    void noteFault(int sid) {
    }

    /** @return invalidation commands executed */
    final long invalidations() {
        return invalidations.sum();
    }

    /**
     * Starts a command: with the busy-stuck strapping, BUSY latches for ever and the command does
     * nothing; a command fail-nth makes lose its completion does nothing and BUSY reads 1 until the
     * next one. A command after a lost one runs.
     *
     * @return true if the command should run
     */
    final boolean startCommand() {
        if (config.busyStuck()) {
            busy = BUSY_STUCK;
            return false;
        }
        if (context.shouldFail(FailNth.BUSY_STUCK)) {
            lostPending = true;
            busy = BUSY_LOST;
            return false;
        }
        if (lostPending) {
            lostPending = false;
            busy = BUSY_NONE;
        }
        return true;
    }

    /** Ends a command: counts an invalidation if it did one, and arms BUSY for {@code busy-polls} reads. */
    final void commandDone(boolean invalidated) {
        if (invalidated) {
            invalidations.increment();
        }
        if (config.busyPolls() > 0) {
            busyReadsLeft.set(config.busyPolls());
        }
    }

    /** @return true if this read of the command register sees BUSY (busy-polls reads per command, or for ever when stuck) */
    final boolean busyOnRead() {
        int b = busy;
        if (b == BUSY_STUCK || b == BUSY_LOST) {
            return true;
        }
        // the common case (busy-polls = 0) costs one plain read of the counter
        return busyReadsLeft.get() > 0 && busyReadsLeft.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }

    /** @return bits of bitmap word {@code word} that name existing SIDs */
    final int sidMask(int word) {
        int left = sids - 32 * word;
        return left >= 32 ? -1 : left <= 0 ? 0 : (1 << left) - 1;
    }
}
