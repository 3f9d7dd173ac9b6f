package io.iommulab.machine.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.machine.RamWindow;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SparseMemoryTest {
    private static final long RAM = 0x8_0000_0000L;
    private static final long SIZE = 64L << 20;
    private final SparseMemory mem = new SparseMemory(List.of(new RamRegion(RAM, SIZE)));

    @Test
    void unwrittenRamReadsZeroWithoutAllocating() {
        assertEquals(0, mem.read64(RAM + 0x1000));
        assertEquals(0, mem.read8(RAM + SIZE - 1));
        assertEquals(0, mem.residentBytes());
        mem.fill(RAM, 0x100000, (byte) 0);
        assertEquals(0, mem.residentBytes(), "zero fill of untouched memory needs no backing");
    }

    @Test
    void windowIsTheRamItself() {
        VarHandle le64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
        long table = RAM + 0x24000;
        mem.write64(table + 8, 0x1122334455667788L);
        RamWindow w = mem.window(table, 0x4000);
        assertEquals(table, w.pa());
        assertEquals(0x4000, w.length());
        assertEquals(0x1122334455667788L, (long) le64.get(w.data(), w.offset() + 8));
        le64.set(w.data(), w.offset() + 0x3ff8, 0xabcdL);
        assertEquals(0xabcdL, mem.read64(table + 0x3ff8), "a write through the window is a write to RAM");
        assertEquals(w, mem.window(table, 0x4000));
    }

    @Test
    void windowOnUnwrittenRamCreatesTheBacking() {
        RamWindow w = mem.window(RAM + 0x80000, 0x1000);
        w.data()[w.offset()] = 7;
        assertEquals(7, mem.read8(RAM + 0x80000));
    }

    @Test
    void windowRefusesNonRamAndChunkCrossings() {
        IommuException notRam = assertThrows(IommuException.class, () -> mem.window(RAM - 0x4000, 0x4000));
        assertEquals(Errno.EFAULT, notRam.errno());
        IommuException cross = assertThrows(IommuException.class,
                () -> mem.window(RAM + SparseMemory.CHUNK_SIZE - 8, 16));
        assertEquals(Errno.EINVAL, cross.errno());
        assertTrue(cross.getMessage().contains("crosses"), cross.getMessage());
        assertEquals(0, mem.residentBytes(), "a refused window allocates nothing");
    }

    @Test
    void littleEndianAtEveryWidth() {
        mem.write64(RAM, 0x0807060504030201L);
        assertEquals(0x01, mem.read8(RAM));
        assertEquals(0x08, mem.read8(RAM + 7));
        assertEquals((short) 0x0201, mem.read16(RAM));
        assertEquals(0x04030201, mem.read32(RAM));
        assertEquals(0x08070605, mem.read32(RAM + 4));
        mem.write16(RAM + 0x10, (short) 0xbeef);
        assertEquals((byte) 0xef, mem.read8(RAM + 0x10));
        assertEquals((byte) 0xbe, mem.read8(RAM + 0x11));
        mem.write32(RAM + 0x20, 0xdeadbeef);
        assertEquals(0xdeadbeefL, mem.read64(RAM + 0x20));
        mem.write8(RAM + 0x27, (byte) 0x80);
        assertEquals(0x80000000deadbeefL, mem.read64(RAM + 0x20));
    }

    @Test
    void unalignedAccessStraddlingChunks() {
        long edge = RAM + SparseMemory.CHUNK_SIZE;
        mem.write64(edge - 3, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, mem.read64(edge - 3));
        assertEquals((byte) 0x88, mem.read8(edge - 3));
        assertEquals((byte) 0x11, mem.read8(edge + 4));
        mem.write32(edge - 2, 0xcafef00d);
        assertEquals(0xcafef00d, mem.read32(edge - 2));
        mem.write16(edge - 1, (short) 0x1234);
        assertEquals((short) 0x1234, mem.read16(edge - 1));
    }

    @Test
    void bulkOpsCrossChunkBoundaries() {
        int len = 3 * SparseMemory.CHUNK_SIZE + 123;
        byte[] src = new byte[len];
        for (int i = 0; i < len; i++) {
            src[i] = (byte) (i * 31 + 7);
        }
        long pa = RAM + SparseMemory.CHUNK_SIZE - 77;
        mem.write(pa, src, 0, len);
        byte[] dst = new byte[len + 10];
        mem.read(pa, dst, 5, len);
        byte[] mid = java.util.Arrays.copyOfRange(dst, 5, 5 + len);
        assertArrayEquals(src, mid);
        assertEquals(src[1000], mem.read8(pa + 1000));

        mem.fill(pa + 10, SparseMemory.CHUNK_SIZE * 2L, (byte) 0x5a);
        assertEquals(src[9], mem.read8(pa + 9));
        assertEquals(0x5a, mem.read8(pa + 10));
        assertEquals(0x5a, mem.read8(pa + 10 + SparseMemory.CHUNK_SIZE * 2L - 1));
        assertEquals(src[10 + SparseMemory.CHUNK_SIZE * 2], mem.read8(pa + 10 + SparseMemory.CHUNK_SIZE * 2L));
        mem.fill(pa, len, (byte) 0);
        mem.read(pa, dst, 0, len);
        for (int i = 0; i < len; i++) {
            assertEquals(0, dst[i]);
        }
    }

    @Test
    void bulkReadOfUnwrittenChunkIsZero() {
        byte[] dst = new byte[100];
        java.util.Arrays.fill(dst, (byte) 1);
        mem.read(RAM + 0x300000, dst, 0, 100);
        for (byte b : dst) {
            assertEquals(0, b);
        }
    }

    @Test
    void nonRamIsEfaultNamingTheAddress() {
        IommuException e = assertThrows(IommuException.class, () -> mem.read32(0x1000));
        assertEquals(Errno.EFAULT, e.errno());
        assertTrue(e.getMessage().contains("0x1000 is not RAM"), e.getMessage());
        assertEquals(Errno.EFAULT, assertThrows(IommuException.class, () -> mem.write64(RAM + SIZE, 1)).errno());
        // A bulk write running off the end of RAM fails whole, naming the first non-RAM byte.
        byte[] buf = new byte[32];
        e = assertThrows(IommuException.class, () -> mem.write(RAM + SIZE - 16, buf, 0, 32));
        assertTrue(e.getMessage().contains(Long.toHexString(RAM + SIZE)), e.getMessage());
        assertEquals(0, mem.residentBytes(), "failed write left no trace");
        assertThrows(IommuException.class, () -> mem.read64(RAM + SIZE - 4));
        assertFalse(mem.isRam(RAM - 1));
        assertTrue(mem.isRam(RAM));
        assertFalse(mem.isRam(RAM + SIZE));
    }

    @Test
    void addressesBeyond42BitsAreEfault() {
        assertEquals(42, mem.addressBits());
        long beyond = 1L << 42;
        IommuException e = assertThrows(IommuException.class, () -> mem.read64(beyond));
        assertEquals(Errno.EFAULT, e.errno());
        assertTrue(e.getMessage().contains("42-bit"), e.getMessage());
        assertThrows(IommuException.class, () -> mem.write8(-8, (byte) 0));
        assertFalse(mem.isRam(beyond + RAM));
        // RAM at the very top of the 42-bit space works.
        SparseMemory top = new SparseMemory(List.of(new RamRegion((1L << 42) - 0x10000, 0x10000)));
        top.write64((1L << 42) - 8, -1L);
        assertEquals(-1L, top.read64((1L << 42) - 8));
        assertThrows(IommuException.class, () -> new SparseMemory(List.of(new RamRegion(1L << 42, 0x1000))));
    }

    @Test
    void partialChunkRegionsAreChecked() {
        SparseMemory small = new SparseMemory(List.of(new RamRegion(0x10000 + 0x100, 0x200)));
        small.write32(0x10100, 42);
        assertEquals(42, small.read32(0x10100));
        assertThrows(IommuException.class, () -> small.read32(0x100fc));
        assertThrows(IommuException.class, () -> small.write32(0x102fe, 1));
        assertEquals(0, small.read32(0x102fc));
    }

    @Test
    void compareAndExchange() {
        long pa = RAM + 0x2000;
        assertEquals(0, mem.compareAndExchange64(pa, 0, 0x1111));
        assertEquals(0x1111, mem.compareAndExchange64(pa, 0, 0x2222), "fails and returns the current value");
        assertEquals(0x1111, mem.read64(pa));
        assertEquals(0x1111, mem.compareAndExchange64(pa, 0x1111, 0x3333));
        assertEquals(0x3333, mem.read64(pa));
        IommuException e = assertThrows(IommuException.class, () -> mem.compareAndExchange64(pa + 4, 0, 1));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(Errno.EFAULT, assertThrows(IommuException.class, () -> mem.compareAndExchange64(0x1000, 0, 1)).errno());
    }

    @Test
    void concurrentCasInstallsExactlyOnce() throws InterruptedException {
        long pa = RAM + 0x4000;
        AtomicInteger winners = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            long mine = 0x1000L * (t + 1);
            threads.add(new Thread(() -> {
                if (mem.compareAndExchange64(pa, 0, mine) == 0) {
                    winners.incrementAndGet();
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(1, winners.get());
        assertTrue(mem.read64(pa) != 0);
    }

    /**
     * A reader polls a word of a chunk nobody wrote yet while another thread installs it with a CAS
     * (a table entry, the chunk's first write), chunk after chunk: the reader sees 0, then the whole
     * word, never some bytes of it. Read byte by byte (the chunk looked up for each byte), about a
     * third of these reads gave a torn word, e.g. 0xc001 for 0x9_0abc_c001.
     */
    @Test
    void aReadRacingTheFirstWriteOfAChunkSeesTheWholeWordOrNothing() throws InterruptedException {
        int chunks = 512;
        SparseMemory m = new SparseMemory(List.of(new RamRegion(RAM, (long) chunks << 16)));
        long value = 0x0000_0009_0abc_c001L;
        AtomicInteger polling = new AtomicInteger(-1);
        List<String> torn = new ArrayList<>();
        Thread reader = new Thread(() -> {
            for (int k = 0; k < chunks; k++) {
                long pa = RAM + ((long) k << 16) + 8;
                polling.set(k);
                long v;
                while ((v = m.read64(pa)) == 0) {
                    Thread.onSpinWait();
                }
                if (v != value) {
                    torn.add(String.format("chunk %d: 0x%x", k, v));
                }
            }
        });
        reader.start();
        for (int k = 0; k < chunks; k++) {
            while (polling.get() < k) {
                Thread.onSpinWait(); // the reader polls chunk k before it is written
            }
            m.compareAndExchange64(RAM + ((long) k << 16) + 8, 0, value);
        }
        reader.join();
        assertEquals(List.of(), torn);
    }

    @Test
    void concurrentCountersOnDifferentWordsDoNotInterfere() throws InterruptedException {
        int threads = 4;
        int iterations = 20_000;
        List<Thread> list = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long word = RAM + 0x8000 + 8L * t;
            list.add(new Thread(() -> {
                for (int i = 0; i < iterations; i++) {
                    mem.write64(word, mem.read64(word) + 1);
                }
            }));
        }
        // Also a shared CAS counter.
        long shared = RAM + 0x9000;
        for (int t = 0; t < threads; t++) {
            list.add(new Thread(() -> {
                for (int i = 0; i < iterations; i++) {
                    long v;
                    do {
                        v = mem.read64(shared);
                    } while (mem.compareAndExchange64(shared, v, v + 1) != v);
                }
            }));
        }
        list.forEach(Thread::start);
        for (Thread t : list) {
            t.join();
        }
        for (int t = 0; t < threads; t++) {
            assertEquals(iterations, mem.read64(RAM + 0x8000 + 8L * t));
        }
        assertEquals((long) threads * iterations, mem.read64(shared));
    }

    @Test
    void overlappingRegionsAreRejected() {
        assertThrows(IommuException.class, () -> new SparseMemory(List.of(
                new RamRegion(0x100000, 0x100000), new RamRegion(0x180000, 0x100000))));
    }

    @Test
    void flatFastTableAgreesWithTheDirectoryAtItsEdges() {
        // A region that is not chunk-aligned: its head and tail chunks are partly RAM (slow path),
        // its interior is served by the flat table. Every path must see the same bytes.
        long base = 0x8_0000_8000L;
        SparseMemory m = new SparseMemory(List.of(new RamRegion(base, 0x3_0000)));
        long interior = 0x8_0001_0000L;
        long tailChunk = 0x8_0003_0000L;
        m.write64(base, 0x1111_2222_3333_4444L);                 // head, partial chunk
        m.write64(interior + 0xfff8, 0x5555_6666_7777_8888L);   // last word of a fast chunk
        m.write32(interior + 0x10000, 0x9999_aaaa);              // first word of the next fast chunk
        m.write64(tailChunk + 0x7ff8, -1L);                      // last word of RAM, partial chunk
        assertEquals(0x1111_2222_3333_4444L, m.read64(base));
        assertEquals(0x5555_6666_7777_8888L, m.read64(interior + 0xfff8));
        assertEquals(0x9999_aaaa, m.read32(interior + 0x10000));
        assertEquals(-1L, m.read64(tailChunk + 0x7ff8));
        byte[] b = new byte[12];
        m.read(interior + 0xfff8, b, 0, 12);                     // bulk path across the two fast chunks
        assertEquals((byte) 0x88, b[0]);
        assertEquals((byte) 0xaa, b[8]);
        assertEquals((byte) 0x99, b[11]);
        assertEquals(0x7777_8888, m.read32(interior + 0xfff8));
        assertEquals(0x5555L | (0x9999_aaaaL << 16), m.read64(interior + 0xfffe),
                "a word straddling two fast chunks takes the slow path and sees both");
        assertEquals(0, m.read64(interior + 0x8000), "unwritten fast chunk reads zero");
        assertEquals(0x5555_6666_7777_8888L, m.compareAndExchange64(interior + 0xfff8, 0x5555_6666_7777_8888L, 7));
        assertEquals(7, m.read64(interior + 0xfff8));
        IommuException e = assertThrows(IommuException.class, () -> m.read64(tailChunk + 0x8000));
        assertEquals(Errno.EFAULT, e.errno());
        assertThrows(IommuException.class, () -> m.write32(base - 4, 1));
    }
}
