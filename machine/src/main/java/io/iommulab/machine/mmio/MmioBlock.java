package io.iommulab.machine.mmio;

import io.iommulab.api.dt.DtNode;
import io.iommulab.machine.power.PowerGate;

/**
 * A register block mapped on the bus: a model's {@link RegisterFileImpl} at the physical range of
 * one {@code reg} entry of its node, gated by the node's power domains.
 *
 * @param node  the DT node the block belongs to
 * @param index the {@code reg} entry
 * @param base  physical base address
 * @param regs  the registers
 * @param gate  the node's power condition
 */
public record MmioBlock(DtNode node, int index, long base, RegisterFileImpl regs, PowerGate gate) {

    /** @return block size in bytes */
    public long size() {
        return regs.size();
    }

    /** @return first address past the block */
    public long end() {
        return base + regs.size();
    }
}
