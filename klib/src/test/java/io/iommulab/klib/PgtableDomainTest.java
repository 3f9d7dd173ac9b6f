package io.iommulab.klib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.TlbFlushOps;
import io.iommulab.machine.memory.PageAllocatorImpl;
import io.iommulab.machine.memory.SparseMemory;
import io.iommulab.pgtable.dart.DartFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shared io-pgtable helpers over a real format (apple-dart2) and a real allocator. */
class PgtableDomainTest {

    static final long RAM = 0x8_0000_0000L;
    static final long PG = 0x4000;

    final List<RamRegion> ram = List.of(new RamRegion(RAM, 1L << 30));
    final SparseMemory memory = new SparseMemory(ram);
    final PageAllocatorImpl pages = new PageAllocatorImpl(memory, ram);
    final PageTableContext ctx = new PageTableContext(memory, pages, "klib-test", TlbFlushOps.NONE);
    final PageTableConfig config = new PageTableConfig(PG, 32, 42, true, 0);

    @Test
    void mapUnmapAndLookupGoToTheInstalledTable() {
        PgtableDomain d = new PgtableDomain("test domain");
        assertEquals(0, d.iovaToPhys(0x10_0000), "no table: nothing mapped");
        assertEquals(0, d.unmapPages(0x10_0000, PG, 1, null));
        IommuException none = assertThrows(IommuException.class, () -> d.mapPages(0x10_0000, RAM, PG, 1, Prot.READ));
        assertEquals("ENODEV: test domain: no page table yet (domain never attached)", none.getMessage());

        PageTableOps ops = IoPgtable.alloc(DartFormat.DART2, config, ctx, "/soc/iommu@0");
        d.install(ops);
        assertSame(ops, d.ops());
        assertEquals(PG, d.mapPages(0x10_0000, RAM + 0x8000, PG, 1, Prot.READ | Prot.WRITE));
        assertEquals(RAM + 0x8123, d.iovaToPhys(0x10_0123));
        assertEquals(PG, d.unmapPages(0x10_0000, PG, 1, null));
        assertEquals(0, d.iovaToPhys(0x10_0123));
        d.mapPages(0x20_0000, RAM, PG, 1, Prot.READ);

        assertTrue(d.markFreed());
        assertFalse(d.markFreed(), "only the first free tears down");
        assertEquals(0, d.iovaToPhys(0x20_0000), "a freed domain maps nothing");
        assertEquals(0, d.unmapPages(0x20_0000, PG, 1, null));
        IommuException freed = assertThrows(IommuException.class, () -> d.mapPages(0x30_0000, RAM, PG, 1, Prot.READ));
        assertEquals(Errno.ENODEV, freed.errno());
        assertEquals("ENODEV: test domain was freed", freed.getMessage());
        assertEquals(freed.getMessage(), assertThrows(IommuException.class, d::checkLive).getMessage());
        ops.free();
    }

    /** The new version of the format's bundle: another object of the format, the same encoding. */
    static final class NextVersion implements PageTableFormat {
        @Override
        public String name() {
            return DartFormat.DART2.name();
        }

        @Override
        public PageTableOps alloc(PageTableConfig config, PageTableContext context) {
            return DartFormat.DART2.alloc(config, context);
        }

        @Override
        public PageTableOps attach(io.iommulab.api.pgtable.PageTableState state, PageTableContext context) {
            return DartFormat.DART2.attach(state, context);
        }
    }

    @Test
    void reattachRunsTheSameTableOnTheNewFormatAndKeepsTheOldOpsTablesAlive() {
        PgtableDomain d = new PgtableDomain("test domain");
        assertEquals(null, d.reattach(new NextVersion(), ctx), "no table yet: nothing to re-open");
        PageTableOps old = IoPgtable.alloc(DartFormat.DART2, config, ctx, "/soc/iommu@0");
        d.install(old);
        d.mapPages(0x10_0000, RAM + 0x8000, PG, 1, Prot.READ | Prot.WRITE);
        long before = pages.pagesInUse();

        PageTableOps neu = d.reattach(new NextVersion(), ctx);
        assertSame(neu, d.ops());
        assertTrue(neu != old, "a new ops object of the new format");
        assertEquals(old.state(), neu.state(), "the same roots, levels and configuration");
        assertEquals(before, pages.pagesInUse(), "nothing allocated");
        assertEquals(old.tablePages(), neu.tablePages(), "the re-opened table counts the tables it found");
        assertEquals(RAM + 0x8123, d.iovaToPhys(0x10_0123), "the mapping made by the old code");
        d.mapPages(0x20_0000, RAM + 0xc000, PG, 1, Prot.READ);
        assertEquals(RAM + 0xc000, old.iovaToPhys(0x20_0000), "one table: the old ops see the new code's map");

        IommuException other = assertThrows(IommuException.class, () -> d.reattach(DartFormat.DART1, ctx));
        assertEquals(Errno.EINVAL, other.errno());
        assertEquals("EINVAL: test domain: its table is of format 'apple-dart2'; 'apple-dart' cannot re-open it",
                other.getMessage());
        assertSame(neu, d.ops(), "a refused format changes nothing");

        assertTrue(d.markFreed());
        assertEquals(null, d.reattach(new NextVersion(), ctx), "a freed domain is not re-opened");
        d.ops().free();
        assertEquals(0, pages.pagesInUse(), "freeing the new ops returns every table, those the old code made included");
    }

