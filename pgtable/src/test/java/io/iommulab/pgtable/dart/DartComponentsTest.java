package io.iommulab.pgtable.dart;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.Prot;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.pgtable.osgi.AppleDart2FormatComponent;
import io.iommulab.pgtable.osgi.AppleDartFormatComponent;
import org.junit.jupiter.api.Test;

/** The DS components are the formats under their service names, and interchangeable instances. */
class DartComponentsTest {

    @Test
    void componentsNameTheirFormat() {
        assertEquals(PageTableFormat.APPLE_DART, new AppleDartFormatComponent().name());
        assertEquals(PageTableFormat.APPLE_DART2, new AppleDart2FormatComponent().name());
    }

    @Test
    void aTableMadeByOneInstanceIsReopenedByAnother() {
        DartTestSupport s = DartTestSupport.dart2();
        PageTableOps ops = new AppleDart2FormatComponent().alloc(PageTableConfig.of(0x4000, 42, 42), s.ctx);
        assertEquals(0x8000, ops.mapPages(0x40_0000_0000L, 0x200_0000_0000L, 0x4000, 2, Prot.READ | Prot.WRITE));
        PageTableOps again = new AppleDart2FormatComponent().attach(ops.state(), s.ctx);
        assertEquals(0x200_0000_4abcL, again.iovaToPhys(0x40_0000_4abcL));
        assertEquals(0x8000, again.unmapPages(0x40_0000_0000L, 0x4000, 2, null));
        again.free();
        assertEquals(0, s.allocator.pagesInUse());

        DartTestSupport s1 = DartTestSupport.dart1();
        PageTableOps d1 = new AppleDartFormatComponent().alloc(PageTableConfig.of(0x4000, 32, 36), s1.ctx);
        assertEquals(0x4000, d1.mapPages(0x4000, 0x8_0004_4000L, 0x4000, 1, Prot.READ | Prot.WRITE));
        assertEquals(0x8_0004_4000L, new AppleDartFormatComponent().attach(d1.state(), s1.ctx).iovaToPhys(0x4000));
        d1.free();
        assertEquals(0, s1.allocator.pagesInUse());
    }
}
