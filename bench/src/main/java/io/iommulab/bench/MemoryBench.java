package io.iommulab.bench;

import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.machine.memory.SparseMemory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under the page-table figures: the same word traffic as the formats' hot loops, once
 * through {@link PhysicalMemory} (the machine's {@link SparseMemory}) and once on a plain
 * {@code long[]} (what the C baseline's flat array costs in Java). Not a page-table figure; it
 * attributes where the time of (b) and (c) goes.
 *
 * <ul>
 * <li>{@code run64*}: what (b) does to the leaf entries of one 64-page run: 64 × (read, write),
 *     then 64 × (read, write 0), at random 64-entry windows of a 2 MiB table area. ns per run.
 * <li>{@code read*}: one 8-byte read at a random word of the 2 MiB area (independent). ns per read.
 * <li>{@code chain*}: two dependent reads per lookup as a two-level walk does (the first read's
 *     value chooses the second address). ns per lookup.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MemoryBench {

    static final int AREA = 2 << 20;
    static final int WORDS = AREA / 8;
    static final int N = 1 << 20;
    static final int BATCH = 256;
    static final int LOOKUPS = 4096;

    private PhysicalMemory memory;
    private long base;
    private long[] array;
    private int[] windows;
    private int[] words;
    private int cursor;
    private long prev;

    @Setup(Level.Trial)
    public void setUp() {
        memory = new SparseMemory(List.of(Tables.RAM));
        base = Tables.RAM.base();
        array = new long[WORDS];
        Tables.SplitMix rnd = new Tables.SplitMix();
        windows = new int[N];
        words = new int[N];
        for (int i = 0; i < N; i++) {
            windows[i] = (int) rnd.below(WORDS - 64);
            words[i] = (int) rnd.below(WORDS);
        }
        // Touch every chunk, as a populated table has, and fill the second level of the chain with
        // pointers back into the area (each word names another word).
        for (int w = 0; w < WORDS; w++) {
            long v = (rnd.below(WORDS) << 3) | 1;
            memory.write64(base + ((long) w << 3), v);
            array[w] = v;
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long run64Memory() {
        PhysicalMemory m = memory;
        int c = cursor;
        long sum = 0;
        for (int r = 0; r < BATCH; r++) {
            long p = base + ((long) windows[c] << 3);
            long end = p + 64 * 8;
            for (long q = p; q < end; q += 8) {
                sum += m.read64(q);
            }
            long v = 0x1003L;
            for (long q = p; q < end; q += 8, v += 0x4000) {
                m.write64(q, v);
            }
            for (long q = p; q < end && m.read64(q) != 0; q += 8) {
                m.write64(q, 0);
            }
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long run64Array() {
        long[] a = array;
        int c = cursor;
        long sum = 0;
        for (int r = 0; r < BATCH; r++) {
            int p = windows[c];
            int end = p + 64;
            for (int q = p; q < end; q++) {
                sum += a[q];
            }
            long v = 0x1003L;
            for (int q = p; q < end; q++, v += 0x4000) {
                a[q] = v;
            }
            for (int q = p; q < end && a[q] != 0; q++) {
                a[q] = 0;
            }
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(LOOKUPS)
    public long readMemory() {
        PhysicalMemory m = memory;
        int c = cursor;
        long sum = 0;
        for (int i = 0; i < LOOKUPS; i++) {
            sum += m.read64(base + ((long) words[c] << 3));
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(LOOKUPS)
    public long readArray() {
        long[] a = array;
        int c = cursor;
        long sum = 0;
        for (int i = 0; i < LOOKUPS; i++) {
            sum += a[words[c]];
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(LOOKUPS)
    public long chainMemory() {
        PhysicalMemory m = memory;
        long b = base;
        int c = cursor;
        long p = prev;
        for (int i = 0; i < LOOKUPS; i++) {
            long first = m.read64(b + ((((long) words[c] << 3) ^ (p & 8)) & (AREA - 8)));
            p = m.read64(b + (first & (AREA - 8)));
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        prev = p;
        return p;
    }

    @Benchmark
    @OperationsPerInvocation(LOOKUPS)
    public long chainArray() {
        long[] a = array;
        int c = cursor;
        long p = prev;
        for (int i = 0; i < LOOKUPS; i++) {
            long first = a[(int) ((((long) words[c] << 3) ^ (p & 8)) & (AREA - 8)) >>> 3];
            p = a[(int) ((first & (AREA - 8)) >>> 3)];
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        prev = p;
        return p;
    }
}
