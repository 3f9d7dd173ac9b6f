package io.iommulab.machine.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.RamRegion;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

class PageAllocatorTest {
    private static final long BASE = 0x8_0000_0000L;
    private static final long SIZE = 16L << 20;
    private final SparseMemory mem = new SparseMemory(List.of(new RamRegion(BASE, SIZE)));
    private final PageAllocatorImpl pages = new PageAllocatorImpl(mem, List.of(new RamRegion(BASE, SIZE)));

    @Test
    void blocksAreNaturallyAlignedAndInRam() {
        for (int order = 0; order <= PageAllocatorImpl.MAX_ORDER; order++) {
            long pa = pages.allocPages(order, "t");
            long size = (long) PageAllocator.PAGE_SIZE << order;
            assertEquals(0, pa & (size - 1), "order " + order + " at 0x" + Long.toHexString(pa));
            assertTrue(pa >= BASE && pa + size <= BASE + SIZE);
        }
    }

    @Test
    void blocksComeBackZeroed() {
        long pa = pages.allocPages(1, "a");
        mem.fill(pa, 2 * PageAllocator.PAGE_SIZE, (byte) 0xff);
        pages.freePages(pa);
        long again = pages.allocPages(1, "b");
        assertEquals(pa, again, "lowest free block is reused");
        for (int off = 0; off < 2 * PageAllocator.PAGE_SIZE; off += 8) {
            assertEquals(0, mem.read64(again + off));
        }
    }

    @Test
    void accountingByOwnerReturnsToZero() {
        long a = pages.allocPages(0, "dart");
        long b = pages.allocPages(2, "dart");
        long c = pages.allocPages(1, "smmu");
        assertEquals(7, pages.pagesInUse());
        assertEquals(Map.of("dart", 5L, "smmu", 2L), pages.pagesByOwner());
        pages.freePages(b);
        assertEquals(Map.of("dart", 1L, "smmu", 2L), pages.pagesByOwner());
        pages.freePages(a);
        pages.freePages(c);
        assertEquals(0, pages.pagesInUse());
        assertEquals(Map.of(), pages.pagesByOwner());
        // Everything merged back: the largest blocks are available again.
        long big = pages.allocPages(PageAllocatorImpl.MAX_ORDER, "x");
        assertEquals(BASE, big);
    }

    @Test
    void doubleFreeAndBadAddressAreEinvalNamingTheAddress() {
        long pa = pages.allocPages(0, "t");
        pages.freePages(pa);
        IommuException e = assertThrows(IommuException.class, () -> pages.freePages(pa));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains(Long.toHexString(pa)), e.getMessage());
        long blk = pages.allocPages(2, "t");
        e = assertThrows(IommuException.class, () -> pages.freePages(blk + PageAllocator.PAGE_SIZE));
        assertTrue(e.getMessage().contains(Long.toHexString(blk + PageAllocator.PAGE_SIZE)), e.getMessage());
        assertEquals(4, pages.pagesInUse(), "failed free changed nothing");
    }

    @Test
    void badOrderIsEinval() {
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> pages.allocPages(11, "t")).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> pages.allocPages(-1, "t")).errno());
    }

    @Test
    void exhaustionIsEnomemAndFreeingRecovers() {
        List<Long> all = new ArrayList<>();
        long expected = SIZE / PageAllocator.PAGE_SIZE / 4;
        for (int i = 0; i < expected; i++) {
            all.add(pages.allocPages(2, "fill"));
        }
        IommuException e = assertThrows(IommuException.class, () -> pages.allocPages(0, "more"));
        assertEquals(Errno.ENOMEM, e.errno());
        assertEquals(SIZE / PageAllocator.PAGE_SIZE, pages.pagesInUse());
        assertEquals(all.size(), new HashSet<>(all).size(), "no block handed out twice");
        pages.freePages(all.get(7));
        long pa = pages.allocPages(1, "after");
        assertEquals((long) all.get(7), pa);
    }

    @Test
    void unalignedRegionIsCarvedIntoAlignedBlocks() {
        long base = 0x8_0000_3000L;
        SparseMemory m = new SparseMemory(List.of(new RamRegion(base, 0x100000)));
        PageAllocatorImpl p = new PageAllocatorImpl(m, List.of(new RamRegion(base, 0x100000)));
        assertEquals(0x100, p.totalPages());
        long pa = p.allocPages(6, "t");
        assertEquals(0, pa & ((PageAllocator.PAGE_SIZE << 6) - 1));
        assertTrue(pa >= base && pa + (PageAllocator.PAGE_SIZE << 6) <= base + 0x100000);
    }

    @Test
    void concurrentAllocationNeverOverlaps() throws InterruptedException {
        ConcurrentLinkedQueue<Long> got = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String owner = "t" + t;
            threads.add(new Thread(() -> {
                for (int i = 0; i < 200; i++) {
                    long pa = pages.allocPages(0, owner);
                    got.add(pa);
                    if (i % 3 == 0) {
                        got.remove(pa);
                        pages.freePages(pa);
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        Set<Long> unique = new HashSet<>(got);
        assertEquals(got.size(), unique.size());
        assertEquals(got.size(), pages.pagesInUse());
        for (long pa : unique) {
            pages.freePages(pa);
        }
        assertEquals(0, pages.pagesInUse());
        assertNotEquals(-1, pages.orderOf(pages.allocPages(0, "x")));
    }
}
