package io.iommulab.machine.mmio;

/**
 * The bus position of one {@code reg} entry of a node. Software windows hold the slot, not the
 * block: when a model goes away with its bundle and a new one maps the same registers later, the
 * driver's existing windows reach the new block (hardware unplugged and plugged back in).
 *
 * <p>{@link #block} is volatile; one load per access.
 */
public final class MmioSlot {
    private final String key;
    private volatile MmioBlock block;
    /** Accesses through counting windows (machines booted with {@code iommulab.mmio.count=true}). */
    final java.util.concurrent.atomic.LongAdder reads = new java.util.concurrent.atomic.LongAdder();
    final java.util.concurrent.atomic.LongAdder writes = new java.util.concurrent.atomic.LongAdder();

    MmioSlot(String key) {
        this.key = key;
    }

    /** @return {@code <node path>} or {@code <node path>[index]} */
    public String key() {
        return key;
    }

    /** @return the block mapped here, or null */
    public MmioBlock block() {
        return block;
    }

    /** @return register reads software made through counting windows onto this slot */
    public long reads() {
        return reads.sum();
    }

    /** @return register writes software made through counting windows onto this slot */
    public long writes() {
        return writes.sum();
    }

    void block(MmioBlock b) {
        block = b;
    }
}