    @Test
    void reopenMakesTheNewOpsWithoutUsingThemAndSwitchToMakesThemCurrent() {
        PgtableDomain d = new PgtableDomain("test domain");
        assertEquals(null, d.reopen(new NextVersion(), ctx), "no table yet: nothing to re-open");
        PageTableOps old = IoPgtable.alloc(DartFormat.DART2, config, ctx, "/soc/iommu@0");
        d.install(old);
        long before = pages.pagesInUse();

        PageTableOps neu = d.reopen(new NextVersion(), ctx);
        assertSame(old, d.ops(), "re-opened, not in use yet");
        assertEquals(old.state(), neu.state(), "the same roots, levels and configuration");
        assertEquals(before, pages.pagesInUse(), "nothing allocated");
        // the old code keeps mapping between the two steps: one table, so the new ops see it
        d.mapPages(0x10_0000, RAM + 0x8000, PG, 1, Prot.READ | Prot.WRITE);
        assertEquals(RAM + 0x8123, neu.iovaToPhys(0x10_0123));

        assertTrue(d.switchTo(neu));
        assertSame(neu, d.ops());
        assertTrue(d.format() instanceof NextVersion, "the format it runs on now: the one that re-opened it");
        d.mapPages(0x20_0000, RAM + 0xc000, PG, 1, Prot.READ);
        assertEquals(RAM + 0xc000, old.iovaToPhys(0x20_0000), "one table: the old ops see the new code's map");

        assertThrows(IommuException.class, () -> d.reopen(DartFormat.DART1, ctx), "another format's name");
        PageTableOps third = d.reopen(new NextVersion(), ctx);
        assertThrows(IllegalArgumentException.class, () -> d.switchTo(neu), "only what the last reopen gave");
        assertTrue(d.markFreed());
        assertFalse(d.switchTo(third), "a domain freed between the steps is not switched");
        assertSame(neu, d.ops());
        d.ops().free();
        assertEquals(0, pages.pagesInUse(), "freeing the current ops returns every table");
    }

    @Test
    void aTableInstalledWithItsFormatIsReopenedInItsOwnContext() {
        PgtableDomain d = new PgtableDomain("test domain");
        PageTableOps old = IoPgtable.alloc(DartFormat.DART2, config, ctx, "/soc/iommu@0");
        d.install(old, DartFormat.DART2, ctx);
        assertSame(DartFormat.DART2, d.format());
        d.mapPages(0x10_0000, RAM + 0x8000, PG, 1, Prot.READ | Prot.WRITE);
        long before = pages.pagesInUse();

        NextVersion next = new NextVersion();
        PageTableOps neu = d.reattach(next);
        assertSame(neu, d.ops());
        assertSame(next, d.format(), "the format it runs on now");
        assertEquals(old.state(), neu.state());
        assertEquals(before, pages.pagesInUse(), "nothing allocated");
        d.mapPages(0x20_0000, RAM + 0xc000, PG, 1, Prot.READ);
        assertEquals(RAM + 0xc000, old.iovaToPhys(0x20_0000), "one table");

        PgtableDomain bare = new PgtableDomain("bare");
        bare.install(IoPgtable.alloc(DartFormat.DART2, config, ctx, "/soc/iommu@1"));
        assertEquals(null, bare.format());
        assertEquals(null, bare.reattach(next), "installed without its context: nothing to re-open it in");
        bare.ops().free();
        d.ops().free();
        assertEquals(0, pages.pagesInUse());
    }

    @Test
    void attachNamesWhoAndKeepsTheFormatsRefusal() {
        PageTableOps ops = IoPgtable.alloc(DartFormat.DART2, config, ctx, "/soc/iommu@0");
        IommuException e = assertThrows(IommuException.class,
                () -> IoPgtable.attach(DartFormat.DART1, ops.state(), ctx, "/soc/iommu@0 domain 3"));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().startsWith("EINVAL: /soc/iommu@0 domain 3: cannot re-open a page table of format 'apple-dart' ("
                + ops.state() + "): "), e.getMessage());
        assertEquals(Errno.EINVAL, ((IommuException) e.getCause()).errno());
        ops.free();
    }

    @Test
    void formatsAreFoundByNameAndAMissingOneIsEnodev() {
        List<PageTableFormat> bound = List.of(DartFormat.DART1, DartFormat.DART2);
        assertSame(DartFormat.DART2, IoPgtable.find(bound, PageTableFormat.APPLE_DART2));
        assertEquals(null, IoPgtable.find(bound, PageTableFormat.ARM_LPAE_S1));
        Map<String, PageTableFormat> byName = Map.of(PageTableFormat.APPLE_DART, DartFormat.DART1);
        assertSame(DartFormat.DART1, IoPgtable.require(byName::get, PageTableFormat.APPLE_DART, "apple-dart t8103"));
        IommuException e = assertThrows(IommuException.class,
                () -> IoPgtable.require(byName::get, PageTableFormat.APPLE_DART2, "apple-dart t6000"));
        assertEquals("ENODEV: apple-dart t6000: page-table format 'apple-dart2' is not available", e.getMessage());
    }

    @Test
    void aFormatsRefusalIsEnomemAsUpstreamReportsAFailedAllocIoPgtableOps() {
        PageTableConfig tooWide = new PageTableConfig(PG, 32, 52, true, 0);
        IommuException e = assertThrows(IommuException.class, () -> IoPgtable.alloc(DartFormat.DART2, tooWide, ctx, "/soc/iommu@0"));
        assertEquals(Errno.ENOMEM, e.errno());
        assertTrue(e.getMessage().startsWith("ENOMEM: /soc/iommu@0: cannot allocate a page table of format 'apple-dart2' ("), e.getMessage());
        assertEquals(Errno.EINVAL, ((IommuException) e.getCause()).errno(), "the format's own reason is kept");
        assertEquals(0, pages.pagesInUse(), "nothing allocated");
    }
}
