package io.iommulab.dart.spi;

import io.iommulab.api.machine.MmioWindow;

/**
 * One probed DART as a family strategy sees it: its registers and the values probe settled.
 *
 * @param node       DT path of the DART, for messages
 * @param hw         the variant description
 * @param regs       the DART's MMIO window (32-bit accesses)
 * @param numStreams stream ids the DART has (from {@link DartParams#numStreams()})
 */
public record DartMmio(String node, DartHw hw, MmioWindow regs, int numStreams) {
}
