package io.iommulab.api.machine;

/**
 * Direct access to a small piece of RAM: the simulator's {@code phys_to_virt}. Linux's io-pgtable
 * code touches its tables through kernel virtual addresses while the hardware walks them by
 * physical address; a page-table format does the same through a window on one table, which costs
 * one array access per entry instead of a physical-address decode per entry.
 *
 * <p>Bytes {@code data[offset .. offset+length)} are RAM {@code [pa, pa+length)}, little-endian; writes
 * to them are writes to that RAM, seen by every other accessor of the {@link PhysicalMemory}. A window
 * stays valid for the machine's lifetime. Windows are compared by identity of the backing array.
 *
 * @param pa     physical address of {@code data[offset]}
 * @param data   the backing array (not a copy)
 * @param offset index in {@code data} of the byte at {@code pa}
 * @param length bytes covered
 */
public record RamWindow(long pa, byte[] data, int offset, int length) {

    @Override
    public boolean equals(Object o) {
        return o instanceof RamWindow w && w.pa == pa && w.data == data && w.offset == offset && w.length == length;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(pa) * 31 + System.identityHashCode(data) + offset * 7 + length;
    }

    @Override
    public String toString() {
        return String.format("RamWindow[pa=0x%x, length=0x%x]", pa, length);
    }
}
