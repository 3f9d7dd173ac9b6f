package io.iommulab.api.machine;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The machine's sparse physical address space (at least 42 bits), little-endian. Reads of memory
 * never written return zero. Accesses outside RAM throw {@link io.iommulab.api.error.IommuException}
 * with EFAULT naming the address (a bus error, as on real hardware).
 */
@ProviderType
public interface PhysicalMemory {

    /** @return number of physical address bits the bus decodes */
    int addressBits();

    byte read8(long pa);

    short read16(long pa);

    int read32(long pa);

    long read64(long pa);

    void write8(long pa, byte value);

    void write16(long pa, short value);

    void write32(long pa, int value);

    void write64(long pa, long value);

    /** Reads {@code len} bytes at {@code pa} into {@code dst[off..off+len)}. */
    void read(long pa, byte[] dst, int off, int len);

    /** Writes {@code src[off..off+len)} at {@code pa}. */
    void write(long pa, byte[] src, int off, int len);

    /** Zeroes {@code len} bytes at {@code pa}. */
    void fill(long pa, long len, byte value);

    /**
     * Atomically replaces the 64-bit word at {@code pa} if it equals {@code expected} (the
     * cmpxchg64 that io-pgtable uses to install tables concurrently).
     *
     * @return the value found before the operation
     */
    long compareAndExchange64(long pa, long expected, long value);

    /**
     * A direct window on RAM {@code [pa, pa+len)} (see {@link RamWindow}), for code that touches one
     * small structure many times, as a page-table format its tables. The range must be RAM and must
     * not cross a naturally aligned 64 KiB boundary (every table of every supported granule fits).
     *
     * @throws io.iommulab.api.error.IommuException EFAULT if the range is not RAM, EINVAL if it crosses
     *         a 64 KiB boundary, EOPNOTSUPP if this memory has no array backing
     */
    default RamWindow window(long pa, int len) {
        throw new io.iommulab.api.error.IommuException(io.iommulab.api.error.Errno.EOPNOTSUPP,
                String.format("%s offers no direct window (asked for 0x%x+0x%x)", getClass().getSimpleName(), pa, len));
    }

    /** @return true if {@code pa} lies in RAM */
    boolean isRam(long pa);
}
