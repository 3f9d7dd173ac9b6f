package io.iommulab.pgtable.lpae;

import static io.iommulab.api.Prot.CACHE;
import static io.iommulab.api.Prot.MMIO;
import static io.iommulab.api.Prot.NOEXEC;
import static io.iommulab.api.Prot.PRIV;
import static io.iommulab.api.Prot.READ;
import static io.iommulab.api.Prot.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Bit-exact descriptors for known inputs (dart-facts §4.4). Table addresses are exact because the
 * buddy allocator hands out the lowest free block first: TTBR0 at the base of RAM, then each new
 * table at the next granule.
 */
class ArmLpaeS1DescriptorTest {

    private static final long BITMAP_4K = 0x4020_1000L;
    private static final long BITMAP_16K = 0x0200_4000L;
    private static final long BITMAP_64K = 0x2001_0000L;

    private void assertPage(int prot, long expected) {
        LpaeFixture f = new LpaeFixture();
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        assertEquals(0x1000, ops.mapPages(0x1000, 0x1234_5000L, 0x1000, 1, prot));
        assertEquals(expected, f.entry(ops, 0x1000, 3),
                () -> "prot 0x" + Integer.toHexString(prot) + ": 0x" + Long.toHexString(f.entry(ops, 0x1000, 3)));
        assertEquals(0x1234_5000L + 42, ops.iovaToPhys(0x1000 + 42));
    }

    @Test
    void pageRead() {
        // nG | AF | SH=outer | AP[2] read-only | AP[1] unprivileged | page
        assertPage(READ, 0x12345EC3L);
    }

    @Test
    void pageReadWrite() {
        assertPage(READ | WRITE, 0x12345E43L);
    }

    @Test
    void pageWriteOnlyStaysReadWrite() {
        assertPage(WRITE, 0x12345E43L);
    }

    @Test
    void pageCacheIsWriteBackInnerShareable() {
        assertPage(READ | WRITE | CACHE, 0x12345F47L);
        assertPage(READ | CACHE, 0x12345FC7L);
    }

    @Test
    void pageMmioIsDevice() {
        assertPage(READ | WRITE | MMIO, 0x12345E4BL);
        // MMIO wins the attribute index; CACHE still makes it inner-shareable, as in Linux
        assertPage(READ | WRITE | MMIO | CACHE, 0x12345F4BL);
    }

    @Test
    void pageNoexecSetsUxnAndPxn() {
        assertPage(READ | WRITE | NOEXEC, 0x0060_0000_1234_5E43L);
    }

    @Test
    void pagePrivClearsApUnpriv() {
        assertPage(READ | WRITE | PRIV, 0x12345E03L);
        assertPage(READ | PRIV, 0x12345E83L);
        assertPage(READ | WRITE | CACHE | NOEXEC | PRIV, 0x0060_0000_1234_5F07L);
    }

    @Test
    void highestOutputAddress() {
        LpaeFixture f = new LpaeFixture();
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        ops.mapPages(0x1000, 0xFFFF_FFFF_F000L, 0x1000, 1, READ | WRITE);
        assertEquals(0xFFFF_FFFF_FE43L, f.entry(ops, 0x1000, 3));
        assertEquals(0xFFFF_FFFF_F123L, ops.iovaToPhys(0x1123));
    }

    @Test
    void tableDescriptors4k() {
        LpaeFixture f = new LpaeFixture();
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        assertEquals(0x8000_0000L, ops.state().ttbrs()[0]);
        ops.mapPages(0x1000, 0x1234_5000L, 0x1000, 1, READ | WRITE);
        assertEquals(0x8000_1003L, f.entry(ops, 0x1000, 0));
        assertEquals(0x8000_2003L, f.entry(ops, 0x1000, 1));
        assertEquals(0x8000_3003L, f.entry(ops, 0x1000, 2));
        assertEquals(4, ops.tablePages());
    }

    @Test
    void blocks4k() {
        LpaeFixture f = new LpaeFixture();
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        assertEquals(1L << 21, ops.mapPages(0x4020_0000L, 0x4020_0000L, 1L << 21, 1, READ | WRITE));
        assertEquals(0x40200E41L, f.entry(ops, 0x4020_0000L, 2));
        assertEquals(1L << 30, ops.mapPages(0x8000_0000L, 0x1_4000_0000L, 1L << 30, 1, READ | WRITE | CACHE | NOEXEC));
        assertEquals(0x0060_0001_4000_0F45L, f.entry(ops, 0x8000_0000L, 1));
        assertEquals(0x8000_1003L, f.entry(ops, 0x8000_0000L, 0));
        assertEquals(0x4020_0000L + 0x1_2345, ops.iovaToPhys(0x4020_0000L + 0x1_2345));
        assertEquals(0x1_4000_0000L + 0x3FFF_FFFFL, ops.iovaToPhys(0x8000_0000L + 0x3FFF_FFFFL));
        assertEquals(3, ops.tablePages(), "L0, L1, L2: a block needs no table below it");
    }

    @Test
    void granule16k() {
        LpaeFixture f = new LpaeFixture();
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_16K, 48, 48);
        ops.mapPages(0x4000, 0x8000_4000L, 0x4000, 1, READ | WRITE);
        assertEquals(0x8000_4003L, f.entry(ops, 0x4000, 0));
        assertEquals(0x8000_8003L, f.entry(ops, 0x4000, 1));
        assertEquals(0x8000_C003L, f.entry(ops, 0x4000, 2));
        assertEquals(0x8000_4E43L, f.entry(ops, 0x4000, 3));
        ops.mapPages(0x200_0000L, 0x200_0000L, 1L << 25, 1, READ);
        assertEquals(0x0200_0EC1L, f.entry(ops, 0x200_0000L, 2));
        assertEquals(0x200_0000L + 0x1ff_fff0L, ops.iovaToPhys(0x200_0000L + 0x1ff_fff0L));
    }

    @Test
    void granule64k() {
        LpaeFixture f = new LpaeFixture();
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_64K, 48, 48);
        ops.mapPages(0x1_0000, 0x1_0001_0000L, 0x1_0000, 1, READ | WRITE);
        assertEquals(0x8001_0003L, f.entry(ops, 0x1_0000, 1));
        assertEquals(0x8002_0003L, f.entry(ops, 0x1_0000, 2));
        assertEquals(0x1_0001_0E43L, f.entry(ops, 0x1_0000, 3));
        ops.mapPages(0x2000_0000L, 0x2000_0000L, 1L << 29, 1, READ | WRITE | MMIO);
        assertEquals(0x2000_0E49L, f.entry(ops, 0x2000_0000L, 2));
        assertEquals(0x1_0001_fffeL, ops.iovaToPhys(0x1_fffe));
    }
}
