package io.iommulab.machine.mmio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.RegisterHooks;
import io.iommulab.api.hw.RegisterSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegisterFileTest {
    private static final List<RegisterSpec> SPECS = List.of(
            RegisterSpec.ro("PARAMS", 0x0, 0x1234_0010),
            RegisterSpec.reg("CONFIG", 0x4, 0x0000_00f0, 0x0000_ff0f),
            new RegisterSpec("ERROR", 0x8, 1, 4, 0x8000_0003, 0, 0x8000_0001),
            RegisterSpec.array("TTBR", 0x100, 4, 0x10, 0, 0xffff_fff0));

    private final List<String> writes = new ArrayList<>();
    private final RegisterFileImpl regs = new RegisterFileImpl("/soc/iommu@100000", 0x4000, SPECS, new RegisterHooks() {
        @Override
        public void onWrite(RegisterSpec reg, int index, int oldValue, int newValue, int value) {
            writes.add(String.format("%s[%d] %x->%x (%x)", reg.name(), index, oldValue, newValue, value));
        }

        @Override
        public int onRead(RegisterSpec reg, int index, int stored) {
            return reg.name().equals("PARAMS") ? stored | 0x1 : stored;
        }
    });

    @Test
    void resetValues() {
        assertEquals(0x1234_0011, regs.readl(0x0), "onRead hook applies to software reads");
        assertEquals(0x1234_0010, regs.get(0x0), "model-side get sees the stored value");
        assertEquals(0xf0, regs.readl(0x4));
        assertEquals(0x8000_0003, regs.readl(0x8));
        regs.writel(0x4, 0xffff_ffff);
        regs.set(0x8, 0);
        regs.reset();
        assertEquals(0xf0, regs.get(0x4));
        assertEquals(0x8000_0003, regs.get(0x8));
    }

    @Test
    void writableMask() {
        regs.writel(0x4, 0xffff_ffff);
        assertEquals(0x0000_ff0f | 0xf0, regs.readl(0x4), "bits outside the mask keep their old value");
        regs.writel(0x4, 0);
        assertEquals(0xf0, regs.readl(0x4));
        regs.writel(0x0, 0xffff_ffff);
        assertEquals(0x1234_0010, regs.get(0x0), "read-only");
        assertEquals("CONFIG[0] f0->ffff (ffffffff)", writes.get(0));
    }

    @Test
    void hooksSeeOldNewAndRaw() {
        regs.writel(0x4, 0x0000_1201);
        assertEquals(List.of("CONFIG[0] f0->12f1 (1201)"), writes);
    }

    @Test
    void writeOneToClear() {
        regs.writel(0x8, 0x1);
        assertEquals(0x8000_0002, regs.readl(0x8), "bit 0 cleared, others kept");
        regs.writel(0x8, 0x2);
        assertEquals(0x8000_0002, regs.readl(0x8), "bit 1 is not w1c");
        regs.writel(0x8, 0x8000_0000);
        assertEquals(0x2, regs.readl(0x8));
        regs.set(0x8, 0x8000_0001);
        assertEquals(0x8000_0001, regs.readl(0x8), "model set bypasses masks");
    }

    @Test
    void arrays() {
        regs.writel(0x120, 0xabcd_1234);
        assertEquals(0xabcd_1230, regs.readl(0x120));
        assertEquals(0, regs.readl(0x110));
        assertEquals("TTBR", regs.specAt(0x130).name());
        assertEquals("TTBR[2]", regs.specAt(0x120).nameAt(0x120));
        assertNull(regs.specAt(0x104), "between elements");
        assertNull(regs.specAt(0x140), "past the last element");
        assertTrue(writes.get(0).startsWith("TTBR[2]"), writes.toString());
    }

    @Test
    void unknownOffsetsAreRazWiAndReportedOnce() {
        assertEquals(0, regs.readl(0x200));
        regs.writel(0x200, 0x1234);
        assertEquals(0, regs.readl(0x200));
        assertEquals(0, regs.get(0x200));
        assertEquals(1, regs.unimplementedReported(), "one report per offset");
        regs.readl(0x3ffc);
        assertEquals(2, regs.unimplementedReported());
        assertTrue(writes.isEmpty(), "no hook for an undeclared offset");
        assertThrows(IommuException.class, () -> regs.set(0x200, 1), "model writing an undeclared register is a model bug");
    }

    @Test
    void unalignedOrOutsideIsEinvalNamingBlockAndOffset() {
        IommuException e = assertThrows(IommuException.class, () -> regs.readl(0x6));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("/soc/iommu@100000") && e.getMessage().contains("0x6"), e.getMessage());
        e = assertThrows(IommuException.class, () -> regs.writel(0x4000, 0));
        assertTrue(e.getMessage().contains("0x4000"), e.getMessage());
        assertThrows(IommuException.class, () -> regs.readl(-4));
    }

    @Test
    void badTablesAreRejected() {
        assertThrows(IommuException.class, () -> new RegisterFileImpl("b", 0x100, List.of(
                RegisterSpec.reg("A", 0x0, 0, -1), RegisterSpec.reg("B", 0x0, 0, -1)), null), "overlap");
        assertThrows(IommuException.class, () -> new RegisterFileImpl("b", 0x100, List.of(
                RegisterSpec.reg("A", 0x2, 0, -1)), null), "unaligned");
        assertThrows(IommuException.class, () -> new RegisterFileImpl("b", 0x100, List.of(
                RegisterSpec.array("A", 0xf0, 8, 4, 0, -1)), null), "runs past the block");
    }
}
