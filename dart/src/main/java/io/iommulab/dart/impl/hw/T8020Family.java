package io.iommulab.dart.impl.hw;

import io.iommulab.klib.Bitmap;
import io.iommulab.klib.Bits;

import static io.iommulab.dart.impl.hw.T8020Regs.*;

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
 * The T8020/T6000 family strategies (t8103, t8103-usb4, t6000): params, invalidation by
 * STREAM_SELECT + STREAM_COMMAND, ERROR decoding. Stateless; one shared {@link #INSTANCE}.
 */
public final class T8020Family implements DartParamsReader, DartTlbInvalidator, DartFaultHandler {

    public static final T8020Family INSTANCE = new T8020Family();

    private static final ErrorRegs ERRORS = new ErrorRegs(ERROR, ERROR_ADDR_LO, ERROR_ADDR_HI, ERROR_FLAG,
            ERROR_STREAM, ERROR_CODE, ERROR_WRITE_FAULT, T8020Family::codeName);

    private T8020Family() {
    }

    /** IAS is fixed at 32; OAS and the stream count come from the variant record (dart-facts §1.8). */
    @Override
    public DartParams readParams(DartHw hw, MmioWindow regs) {
        int p1 = regs.readl(PARAMS1);
        int p2 = regs.readl(PARAMS2);
        long pgsize = 1L << Bits.get(PARAMS1_PAGE_SHIFT, p1);
        return new DartParams(pgsize, (p2 & PARAMS2_BYPASS_SUPPORT) != 0, IAS, hw.sizes().oas(), hw.sizes().maxSidCount(), false);
    }

    /**
     * apple_dart_t8020_hw_stream_command(INVALIDATE): select the streams, issue the command, poll
     * BUSY. STREAM_SELECT is written as 32-bit words of the bitmap: word {@code i} holds SIDs
     * {@code 32i..32i+31}. Upstream writes the i-th 64-bit long truncated to 32 bits instead, so on
     * the 64-stream usb4 DART SIDs 32–63 were never selected (dart-facts §1.9 (a)); we do what the
     * hardware needs, as the fork that fixed it does.
     */
    @Override
    public void invalidateTlb(DartMmio dart, long[] sidmap) {
        MmioWindow regs = dart.regs();
        int words = (dart.numStreams() + 31) / 32;
        for (int i = 0; i < words; i++) {
            regs.writel(STREAM_SELECT + 4L * i, Bitmap.arr32(sidmap, i));
        }
        regs.writel(STREAM_COMMAND, STREAM_COMMAND_INVALIDATE);
        if (!Poll.untilClear(regs, STREAM_COMMAND, STREAM_COMMAND_BUSY)) {
            throw new IommuException(Errno.ETIMEDOUT, String.format("%s: busy bit did not clear after command %x for streams %x",
                    dart.node(), STREAM_COMMAND_INVALIDATE, sidmap[0]));
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
            case ERROR_NO_TTBR: return FaultNames.NO_TTBR;
            default: return FaultNames.UNKNOWN;
        }
    }

    /** ERROR is W1C: writing the value read clears exactly what was latched. */
    @Override
    public void clearFault(DartMmio dart, DartFault fault) {
        dart.regs().writel(ERROR, fault.status());
    }

    @Override
    public void resetErrors(DartMmio dart) {
        MmioWindow regs = dart.regs();
        regs.writel(ERROR, regs.readl(ERROR));
    }

    @Override
    public String toString() {
        return "t8020-family";
    }
}
