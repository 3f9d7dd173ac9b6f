package io.iommulab.machine.mmio;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.machine.power.PowerDomain;

/**
 * Software's view of one {@code reg} entry (ioremap): 32-bit accesses at offsets inside the
 * window, forwarded to whatever block is currently mapped in the slot, refused while the node's
 * power domain is off (EIO, as an access to a gated block would hang or fault on silicon).
 */
public class MmioWindowImpl implements MmioWindow {
    final MmioSlot slot;
    private final long base;
    private final long size;

    MmioWindowImpl(MmioSlot slot, long base, long size) {
        this.slot = slot;
        this.base = base;
        this.size = size;
    }

    @Override
    public long base() {
        return base;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int readl(long offset) {
        MmioBlock b = target(offset);
        return b.regs().readl(base - b.base() + offset);
    }

    @Override
    public void writel(long offset, int value) {
        MmioBlock b = target(offset);
        b.regs().writel(base - b.base() + offset, value);
    }

    private MmioBlock target(long offset) {
        if (offset < 0 || offset > size - 4 || (offset & 3) != 0) {
            throw new IommuException(Errno.EINVAL, String.format(
                    "%s (0x%x+0x%x): offset 0x%x is not a 4-byte aligned offset inside the window", slot.key(), base, size, offset));
        }
        MmioBlock b = slot.block();
        if (b == null) {
            throw new IommuException(Errno.EIO, String.format(
                    "%s: register access at offset 0x%x, but no register block is mapped at 0x%x any more (model removed)", slot.key(), offset, base));
        }
        PowerDomain off = b.gate().firstOff();
        if (off != null) {
            throw new IommuException(Errno.EIO, String.format(
                    "%s: register access at offset 0x%x while power domain %s is off", slot.key(), offset, off.path()));
        }
        return b;
    }

    /**
     * A window that counts its accesses in its slot. A separate class, so that the windows of a machine
     * that does not count pay nothing for it.
     */
    static final class Counting extends MmioWindowImpl {
        Counting(MmioSlot slot, long base, long size) {
            super(slot, base, size);
        }

        @Override
        public int readl(long offset) {
            int v = super.readl(offset);
            slot.reads.increment();
            return v;
        }

        @Override
        public void writel(long offset, int value) {
            super.writel(offset, value);
            slot.writes.increment();
        }
    }

    @Override
    public String toString() {
        return String.format("%s 0x%x+0x%x", slot.key(), base, size);
    }
}
