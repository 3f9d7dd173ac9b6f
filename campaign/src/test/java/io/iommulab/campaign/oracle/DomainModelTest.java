package io.iommulab.campaign.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The oracle's model of one domain against Linux's iommu_map/iommu_unmap semantics. */
class DomainModelTest {
    static final long K16 = 0x4000;
    static final long M32 = 0x200_0000;
    /** arm-lpae-s1 with a 16 KiB granule: pages and 32 MiB blocks */
    static final long LPAE16 = K16 | M32;
    static final int RW = Prot.READ | Prot.WRITE;

    @Test
    void aMapIsSplitAsLinuxSplitsIt() {
        DomainModel m = new DomainModel(LPAE16);
        // 16 KiB short of 32 MiB alignment: one page, then a block, then pages
        m.map(M32 - K16, 0x8000_0000L - K16, M32 + 3 * K16, RW);
        List<DomainModel.Run> runs = new ArrayList<>();
        m.runs().forEach(runs::add);
        assertEquals(List.of(new DomainModel.Run(M32 - K16, K16, 0x8000_0000L - K16, RW, K16),
                new DomainModel.Run(M32, M32, 0x8000_0000L, RW, M32),
                new DomainModel.Run(2 * M32, 2 * K16, 0x8000_0000L + M32, RW, K16)), runs);
        assertEquals(M32 + 3 * K16, m.mappedBytes());
        assertEquals(0x8000_0000L + 0x1234, m.lookup(M32 + 0x1234).pa() + 0x1234);
        assertNull(m.lookup(2 * M32 + 2 * K16));
    }

    @Test
    void overlapIsAnyByteInCommon() {
        DomainModel m = new DomainModel(K16);
        m.map(0x10_0000, 0x9000_0000L, 2 * K16, RW);
        assertTrue(m.overlaps(0x10_4000, K16));
        assertTrue(m.overlaps(0xF_C000, 2 * K16));
        assertFalse(m.overlaps(0xF_C000, K16));
        assertFalse(m.overlaps(0x10_8000, K16));
    }

    @Test
    void unmapClearsUpToTheFirstHole() {
        DomainModel m = new DomainModel(K16);
        m.map(0x10_0000, 0x9000_0000L, 3 * K16, RW);
        m.map(0x11_0000, 0x9100_0000L, K16, RW);
        assertArrayEquals(new long[] {3 * K16}, m.unmapOutcomes(0x10_0000, 16 * K16));
        assertArrayEquals(new long[] {0}, m.unmapOutcomes(0xF_C000, 4 * K16), "a hole at the start: nothing");
        assertArrayEquals(new long[] {2 * K16}, m.unmapOutcomes(0x10_4000, 2 * K16), "the middle of a map");
        m.unmap(0x10_4000, K16, false);
        assertNull(m.lookup(0x10_4000));
        assertEquals(0x9000_0000L, m.lookup(0x10_0000).pa());
        assertEquals(0x9000_8000L, m.lookup(0x10_8000).pa(), "the run's tail keeps its address");
        assertEquals(3 * K16, m.mappedBytes());
    }

    @Test
    void neverAPartOfABlock() {
        DomainModel m = new DomainModel(LPAE16);
        m.map(M32, 0x8000_0000L, M32, RW);
        assertArrayEquals(new long[] {0}, m.unmapOutcomes(M32 + K16, K16), "inside a block");
        assertArrayEquals(new long[] {0}, m.unmapOutcomes(M32, K16), "the block's first page");
        assertArrayEquals(new long[] {M32}, m.unmapOutcomes(M32, M32), "the block");
        m.map(0, 0x7000_0000L, K16, RW);
        assertArrayEquals(new long[] {M32}, m.unmapOutcomes(0, M32 + K16),
                "a block-sized call clears the table with the page, then a page-sized one meets the block");
    }

    @Test
    void aBlockSizedUnmapOverPagesClearsTheTableAndOverAnEmptyOneMayGoEitherWay() {
        DomainModel m = new DomainModel(LPAE16);
        m.map(M32 + 5 * K16, 0x8000_0000L, K16, RW);
        m.map(2 * M32, 0x9000_0000L, M32, RW);
        // [M32, 2*M32) holds a table with one page: cleared and counted whole, then the block
        assertArrayEquals(new long[] {2 * M32}, m.unmapOutcomes(M32, 2 * M32));
        // [0, M32) holds nothing: io-pgtable may keep an empty table there (counted) or none (stop)
        assertArrayEquals(new long[] {0, M32 + M32 + M32}, m.unmapOutcomes(0, 3 * M32));
        m.unmap(M32, 2 * M32, false);
        assertEquals(0, m.mappedBytes());
    }

    @Test
    void flushQueueReleasesStayPendingUntilAFlushOrAReuse() {
        DomainModel m = new DomainModel(K16);
        m.map(0x10_0000, 0x9000_0000L, K16, RW);
        m.map(0x20_0000, 0x9100_0000L, K16, RW);
        m.map(0x30_0000, 0x9200_0000L, K16, RW);
        m.unmap(0x10_0000, K16, true);
        m.unmap(0x20_0000, K16, true);
        assertTrue(m.pending(0x10_0000));
        assertTrue(m.pending(0x20_3fff));
        assertFalse(m.pending(0x30_0000));
        // reusing the first range proves a flush came after it was queued: it and older ones are gone
        m.map(0x10_0000, 0x9300_0000L, K16, RW);
        assertFalse(m.pending(0x10_0000));
        assertTrue(m.pending(0x20_0000), "queued after the reused one: it may still be pending");
        m.unmap(0x30_0000, K16, true);
        m.flushed();
        assertFalse(m.pending(0x20_0000));
        assertFalse(m.pending(0x30_0000));
    }

    @Test
    void pickSpreadsOverTheRunsAndWraps() {
        DomainModel m = new DomainModel(K16);
        assertNull(m.pick(7));
        m.map(0x10_0000, 0x9000_0000L, K16, RW);
        m.map(0x90_0000, 0x9100_0000L, K16, RW);
        assertEquals(0x10_0000, m.pick(0).iova());
        assertEquals(0x90_0000, m.pick(0x10_0000).iova(), "between runs: the next one");
        assertEquals(0x10_0000, m.pick(0x80_0000 + K16).iova(), "past the last: the first");
    }
}
