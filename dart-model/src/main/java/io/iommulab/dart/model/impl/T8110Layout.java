package io.iommulab.dart.model.impl;

import static io.iommulab.dart.model.impl.T8110Regs.*;

import io.iommulab.api.hw.RegisterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The T8110 register family (t8110, t6020): dart-facts §1.4 and the model contract
 * ({@code dart-model/README.md}, "Register map").
 *
 * <ul>
 * <li>PARAMS3/PARAMS4 report the strapped OAS, IAS and NUM_SIDS (options {@code oas}, {@code ias},
 *     {@code streams}). Only the SIDs whose TCR lies below the TTBR array
 *     ({@link T8110Regs#maxSidsWithRegs}, 256 at 0x1400) have TCR/TTBR registers; higher SIDs carry no transactions (model
 *     choice: the driver refuses more than 256 streams anyway).</li>
 * <li>TLB_CMD: {@code (op << 8) | sid}; OP 0 flushes every SID, OP 1 one SID, other OPs do nothing;
 *     BUSY (bit 31) then reads 1 once. OP and STREAM read back as written.</li>
 * <li>ENABLE_STREAMS / DISABLE_STREAMS: write-1-to-set / write-1-to-clear of one enable bitmap that
 *     both read back; ERROR_STREAMS: bit per SID set on every unmasked fault, W1C. These bitmaps live
 *     in the layout (the register file stores 0 there) so that the model's sets and software's
 *     clears are atomic with each other.</li>
 * <li>ERROR_MASK: a CODE bit set there is neither latched nor signalled nor noted in
 *     ERROR_STREAMS (model choice); the transaction still fails.</li>
 * <li>Walk: one TTBR; FOUR_LEVEL selects three tables (47 IOVA bits), else two (36 bits); IOVA bits
 *     above what the tables cover fault NO TTBR.</li>
 * </ul>
 */
final class T8110Layout extends DartLayout {

    private static final Logger LOG = LoggerFactory.getLogger(T8110Layout.class);

    private final AtomicIntegerArray errorStreams = new AtomicIntegerArray(STREAM_WORDS);

    T8110Layout(DartConfig config, DartWalker walker, DartIotlb iotlb) {
        super(config, walker, iotlb, TCR_TRANSLATE_ENABLE, TCR_BYPASS_DART);
    }

    @Override
    List<RegisterSpec> registers() {
        List<RegisterSpec> r = new ArrayList<>();
        r.add(RegisterSpec.ro("PARAMS1", PARAMS1, variant.pageShift() << PARAMS1_PAGE_SHIFT_SHIFT));
        r.add(RegisterSpec.ro("PARAMS2", PARAMS2, variant.bypass() ? PARAMS2_BYPASS_SUPPORT : 0));
        r.add(RegisterSpec.ro("PARAMS3", PARAMS3, ((variant.sizes().oas() & PARAMS3_WIDTH_MASK) << PARAMS3_PA_WIDTH_SHIFT)
                | ((variant.sizes().ias() & PARAMS3_WIDTH_MASK) << PARAMS3_VA_WIDTH_SHIFT)));
        r.add(RegisterSpec.ro("PARAMS4", PARAMS4, config.sids() & PARAMS4_NUM_SIDS_MASK));
        r.add(RegisterSpec.reg("TLB_CMD", TLB_CMD, 0, TLB_CMD_OP_MASK | TLB_CMD_STREAM_MASK));
        r.add(RegisterSpec.w1c("ERROR", ERROR, 0xFFFF_FFFF));
        r.add(RegisterSpec.reg("ERROR_MASK", ERROR_MASK, 0, 0xFFFF_FFFF));
        r.add(RegisterSpec.ro("ERROR_ADDR_LO", ERROR_ADDR_LO, 0));
        r.add(RegisterSpec.ro("ERROR_ADDR_HI", ERROR_ADDR_HI, 0));
        // W1C in the table for the record; the bitmap itself is errorStreams (onRead/onWrite).
        r.add(new RegisterSpec("ERROR_STREAMS", T8110Regs.ERROR_STREAMS, STREAM_WORDS, 4, 0, 0, 0xFFFF_FFFF));
        r.add(RegisterSpec.ro("PROTECT", PROTECT, config.locked() ? PROTECT_LOCK_TCR_TTBR : 0));
        r.add(RegisterSpec.array("ENABLE_STREAMS", ENABLE_STREAMS, STREAM_WORDS, 4, 0, 0));
        r.add(RegisterSpec.array("DISABLE_STREAMS", DISABLE_STREAMS, STREAM_WORDS, 4, 0, 0));
        // Locked (PROTECT bit 0): TCR and TTBR ignore software writes.
        r.add(RegisterSpec.array("TCR", TCR, sids, 4, 0, config.locked() ? 0 : TCR_WRITABLE));
        r.add(RegisterSpec.array("TTBR", variant.ttbrBase(), sids, 4, 0, config.locked() ? 0 : TTBR_VALID | TTBR_ADDR_MASK));
        return r;
    }

    @Override
    void onWrite(RegisterSpec reg, int index, int oldValue, int newValue, int value) {
        if (reg.offset() == variant.ttbrBase()) {
            // the TTBR array's offset is the variant's (not a switch label)
            mirror(ttbr, index, reg, index);
            return;
        }
        switch (reg.offset()) {
            case TCR:
                mirror(tcr, index, reg, index);
                break;
            case TLB_CMD:
                tlbCommand(value);
                break;
            case ENABLE_STREAMS:
                if (index < enable.length()) {
                    enable.getAndAccumulate(index, value & sidMask(index), (a, b) -> a | b);
                }
                break;
            case DISABLE_STREAMS:
                if (index < enable.length()) {
                    enable.getAndAccumulate(index, value, (a, b) -> a & ~b);
                }
                break;
            case T8110Regs.ERROR_STREAMS:
                errorStreams.getAndAccumulate(index, value, (a, b) -> a & ~b);
                break;
            default:
                break;
        }
    }

    private void tlbCommand(int value) {
        if (!startCommand()) {
            return;
        }
        int op = (value & TLB_CMD_OP_MASK) >>> TLB_CMD_OP_SHIFT;
        int sid = value & TLB_CMD_STREAM_MASK;
        if (op == TLB_CMD_OP_FLUSH_ALL) {
            iotlb.invalidateAll();
        } else if (op == TLB_CMD_OP_FLUSH_SID) {
            iotlb.invalidate(sid);
        } else {
            // m1n1 knows more OPs (TLB read/write, flush unlock); Linux never issues them.
            LOG.debug("apple-dart model: TLB_CMD op {} for stream {} is not modelled; ignored", op, sid);
        }
        commandDone(op == TLB_CMD_OP_FLUSH_ALL || op == TLB_CMD_OP_FLUSH_SID);
    }

    @Override
    int onRead(RegisterSpec reg, int index, int stored) {
        switch (reg.offset()) {
            case TLB_CMD:
                return busyOnRead() ? stored | TLB_CMD_BUSY : stored;
            case ENABLE_STREAMS:
            case DISABLE_STREAMS:
                return index < enable.length() ? enable.get(index) : 0;
            case T8110Regs.ERROR_STREAMS:
                return errorStreams.get(index);
            default:
                return stored;
        }
    }

    @Override
    int ttbrFor(int sid, long iova) {
        return ttbr.get(sid);
    }

    @Override
    long locate(int tcrValue, int ttbrValue, long iova, boolean counted) {
        if ((ttbrValue & TTBR_VALID) == 0) {
            return DartWalker.faultToken(DartFault.NO_TTBR);
        }
        int levels = (tcrValue & TCR_FOUR_LEVEL) != 0 ? 3 : 2;
        if ((iova >>> walker.coveredBits(levels)) != 0) {
            return DartWalker.faultToken(DartFault.NO_TTBR);
        }
        return walker.locate(ttbrTable(ttbrValue), levels, iova, counted);
    }

    @Override
    String flushDue(int sid) {
        return "T8110 TLB_CMD FLUSH_SID " + sid;
    }

    @Override
    int code(DartFault fault) {
        switch (fault) {
            case NO_TTBR: return CODE_NO_TTBR;
            case NO_PGD: return CODE_NO_PGD;
            case NO_PMD: return CODE_NO_PMD;
            case NO_PTE: return CODE_NO_PTE;
            case WRITE_FAULT: return CODE_WRITE_FAULT;
            case READ_FAULT: return CODE_READ_FAULT;
            default: throw new IllegalArgumentException("T8110 DARTs latch no code for " + fault);
        }
    }

    @Override
    boolean masked(int code) {
        return (regs.get(ERROR_MASK) & code) != 0;
    }

    @Override
    void noteFault(int sid) {
        errorStreams.getAndAccumulate(sid >>> 5, 1 << (sid & 31), (a, b) -> a | b);
    }

    @Override
    int errorValue(int sid, int code) {
        return T8110Regs.errorValue(sid, code);
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
