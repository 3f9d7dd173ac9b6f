package io.iommulab.dart.model.impl;

import static io.iommulab.dart.model.impl.T8020Regs.*;

import io.iommulab.api.hw.RegisterSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The T8020 register family (t8103, t8103-usb4, t6000): dart-facts §1.3 and the model contract
 * ({@code dart-model/README.md}, "Register map").
 *
 * <ul>
 * <li>STREAM_COMMAND: writing INVALIDATE drops the IOTLB of every SID selected in STREAM_SELECT
 *     (one word per 32 SIDs), then BUSY reads 1 once (model choice). The command bits themselves
 *     are not stored: reads show only BUSY.</li>
 * <li>STREAMS_ENABLE words: plain RW bitmaps at the variant's offsets (usb4: 0xFC and 0xF8), reset 0,
 *     only bits of existing SIDs writable.</li>
 * <li>TTBR selection: IOVA >> (pageShift + 2·bitsPerLevel), IOVA[37:36] for 16 KiB pages; each of
 *     the four TTBRs covers 64 GiB with two tables below it.</li>
 * </ul>
 */
final class T8020Layout extends DartLayout {

    /** Tables below a T8020 TTBR (dart-facts §1.6: TTBR + 2 levels). */
    private static final int LEVELS = 2;

    private final int[] enableOffsets;
    private final int selectWords;
    private final int ttbrIndexShift;

    T8020Layout(DartConfig config, DartWalker walker, DartIotlb iotlb) {
        super(config, walker, iotlb, TCR_TRANSLATE_ENABLE, TCR_BYPASS_DART);
        this.enableOffsets = variant.streams().enableWords().stream().mapToInt(Integer::intValue).toArray();
        this.selectWords = (sids + 31) / 32;
        this.ttbrIndexShift = walker.coveredBits(LEVELS);
    }

    @Override
    List<RegisterSpec> registers() {
        List<RegisterSpec> r = new ArrayList<>();
        r.add(RegisterSpec.ro("PARAMS1", PARAMS1, variant.pageShift() << PARAMS1_PAGE_SHIFT_SHIFT));
        r.add(RegisterSpec.ro("PARAMS2", PARAMS2, variant.bypass() ? PARAMS2_BYPASS_SUPPORT : 0));
        // A command register: INVALIDATE triggers (onWrite), BUSY is produced by onRead.
        r.add(RegisterSpec.reg("STREAM_COMMAND", STREAM_COMMAND, 0, 0));
        for (int i = 0; i < selectWords; i++) {
            r.add(RegisterSpec.reg("STREAM_SELECT" + i, STREAM_SELECT + 4 * i, 0, sidMask(i)));
        }
        r.add(RegisterSpec.w1c("ERROR", ERROR, 0xFFFF_FFFF));
        r.add(RegisterSpec.ro("ERROR_ADDR_LO", ERROR_ADDR_LO, 0));
        r.add(RegisterSpec.ro("ERROR_ADDR_HI", ERROR_ADDR_HI, 0));
        r.add(RegisterSpec.ro("CONFIG", CONFIG, config.locked() ? CONFIG_LOCK : 0));
        for (int i = 0; i < enableOffsets.length; i++) {
            r.add(RegisterSpec.reg("STREAMS_ENABLE" + i, enableOffsets[i], 0, sidMask(i)));
        }
        // Locked: TCR and TTBR ignore software writes (CONFIG.LOCK, dart-facts §1.8).
        r.add(RegisterSpec.array("TCR", TCR, sids, 4, 0, config.locked() ? 0 : TCR_WRITABLE));
        r.add(RegisterSpec.array("TTBR", variant.ttbrBase(), sids * TTBR_COUNT, 4, 0, config.locked() ? 0 : 0xFFFF_FFFF));
        return r;
    }

    @Override
    void onWrite(RegisterSpec reg, int index, int oldValue, int newValue, int value) {
        int off = reg.offset();
        if (off == TCR) {
            mirror(tcr, index, reg, index);
        } else if (off == variant.ttbrBase()) {
            mirror(ttbr, index, reg, index);
        } else if (off == STREAM_COMMAND) {
            if ((value & STREAM_COMMAND_INVALIDATE) != 0 && startCommand()) {
                invalidateSelected();
                commandDone(true);
            }
        } else {
            for (int i = 0; i < enableOffsets.length; i++) {
                if (off == enableOffsets[i]) {
                    mirror(enable, i, reg, 0);
                }
            }
        }
    }

    /** Drops the IOTLB of every SID whose STREAM_SELECT bit is set. */
    private void invalidateSelected() {
        for (int w = 0; w < selectWords; w++) {
            int bits = regs.get(STREAM_SELECT + 4 * w);
            while (bits != 0) {
                int b = Integer.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                iotlb.invalidate(32 * w + b);
            }
        }
    }

    @Override
    int onRead(RegisterSpec reg, int index, int stored) {
        if (reg.offset() == STREAM_COMMAND && busyOnRead()) {
            return stored | STREAM_COMMAND_BUSY;
        }
        return stored;
    }

    @Override
    int ttbrFor(int sid, long iova) {
        long idx = iova >>> ttbrIndexShift;
        return idx < TTBR_COUNT ? ttbr.get(sid * TTBR_COUNT + (int) idx) : 0;
    }

    @Override
    long locate(int tcrValue, int ttbrValue, long iova, boolean counted) {
        if ((ttbrValue & TTBR_VALID) == 0) {
            return DartWalker.faultToken(DartFault.NO_TTBR);
        }
        return walker.locate(ttbrTable(ttbrValue), LEVELS, iova, counted);
    }

    @Override
    String flushDue(int sid) {
        int word = sid >>> 5;
        return String.format("DART stream flush: STREAM_SELECT word %d (0x%x) bit %d + STREAM_COMMAND INVALIDATE (stream %d)",
                word, STREAM_SELECT + 4 * word, sid & 31, sid);
    }

    @Override
    int code(DartFault fault) {
        switch (fault) {
            case NO_TTBR: return CODE_NO_TTBR;
            case NO_PMD: return CODE_NO_PMD;
            case NO_PTE: return CODE_NO_PTE;
            case WRITE_FAULT: return CODE_WRITE_FAULT;
            case READ_FAULT: return CODE_READ_FAULT;
            default: throw new IllegalArgumentException("T8020 DARTs latch no code for " + fault);
        }
    }

    @Override
    int errorValue(int sid, int code) {
        return T8020Regs.errorValue(sid, code);
    }

    @Override
    int errorReg() {
        return ERROR;
    }

    @Override
    int errorAddrLo() {
        return ERROR_ADDR_LO;
    }

    @Override
    int errorAddrHi() {
        return ERROR_ADDR_HI;
    }
}
