package io.iommulab.smmu.impl.shell;

/**
 * One context bank as {@code smmu:banks} shows it, read from the registers.
 *
 * @param index  bank number
 * @param inUse  owned by a domain (the driver's bitmap)
 * @param asid   TTBR0.ASID [63:48]
 * @param ttbr0  TTBR0
 * @param sctlr  SCTLR
 * @param tcr    TCR
 * @param fsr    FSR
 */
public record BankDTO(int index, boolean inUse, int asid, long ttbr0, int sctlr, int tcr, int fsr) {

    @Override
    public String toString() {
        return String.format("cb %3d %-6s ASID %3d TTBR0 0x%016x SCTLR 0x%08x%s TCR 0x%08x FSR 0x%08x", index,
                inUse ? "in use" : "free", asid, ttbr0, sctlr, (sctlr & 1) != 0 ? " (M)" : "", tcr, fsr);
    }
}
