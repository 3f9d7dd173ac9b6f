package io.iommulab.testiommu.fake;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PhysicalMemory;
import java.util.HashMap;
import java.util.Map;

/** Test physical memory: one RAM region backed by a HashMap of 64-bit words, little-endian. */
public final class FakeMemory implements PhysicalMemory {

    private final long base;
    private final long size;
    private final Map<Long, Long> words = new HashMap<>();
    private long reads;

    public FakeMemory(long base, long size) {
        this.base = base;
        this.size = size;
    }

    /** @return reads (of any width) made so far, e.g. by a model's walks and checks */
    public synchronized long reads() {
        return reads;
    }

    @Override
    public int addressBits() {
        return 48;
    }

    @Override
    public boolean isRam(long pa) {
        return pa >= base && pa - base < size;
    }

    private void check(long pa, long len) {
        if (!isRam(pa) || !isRam(pa + len - 1)) {
            throw new IommuException(Errno.EFAULT, "bus error at 0x" + Long.toHexString(pa));
        }
    }

    private long word(long pa) {
        Long v = words.get(pa & ~7L);
        return v == null ? 0 : v;
    }

    private long readBits(long pa, int bytes) {
        long v = 0;
        for (int i = bytes - 1; i >= 0; i--) {
            long a = pa + i;
            v = (v << 8) | ((word(a) >>> (8 * (a & 7))) & 0xff);
        }
        return v;
    }

    private void writeBits(long pa, int bytes, long value) {
        for (int i = 0; i < bytes; i++) {
            long a = pa + i;
            int sh = (int) (8 * (a & 7));
            long w = word(a) & ~(0xffL << sh) | (((value >>> (8 * i)) & 0xff) << sh);
            words.put(a & ~7L, w);
        }
    }

    @Override
    public synchronized byte read8(long pa) {
        reads++;
        check(pa, 1);
        return (byte) readBits(pa, 1);
    }

    @Override
    public synchronized short read16(long pa) {
        reads++;
        check(pa, 2);
        return (short) readBits(pa, 2);
    }

    @Override
    public synchronized int read32(long pa) {
        reads++;
        check(pa, 4);
        return (int) readBits(pa, 4);
    }

    @Override
    public synchronized long read64(long pa) {
        reads++;
        check(pa, 8);
        return readBits(pa, 8);
    }

    @Override
    public synchronized void write8(long pa, byte value) {
        check(pa, 1);
        writeBits(pa, 1, value);
    }

    @Override
    public synchronized void write16(long pa, short value) {
        check(pa, 2);
        writeBits(pa, 2, value);
    }

    @Override
    public synchronized void write32(long pa, int value) {
        check(pa, 4);
        writeBits(pa, 4, value);
    }

    @Override
    public synchronized void write64(long pa, long value) {
        check(pa, 8);
        writeBits(pa, 8, value);
    }

    @Override
    public synchronized void read(long pa, byte[] dst, int off, int len) {
        reads++;
        check(pa, len);
        for (int i = 0; i < len; i++) {
            dst[off + i] = (byte) readBits(pa + i, 1);
        }
    }

    @Override
    public synchronized void write(long pa, byte[] src, int off, int len) {
        check(pa, len);
        for (int i = 0; i < len; i++) {
            writeBits(pa + i, 1, src[off + i]);
        }
    }

    @Override
    public synchronized void fill(long pa, long len, byte value) {
        check(pa, len);
        for (long i = 0; i < len; i++) {
            writeBits(pa + i, 1, value);
        }
    }

    @Override
    public synchronized long compareAndExchange64(long pa, long expected, long value) {
        check(pa, 8);
        long old = readBits(pa, 8);
        if (old == expected) {
            writeBits(pa, 8, value);
        }
        return old;
    }
}
