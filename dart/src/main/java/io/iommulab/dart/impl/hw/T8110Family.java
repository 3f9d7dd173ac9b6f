package io.iommulab.dart.impl.hw;

import io.iommulab.klib.Bitmap;
import io.iommulab.klib.Bits;

import static io.iommulab.dart.impl.hw.T8110Regs.*;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.dart.spi.DartFault;
import io.iommulab.dart.spi.DartFaultHandler;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartMmio;
import io.iommulab.dart.spi.DartParams;
import io.iommulab.dart.spi.DartParamsReader;
import io.iommulab.dart.spi.DartTlbInvalidator;

/**
 * The T8110 family strategies (t8110, t6020): PARAMS3/4, TLB_CMD per stream, ERROR with the 8-bit
 * stream field, ERROR_STREAMS and ERROR_MASK. Stateless; one shared {@link #INSTANCE}.
 */
public final class T8110Family implements DartParamsReader, DartTlbInvalidator, DartFaultHandler {

    public static final T8110Family INSTANCE = new T8110Family();

    private static final ErrorRegs ERRORS = new ErrorRegs(ERROR, ERROR_ADDR_LO, ERROR_ADDR_HI, ERROR_FLAG,
            ERROR_STREAM, ERROR_CODE, ERROR_WRITE_FAULT, T8110Family::codeName);

    private T8110Family() {
    }

    /** IAS/OAS from PARAMS3, streams from PARAMS4, four levels when IAS &gt; 36 (dart-facts §1.8). */
    @Override
    public DartParams readParams(DartHw hw, MmioWindow regs) {
        int p1 = regs.readl(PARAMS1);
        int p2 = regs.readl(PARAMS2);
        int p3 = regs.readl(PARAMS3);
        int p4 = regs.readl(PARAMS4);
        long pgsize = 1L << Bits.get(PARAMS1_PAGE_SHIFT, p1);
        int ias = Bits.get(PARAMS3_VA_WIDTH, p3);
        int oas = Bits.get(PARAMS3_PA_WIDTH, p3);
        int streams = Bits.get(PARAMS4_NUM_SIDS, p4);
        return new DartParams(pgsize, (p2 & PARAMS2_BYPASS_SUPPORT) != 0, ias, oas, streams, ias > FOUR_LEVEL_IAS);
    }

    /**
     * apple_dart_t8110_hw_tlb_command(FLUSH_SID): one command per selected stream, each polled
     * until BUSY clears; stops at the first timeout. OP 0 (flush all) is not used, as upstream.
     */
    @Override
    public void invalidateTlb(DartMmio dart, long[] sidmap) {
        MmioWindow regs = dart.regs();
        int n = dart.numStreams();
        for (int sid = Bitmap.findFirstBit(sidmap, n); sid < n; sid = Bitmap.findNextBit(sidmap, n, sid + 1)) {
            regs.writel(TLB_CMD, Bits.prep(TLB_CMD_OP, TLB_CMD_OP_FLUSH_SID) | Bits.prep(TLB_CMD_STREAM, sid));
            if (!Poll.untilClear(regs, TLB_CMD, TLB_CMD_BUSY)) {
                throw new IommuException(Errno.ETIMEDOUT, String.format("%s: busy bit did not clear after command %x for stream %d",
                        dart.node(), TLB_CMD_OP_FLUSH_SID, sid));
            }
        }
    }

    @Override
    public DartFault readFault(DartMmio dart) {
        return ERRORS.read(dart.regs());
    }

    /** @return the name upstream prints for a CODE value: exact match on one bit, else "unknown" */
    public static String codeName(int code) {
        switch (code) {
            case ERROR_READ_FAULT: return FaultNames.READ_FAULT;
            case ERROR_WRITE_FAULT: return FaultNames.WRITE_FAULT;
            case ERROR_NO_PTE: return FaultNames.NO_PTE;
            case ERROR_NO_PMD: return FaultNames.NO_PMD;
            case ERROR_NO_PGD: return FaultNames.NO_PGD;
            case ERROR_NO_TTBR: return FaultNames.NO_TTBR;
            default: return FaultNames.UNKNOWN;
        }
    }

    /**
     * W1C the latched error, then every ERROR_STREAMS word (v6.18: the per-stream indicators would
     * otherwise stay set forever).
     */
    @Override
    public void clearFault(DartMmio dart, DartFault fault) {
        MmioWindow regs = dart.regs();
        regs.writel(ERROR, fault.status());
        for (int i = 0; i < (dart.numStreams() + 31) / 32; i++) {
            regs.writel(ERROR_STREAMS + 4L * i, -1);
        }
    }

    /** Reset steps 5–6: clear what is pending, then unmask every error code. */
    @Override
    public void resetErrors(DartMmio dart) {
        MmioWindow regs = dart.regs();
        regs.writel(ERROR, regs.readl(ERROR));
        regs.writel(ERROR_MASK, 0);
    }

    @Override
    public String toString() {
        return "t8110-family";
    }
}
