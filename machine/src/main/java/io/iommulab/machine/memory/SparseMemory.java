package io.iommulab.machine.memory;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.machine.RamWindow;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The machine's physical address space: {@value #ADDRESS_BITS} bits decoded, RAM only where the
 * device tree's memory nodes put it, backed lazily by 64 KiB chunks.
 *
 * <p>Lookup is a two-level directory indexed by address bits [41:29] and [28:16], so an access is
 * two array loads plus a little-endian {@link VarHandle} view on the chunk's {@code byte[]}; the
 * largest RAM region also has a flat chunk table for 32- and 64-bit accesses (one load less per
 * level of every page-table walk). A chunk
 * is created on first write; reading RAM never written returns zero without allocating.
 *
 * <p>Concurrency: directory entries are published with release stores under a lock. The fast path
 * reads its slot plainly and uses it when it is there; a null slot falls back to the acquiring
 * directory lookup (a plain null may be stale), and a writer that misses a fresh chunk takes
 * {@link #chunkForWrite}'s lock, which re-reads. An access inside one chunk looks the chunk up
 * once, so it sees a chunk created meanwhile whole or not at all. Word accesses are plain (like
 * the CPU's ordinary loads/stores, different words do not interfere); {@link #compareAndExchange64}
 * is a volatile CAS on the aligned word.
 */
public final class SparseMemory implements PhysicalMemory {

    /** Bits of physical address the bus decodes (the DART's 36-bit OAS and the SMMU's 42-bit both fit). */
    public static final int ADDRESS_BITS = 42;
    static final int CHUNK_SHIFT = 16;
    static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;
    static final int CHUNK_MASK = CHUNK_SIZE - 1;
    private static final int L2_BITS = 13;
    private static final int L2_MASK = (1 << L2_BITS) - 1;
    private static final int L1_SHIFT = CHUNK_SHIFT + L2_BITS;
    private static final int L1_SIZE = 1 << (ADDRESS_BITS - L1_SHIFT);

    private static final VarHandle LE16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LE32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle L1 = MethodHandles.arrayElementVarHandle(Chunk[][].class);
    private static final VarHandle L2 = MethodHandles.arrayElementVarHandle(Chunk[].class);
    private static final VarHandle FAST = MethodHandles.arrayElementVarHandle(byte[][].class);
    /** Largest RAM region (in chunks) served by the flat fast table: 2^22 chunks = 256 GiB. */
    private static final int FAST_MAX_CHUNKS = 1 << 22;

    /**
     * One 64 KiB piece of backing store.
     *
     * @param data  the bytes
     * @param whole true if every byte of the chunk is RAM (the fast path needs no range check)
     */
    private record Chunk(byte[] data, boolean whole) {
    }

    private final List<RamRegion> ram;
    /** RAM region bounds, sorted, for the slow-path check: base[i] inclusive, end[i] exclusive. */
    private final long[] ramBase;
    private final long[] ramEnd;
    private final Chunk[][] directory = new Chunk[L1_SIZE][];
    private final Object allocLock = new Object();
    /*
     * Fast path: the chunk-aligned interior of the largest RAM region as one flat table of chunk
     * arrays, so that a word access is one bounds compare and two loads (the directory walk costs
     * two more dependent loads, which page-table walks pay on every level). Entries are published
     * by chunkForWrite together with the directory's; null reads as zero.
     */
    private final long fastBase;
    private final long fastLimit;
    private final byte[][] fast;

    /**
     * @param ram the RAM regions; they must lie below 2^42 and not overlap
     */
    public SparseMemory(List<RamRegion> ram) {
        List<RamRegion> sorted = new ArrayList<>(ram);
        sorted.sort(Comparator.comparingLong(RamRegion::base));
        ramBase = new long[sorted.size()];
        ramEnd = new long[sorted.size()];
        for (int i = 0; i < sorted.size(); i++) {
            RamRegion r = sorted.get(i);
            if (r.size() <= 0 || r.base() < 0 || r.end() > (1L << ADDRESS_BITS) || r.end() < r.base()) {
                throw new IommuException(Errno.EINVAL, String.format(
                        "RAM region 0x%x+0x%x does not fit the %d-bit physical address space", r.base(), r.size(), ADDRESS_BITS));
            }
            if (i > 0 && r.base() < ramEnd[i - 1]) {
                throw new IommuException(Errno.EINVAL, String.format(
                        "RAM region 0x%x+0x%x overlaps the region ending at 0x%x", r.base(), r.size(), ramEnd[i - 1]));
            }
            ramBase[i] = r.base();
            ramEnd[i] = r.end();
        }
        this.ram = List.copyOf(sorted);
        RamRegion big = null;
        for (RamRegion r : sorted) {
            if (big == null || r.size() > big.size()) {
                big = r;
            }
        }
        long fb = 0;
        long fl = 0;
        if (big != null) {
            long start = (big.base() + CHUNK_MASK) & ~(long) CHUNK_MASK;
            long end = big.end() & ~(long) CHUNK_MASK;
            if (end > start && ((end - start) >>> CHUNK_SHIFT) <= FAST_MAX_CHUNKS) {
                fb = start;
                fl = end - start;
            }
        }
        fastBase = fb;
        fastLimit = fl;
        fast = new byte[(int) (fl >>> CHUNK_SHIFT)][];
    }

    /** @return the RAM regions, sorted by base */
    public List<RamRegion> ram() {
        return ram;
    }

    @Override
    public int addressBits() {
        return ADDRESS_BITS;
    }

    @Override
    public boolean isRam(long pa) {
        if ((pa >>> ADDRESS_BITS) != 0) {
            return false;
        }
        // Few regions (one or two memory nodes): a linear scan beats a binary search here.
        for (int i = 0; i < ramBase.length; i++) {
            if (pa >= ramBase[i] && pa < ramEnd[i]) {
                return true;
            }
        }
        return false;
    }

    /** @return true if every byte of [pa, pa+len) is RAM (one region; regions never touch across a hole) */
    private boolean isRamRange(long pa, long len) {
        if (len <= 0 || (pa >>> ADDRESS_BITS) != 0) {
            return len == 0;
        }
        for (int i = 0; i < ramBase.length; i++) {
            if (pa >= ramBase[i] && pa < ramEnd[i]) {
                long end = pa + len;
                if (end <= ramEnd[i] && end > pa) {
                    return true;
                }
                // Adjacent regions: continue in the next one.
                return i + 1 < ramBase.length && ramBase[i + 1] == ramEnd[i]
                        && isRamRange(ramEnd[i], end - ramEnd[i]);
            }
        }
        return false;
    }

    /** The chunk holding {@code pa}, or null; acquiring loads pair with chunkForWrite's release stores. */
    private Chunk chunk(long pa) {
        Chunk[] l2 = (Chunk[]) L1.getAcquire(directory, (int) (pa >>> L1_SHIFT));
        return l2 == null ? null : (Chunk) L2.getAcquire(l2, (int) (pa >>> CHUNK_SHIFT) & L2_MASK);
    }

    /** Returns the chunk holding {@code pa} (which must be RAM), creating it on first write. */
    private Chunk chunkForWrite(long pa) {
        Chunk c = chunk(pa);
        if (c != null) {
            return c;
        }
        synchronized (allocLock) {
            int i1 = (int) (pa >>> L1_SHIFT);
            Chunk[] l2 = directory[i1];
            if (l2 == null) {
                l2 = new Chunk[1 << L2_BITS];
                L1.setRelease(directory, i1, l2);
            }
            int i2 = (int) (pa >>> CHUNK_SHIFT) & L2_MASK;
            c = l2[i2];
            if (c == null) {
                long start = pa & ~(long) CHUNK_MASK;
                c = new Chunk(new byte[CHUNK_SIZE], isRamRange(start, CHUNK_SIZE));
                // Release store: a reader that sees the chunk sees its zeroed array.
                L2.setRelease(l2, i2, c);
                long rel = start - fastBase;
                if (rel >= 0 && rel < fastLimit) {
                    FAST.setRelease(fast, (int) (rel >>> CHUNK_SHIFT), c.data);
                }
            }
            return c;
        }
    }

    private void checkRange(long pa, long len) {
        if ((pa >>> ADDRESS_BITS) != 0 || ((pa + len - 1) >>> ADDRESS_BITS) != 0 || pa + len - 1 < pa) {
            throw new IommuException(Errno.EFAULT, String.format(
                    "physical address 0x%x+0x%x is beyond the %d-bit physical address space", pa, len, ADDRESS_BITS));
        }
        if (!isRamRange(pa, len)) {
            long bad = firstNonRam(pa, len);
            throw new IommuException(Errno.EFAULT, String.format("physical address 0x%x is not RAM", bad));
        }
    }

    private long firstNonRam(long pa, long len) {
        long a = pa;
        while (a < pa + len && isRam(a)) {
            int i = regionIndex(a);
            a = ramEnd[i];
        }
        return a;
    }

    private int regionIndex(long pa) {
        for (int i = 0; i < ramBase.length; i++) {
            if (pa >= ramBase[i] && pa < ramEnd[i]) {
                return i;
            }
        }
        return -1;
    }

    /**
     * A window on one chunk's backing array. The chunk is created if needed, so writes through the
     * window are never lost; partly-RAM chunks are fine as long as the range itself is RAM.
     */
    @Override
    public RamWindow window(long pa, int len) {
        if (len <= 0 || ((pa & CHUNK_MASK) + len) > CHUNK_SIZE) {
            throw new IommuException(Errno.EINVAL, String.format(
                    "window 0x%x+0x%x crosses a 0x%x boundary of physical memory", pa, len, CHUNK_SIZE));
        }
        checkRange(pa, len);
        return new RamWindow(pa, chunkForWrite(pa).data, (int) pa & CHUNK_MASK, len);
    }

    // ---- fast paths: whole access inside one chunk that is entirely RAM ----

    @Override
    public byte read8(long pa) {
        if ((pa >>> ADDRESS_BITS) == 0) {
            Chunk c = chunk(pa);
            if (c != null && c.whole) {
                return c.data[(int) pa & CHUNK_MASK];
            }
        }
        return (byte) readSlow(pa, 1);
    }

    @Override
    public short read16(long pa) {
        int off = (int) pa & CHUNK_MASK;
        if ((pa >>> ADDRESS_BITS) == 0 && off <= CHUNK_SIZE - 2) {
            Chunk c = chunk(pa);
            if (c != null && c.whole) {
                return (short) LE16.get(c.data, off);
            }
        }
        return (short) readSlow(pa, 2);
    }

    @Override
    public int read32(long pa) {
        long rel = pa - fastBase;
        if (rel >= 0 && rel < fastLimit && ((int) rel & CHUNK_MASK) <= CHUNK_SIZE - 4) {
            byte[] d = fast[(int) (rel >>> CHUNK_SHIFT)];
            if (d != null) {
                return (int) LE32.get(d, (int) rel & CHUNK_MASK);
            }
            // A plain read may not see a chunk another thread published yet (or the JIT may reuse an
            // earlier null): "never written" is decided by the acquiring lookup below, not here.
        }
        int off = (int) pa & CHUNK_MASK;
        if ((pa >>> ADDRESS_BITS) == 0 && off <= CHUNK_SIZE - 4) {
            Chunk c = chunk(pa);
            if (c != null && c.whole) {
                return (int) LE32.get(c.data, off);
            }
        }
        return (int) readSlow(pa, 4);
    }

    @Override
    public long read64(long pa) {
        long rel = pa - fastBase;
        if (rel >= 0 && rel < fastLimit && ((int) rel & CHUNK_MASK) <= CHUNK_SIZE - 8) {
            byte[] d = fast[(int) (rel >>> CHUNK_SHIFT)];
            if (d != null) {
                return (long) LE64.get(d, (int) rel & CHUNK_MASK);
            }
            // A plain read may not see a chunk another thread published yet (or the JIT may reuse an
            // earlier null): "never written" is decided by the acquiring lookup below, not here.
        }
        int off = (int) pa & CHUNK_MASK;
        if ((pa >>> ADDRESS_BITS) == 0 && off <= CHUNK_SIZE - 8) {
            Chunk c = chunk(pa);
            if (c != null && c.whole) {
                return (long) LE64.get(c.data, off);
            }
        }
        return readSlow(pa, 8);
    }

    @Override
    public void write8(long pa, byte value) {
        if ((pa >>> ADDRESS_BITS) == 0) {
            Chunk c = chunk(pa);
            if (c != null && c.whole) {
                c.data[(int) pa & CHUNK_MASK] = value;
                return;
            }
        }
        writeSlow(pa, 1, value);
    }

    @Override
    public void write16(long pa, short value) {
        int off = (int) pa & CHUNK_MASK;
        if ((pa >>> ADDRESS_BITS) == 0 && off <= CHUNK_SIZE - 2) {
            Chunk c = chunk(pa);
            if (c != null && c.whole) {
                LE16.set(c.data, off, value);
                return;
            }
        }
        writeSlow(pa, 2, value);
    }

    @Override
    public void write32(long pa, int value) {
        long rel = pa - fastBase;
        if (rel >= 0 && rel < fastLimit && ((int) rel & CHUNK_MASK) <= CHUNK_SIZE - 4) {
            byte[] d = fast[(int) (rel >>> CHUNK_SHIFT)];
            LE32.set(d != null ? d : chunkForWrite(pa).data, (int) rel & CHUNK_MASK, value);
            return;
        }
        int off = (int) pa & CHUNK_MASK;
        if ((pa >>> ADDRESS_BITS) == 0 && off <= CHUNK_SIZE - 4) {
            Chunk c = chunk(pa);
            if (c != null && c.whole) {
                LE32.set(c.data, off, value);
                return;
            }
        }
        writeSlow(pa, 4, value);
    }

    @Override
    public void write64(long pa, long value) {
        long rel = pa - fastBase;
        if (rel >= 0 && rel < fastLimit && ((int) rel & CHUNK_MASK) <= CHUNK_SIZE - 8) {
            byte[] d = fast[(int) (rel >>> CHUNK_SHIFT)];
            LE64.set(d != null ? d : chunkForWrite(pa).data, (int) rel & CHUNK_MASK, value);
            return;
        }
        int off = (int) pa & CHUNK_MASK;
        if ((pa >>> ADDRESS_BITS) == 0 && off <= CHUNK_SIZE - 8) {
            Chunk c = chunk(pa);
            if (c != null && c.whole) {
                LE64.set(c.data, off, value);
                return;
            }
        }
        writeSlow(pa, 8, value);
    }

    // ---- slow paths: unwritten chunks, chunks partly RAM, accesses straddling chunks ----

    private long readSlow(long pa, int width) {
        checkRange(pa, width);
        int off = (int) pa & CHUNK_MASK;
        if (off <= CHUNK_SIZE - width) {
            // Inside one chunk: one lookup, then one access, so a chunk another thread creates (and
            // writes) meanwhile is seen whole or not at all. Looked up byte by byte, a read racing a
            // chunk's first write (a table entry installed with a CAS) took its high bytes from
            // "no chunk yet" and its low bytes from the new word: 0xc001 for the entry 0x90abcc001.
            Chunk c = chunk(pa);
            if (c == null) {
                return 0;
            }
            return switch (width) {
                case 1 -> c.data[off];
                case 2 -> (short) LE16.get(c.data, off);
                case 4 -> (int) LE32.get(c.data, off);
                default -> (long) LE64.get(c.data, off);
            };
        }
        // straddling two chunks: two accesses, as on a bus that splits it
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            long a = pa + i;
            Chunk c = chunk(a);
            v = (v << 8) | (c == null ? 0 : c.data[(int) a & CHUNK_MASK] & 0xff);
        }
        return v;
    }

    private void writeSlow(long pa, int width, long value) {
        checkRange(pa, width);
        int off = (int) pa & CHUNK_MASK;
        if (off <= CHUNK_SIZE - width) {
            // inside one chunk (partly RAM, or not written yet): one access, as the fast path's
            byte[] d = chunkForWrite(pa).data;
            switch (width) {
                case 1 -> d[off] = (byte) value;
                case 2 -> LE16.set(d, off, (short) value);
                case 4 -> LE32.set(d, off, (int) value);
                default -> LE64.set(d, off, value);
            }
            return;
        }
        for (int i = 0; i < width; i++) {
            long a = pa + i;
            chunkForWrite(a).data[(int) a & CHUNK_MASK] = (byte) (value >>> (8 * i));
        }
    }

    // ---- bulk ----

    @Override
    public void read(long pa, byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, dst.length);
        if (len == 0) {
            return;
        }
        checkRange(pa, len);
        long a = pa;
        int done = 0;
        while (done < len) {
            int co = (int) a & CHUNK_MASK;
            int n = Math.min(len - done, CHUNK_SIZE - co);
            Chunk c = chunk(a);
            if (c == null) {
                Arrays.fill(dst, off + done, off + done + n, (byte) 0);
            } else {
                System.arraycopy(c.data, co, dst, off + done, n);
            }
            done += n;
            a += n;
        }
    }

    @Override
    public void write(long pa, byte[] src, int off, int len) {
        Objects.checkFromIndexSize(off, len, src.length);
        if (len == 0) {
            return;
        }
        checkRange(pa, len);
        long a = pa;
        int done = 0;
        while (done < len) {
            int co = (int) a & CHUNK_MASK;
            int n = Math.min(len - done, CHUNK_SIZE - co);
            System.arraycopy(src, off + done, chunkForWrite(a).data, co, n);
            done += n;
            a += n;
        }
    }

    @Override
    public void fill(long pa, long len, byte value) {
        if (len < 0) {
            throw new IommuException(Errno.EINVAL, String.format("fill at physical address 0x%x: negative length %d", pa, len));
        }
        if (len == 0) {
            return;
        }
        checkRange(pa, len);
        long a = pa;
        long end = pa + len;
        while (a < end) {
            int co = (int) a & CHUNK_MASK;
            int n = (int) Math.min(end - a, CHUNK_SIZE - co);
            Chunk c = value == 0 ? chunk(a) : chunkForWrite(a);
            // Zero-filling memory never written is free: an absent chunk already reads as zero.
            if (c != null) {
                Arrays.fill(c.data, co, co + n, value);
            }
            a += n;
        }
    }

    @Override
    public long compareAndExchange64(long pa, long expected, long value) {
        if ((pa & 7) != 0) {
            throw new IommuException(Errno.EINVAL, String.format(
                    "compareAndExchange64 at physical address 0x%x: address is not 8-byte aligned", pa));
        }
        checkRange(pa, 8);
        // byte[] element 0 is 8-aligned on every 64-bit JVM, so an 8-aligned index is an aligned word.
        return (long) LE64.compareAndExchange(chunkForWrite(pa).data, (int) pa & CHUNK_MASK, expected, value);
    }

    /** @return bytes of backing store allocated so far (chunks written), for diagnostics */
    public long residentBytes() {
        long n = 0;
        synchronized (allocLock) {
            for (Chunk[] l2 : directory) {
                if (l2 != null) {
                    for (Chunk c : l2) {
                        if (c != null) {
                            n += CHUNK_SIZE;
                        }
                    }
                }
            }
        }
        return n;
    }
}
