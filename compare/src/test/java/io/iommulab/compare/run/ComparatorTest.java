package io.iommulab.compare.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.compare.report.BackendRun;
import io.iommulab.compare.report.Comparison;
import io.iommulab.compare.report.Difference;
import io.iommulab.compare.report.FaultResult;
import io.iommulab.compare.report.PatternResult;
import io.iommulab.compare.workload.Workload;
import io.iommulab.compare.workload.WorkloadParser;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The comparison end to end on the default board: DART and SMMU twins, the built-in workload. */
class ComparatorTest {
    private static final String WIFI = "/soc/pcie@690000000/pci@0,0/wifi@0,0";
    private static Comparison builtin;

    @BeforeAll
    static void runBuiltin() {
        builtin = Stack.dartAndSmmu().comparator().compare(Stack.board("default"), WorkloadParser.builtin(), List.of());
    }

    private static BackendRun run(String backend) {
        return builtin.backends().stream().filter(r -> r.backend().equals(backend)).findFirst().orElseThrow();
    }

    private static PatternResult pattern(BackendRun r, String name) {
        return r.patterns().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    private static boolean flagged(String metric, String subject) {
        return builtin.differences().stream().anyMatch(d -> d.metric().equals(metric) && d.subject().equals(subject));
    }

    @Test
    void bothBackendsRunEveryPatternWithVerifiedData() {
        assertEquals(List.of("apple-dart", "arm-smmu-v2"), builtin.backends().stream().map(BackendRun::backend).toList());
        for (BackendRun r : builtin.backends()) {
            assertNull(r.error(), r.backend());
            assertEquals(6, r.patterns().size(), r.backend());
            for (PatternResult p : r.patterns()) {
                assertEquals(0, p.dataErrors(), r.backend() + " " + p.name());
                assertTrue(p.verifiedBytes() >= p.bytes() / 2, r.backend() + " " + p.name() + ": data checked");
                assertTrue(p.ops() > 0 && p.devices().size() >= 5, r.backend() + " " + p.name() + " ran on every master: " + p.devices());
                assertTrue(p.mmioWritesPerOp() > 0, r.backend() + " " + p.name() + ": map/unmap write registers");
                assertTrue(p.invalidationsPerOp() > 0, r.backend() + " " + p.name());
                assertTrue(p.iotlbHitRate() >= 0 && p.iotlbHitRate() <= 1, r.backend() + " " + p.name());
            }
            assertTrue(r.pageTableBytes() > 0 && r.peakPageTableBytes() >= r.pageTableBytes(), r.backend());
        }
    }

    @Test
    void everyBackendRanWatchedByTheSanitizerWithoutAFinding() {
        for (BackendRun r : builtin.backends()) {
            assertTrue(r.sanitizer() != null && r.sanitizer().enabled(), r.backend());
            assertEquals(0, r.sanitizer().total(), r.backend() + ": " + r.sanitizer().history());
            assertTrue(r.sanitizer().transactions() > 1000, r.backend() + ": every transfer checked, "
                    + r.sanitizer().transactions());
            assertEquals("0 findings", r.sanitizerFindings());
        }
        assertTrue(builtin.differences().stream().noneMatch(d -> d.metric().equals("sanitizer findings")));
    }

    @Test
    void aWorkloadCanRunUnwatched() {
        Workload w = WorkloadParser.parse("unwatched", "config iommulab.iommu.sanitize=false\nstream 16K count=4\n");
        Comparison c = Stack.dartAndSmmu().comparator().compare(Stack.board("default"), w, List.of());
        for (BackendRun r : c.backends()) {
            assertNull(r.error(), r.backend());
            assertNull(r.sanitizer(), r.backend() + ": the lab's sanitizer was off");
            assertEquals("not run", r.sanitizerFindings());
        }
    }

    @Test
    void theSameMastersFormTheSameGroupsOnBothBackends() {
        for (BackendRun r : builtin.backends()) {
            GroupDTO wifi = r.groups().stream().filter(g -> g.devices().contains(WIFI)).findFirst().orElseThrow();
            assertEquals(2, wifi.devices().size(), r.backend() + ": Wi-Fi and Bluetooth share their stream, hence a group: " + wifi);
        }
        assertTrue(builtin.differences().stream().noneMatch(d -> d.metric().equals("group members")),
                "group members agree: " + builtin.differences());
    }

    @Test
    void smmuDomainsHaveBlocksAndDartDomainsDoNot() {
        for (DomainDTO d : run("apple-dart").domains()) {
            assertEquals(0x4000, d.pgsizeBitmap(), "DART: 16 KiB pages only");
        }
        for (DomainDTO d : run("arm-smmu-v2").domains()) {
            long granule = Long.lowestOneBit(d.pgsizeBitmap());
            assertEquals(0x4000, granule, "SMMU: the 16 KiB CPU page is the granule");
            assertTrue((d.pgsizeBitmap() & ~granule) != 0, "SMMU: block sizes too: 0x" + Long.toHexString(d.pgsizeBitmap()));
        }
        assertTrue(flagged("page sizes", ""), builtin.differences().toString());
    }

    @Test
    void dartFlushesAfterEveryMapAndSmmuInvalidatesByVa() {
        // DART: iotlb_sync_map and iotlb_sync each invalidate every stream of the domain.
        // SMMU: no sync on map; unmap sends one TLBIVAL per granule of the buffer.
        PatternResult dart64 = pattern(run("apple-dart"), "stream 64K");
        PatternResult smmu64 = pattern(run("arm-smmu-v2"), "stream 64K");
        PatternResult smmu4 = pattern(run("arm-smmu-v2"), "stream 4K");
        assertTrue(smmu64.invalidationsPerOp() > smmu4.invalidationsPerOp(),
                "SMMU invalidates per page: 64K buffers cost more TLBIs than 4K ones: " + smmu64.invalidationsPerOp() + " vs " + smmu4.invalidationsPerOp());
        PatternResult dart4 = pattern(run("apple-dart"), "stream 4K");
        assertEquals(dart4.invalidationsPerOp(), dart64.invalidationsPerOp(), 1e-9,
                "DART invalidates whole streams: the buffer size does not matter");
        assertTrue(flagged("invalidations/op", "stream 64K"), builtin.differences().toString());
    }

    @Test
    void theInjectedFaultIsDecodedByEachDriver() {
        FaultResult dart = run("apple-dart").faults().get(0);
        FaultResult smmu = run("arm-smmu-v2").faults().get(0);
        assertEquals(1, dart.reported());
        assertEquals(1, smmu.reported());
        assertEquals(dart.device(), smmu.device());
        // Next to a live mapping (the DMA API allocates from the top of each aperture: 32 bits on
        // the DART, 48 on the SMMU), so both walks reach the leaf table and find the entry missing.
        assertTrue(dart.iova() < 1L << 32 && smmu.iova() >= 1L << 32, dart.iova() + " " + smmu.iova());
        assertEquals("TRANSLATION FAULT (level 3)", smmu.modelFault());
        assertEquals("NO PTE FOR IOVA", dart.modelFault());
        assertTrue(flagged("hardware fault", "fault 1") && flagged("driver report", "fault 1"), builtin.differences().toString());
    }

    @Test
    void aThirdBackendJoinsWithoutAnyChange() {
        Stack s = Stack.dartAndSmmu().withTestIommu();
        assertEquals(List.of("apple-dart", "arm-smmu-v2", "test-iommu"), s.comparator().backends());
        Workload w = WorkloadParser.parse("small", "stream 16K count=4\nfault\n");
        Comparison c = s.comparator().compare(Stack.board("default"), w, List.of());
        assertEquals(3, c.backends().size());
        BackendRun third = c.backends().get(2);
        assertNull(third.error());
        assertEquals(0, third.patterns().get(0).dataErrors());
        double hitRate = third.patterns().get(0).iotlbHitRate();
        assertTrue(hitRate > 0 && hitRate < 1, "its model counts IOTLB hits and misses under the names every model uses: " + hitRate);
        Set<String> backendsInDifferences = new TreeSet<>();
        for (Difference d : c.differences()) {
            backendsInDifferences.addAll(d.values().keySet());
        }
        assertTrue(backendsInDifferences.contains("test-iommu"), "the third backend is compared too");
    }

    @Test
    void lazyModeGivesFlushQueuesOnlyToTheDriverThatClaimsDeferredFlush() throws Exception {
        String text = java.nio.file.Files.readString(java.nio.file.Path.of("workloads", "lazy.workload"));
        Comparison c = Stack.dartAndSmmu().comparator().compare(Stack.board("default"), WorkloadParser.parse("lazy.workload", text), List.of());
        BackendRun dart = c.backends().get(0);
        BackendRun smmu = c.backends().get(1);
        assertTrue(dart.defaultDomainTypes().values().stream().allMatch("DMA"::equals), dart.defaultDomainTypes().toString());
        assertTrue(smmu.defaultDomainTypes().values().stream().allMatch("DMA-FQ"::equals), smmu.defaultDomainTypes().toString());
        double dartInv = dart.patterns().get(0).invalidationsPerOp();
        double smmuInv = smmu.patterns().get(0).invalidationsPerOp();
        assertTrue(smmuInv < 1 && dartInv > 2, "flush queue: ASID-wide invalidations now and then, not one per unmap: " + smmuInv + " vs " + dartInv);
        assertEquals(0, smmu.patterns().get(0).dataErrors());
        // The sanitizer measured the SMMU's flush-queue windows (the documented exposure, no finding).
        assertEquals(0, smmu.sanitizer().total(), smmu.sanitizer().history().toString());
        assertTrue(smmu.sanitizer().flushQueues().stream().mapToLong(q -> q.windows()).sum() > 0,
                smmu.sanitizer().flushQueues().toString());
        assertEquals(List.of(), dart.sanitizer().flushQueues(), "strict DART domains have no flush queue");
    }

    @Test
    void anUnknownBackendIsRefusedByName() {
        IommuException e = assertThrows(IommuException.class, () -> Stack.dartAndSmmu().comparator()
                .compare(Stack.board("default"), WorkloadParser.builtin(), List.of("nosuch")));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("nosuch"));
    }
}
