package io.iommulab.pgtable.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.TlbFlushOps;
import io.iommulab.machine.memory.PageAllocatorImpl;
import io.iommulab.machine.memory.SparseMemory;
import java.util.List;
import org.junit.jupiter.api.Test;

class TablePagesTest {

    private static final RamRegion RAM = new RamRegion(0x8_0000_0000L, 1 << 20);
    private final SparseMemory memory = new SparseMemory(List.of(RAM));
    private final PageAllocatorImpl allocator = new PageAllocatorImpl(memory, List.of(RAM));
    private final PageTableContext ctx = new PageTableContext(memory, allocator, "test", TlbFlushOps.NONE);

    @Test
    void allocatesZeroedAlignedTablesAndCountsThem() {
        TablePages t = new TablePages(ctx, 2);
        assertEquals(0x4000, t.tableBytes());
        long a = t.allocTable();
        long b = t.allocTable();
        assertEquals(0, a & 0x3fff);
        assertEquals(0, b & 0x3fff);
        for (long q = a; q < a + 0x4000; q += 8) {
            assertEquals(0, memory.read64(q));
        }
        assertEquals(2, t.count());
        assertEquals(8, allocator.pagesInUse());
        assertEquals(8L, allocator.pagesByOwner().get("test"));
        t.freeTable(a);
        t.freeTable(b);
        assertEquals(0, t.count());
        assertEquals(0, allocator.pagesInUse());
    }

    @Test
    void installTableWinsOnEmptyEntryAndLoserFreesItsCopy() {
        TablePages t = new TablePages(ctx, 0);
        long parent = t.allocTable();
        long first = t.allocTable();
        assertEquals(0, t.installTable(parent + 8, first | 1, first));
        assertEquals(first | 1, memory.read64(parent + 8));
        long second = t.allocTable();
        assertEquals(3, t.count());
        assertEquals(first | 1, t.installTable(parent + 8, second | 1, second));
        assertEquals(first | 1, memory.read64(parent + 8));
        assertEquals(2, t.count());
        assertEquals(2, allocator.pagesInUse());
    }

    @Test
    void enomemPassesThrough() {
        TablePages t = new TablePages(ctx, 4);
        for (int i = 0; i < 16; i++) {
            t.allocTable();
        }
        IommuException e = assertThrows(IommuException.class, t::allocTable);
        assertEquals(Errno.ENOMEM, e.errno());
        assertEquals(16, t.count());
    }

    @Test
    void bitHelpers() {
        assertEquals(0x0000_000F_FFFF_F000L, TablePages.genmask(35, 12));
        assertEquals(0xFFF, TablePages.bits(0x000F_FF08_0004_4003L, 51, 40));
        assertEquals(-1L, TablePages.mask(64));
        assertEquals(0, TablePages.mask(0));
    }
}
