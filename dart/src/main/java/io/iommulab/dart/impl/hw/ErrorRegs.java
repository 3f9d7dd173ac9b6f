package io.iommulab.dart.impl.hw;

import io.iommulab.klib.Bits;

import io.iommulab.api.machine.MmioWindow;
import io.iommulab.dart.spi.DartFault;
import java.util.function.IntFunction;

/**
 * Where a DART family keeps its error latch, and how it is read (the first half of the upstream
 * fault handlers, which differ only in offsets and field widths; dart-facts §1.3, §1.4, §1.7).
 *
 * @param error       offset of ERROR
 * @param addrLo      offset of ERROR_ADDR_LO
 * @param addrHi      offset of ERROR_ADDR_HI
 * @param flag        ERROR's FLAG bit
 * @param streamField ERROR's STREAM field mask
 * @param codeField   ERROR's CODE field mask
 * @param writeCode   the CODE value of a write fault
 * @param names       the name upstream prints for a CODE value
 */
record ErrorRegs(int error, int addrLo, int addrHi, int flag, int streamField, int codeField, int writeCode,
        IntFunction<String> names) {

    /** @return the latched error, or null when FLAG is clear (the interrupt was not this DART's) */
    DartFault read(MmioWindow regs) {
        int status = regs.readl(error);
        if ((status & flag) == 0) {
            return null;
        }
        long addr = (regs.readl(addrLo) & 0xffff_ffffL) | ((long) regs.readl(addrHi) << 32);
        int code = Bits.get(codeField, status);
        return new DartFault(status, Bits.get(streamField, status), code, names.apply(code), addr, code == writeCode);
    }
}
