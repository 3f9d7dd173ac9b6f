package io.iommulab.compare.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.compare.run.Differences;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Rows are starred, and differences listed, by what values mean ({@link Meaning}): groups by their
 * members whatever their numbers, faults by master and access whatever IOVA the allocator chose,
 * the reporting IOMMU by the master's stream it names, the status by its decoded text, throughput
 * beyond a tolerance.
 */
class MeaningTest {
    private static final String USB = Fixtures.USB;
    private static final String NIC = Fixtures.NIC;
    private static final String WIFI = Fixtures.WIFI;

    private static ComparisonTable.Row row(Comparison c, String label, int occurrence) {
        return ComparisonTable.sections(c).stream().flatMap(s -> s.rows().stream()).filter(r -> r.label().equals(label))
                .skip(occurrence).findFirst().orElseThrow(() -> new AssertionError("no row " + label));
    }

    private static Comparison compare(BackendRun... runs) {
        return new Comparison("b", "w", List.of(runs), Differences.of(List.of(runs)));
    }

    private static List<Difference> differences(Comparison c, String metric) {
        return c.differences().stream().filter(d -> d.metric().equals(metric)).toList();
    }

    /** {@code r} with its masters put into groups: node → group id; the groups list follows. */
    private static BackendRun grouped(BackendRun r, Map<String, Integer> groupOf) {
        List<DeviceDTO> devices = r.devices().stream().map(d -> new DeviceDTO(d.node(), d.iommus(), d.state(), d.reason(),
                groupOf.get(d.node()), groupOf.get(d.node()), d.domainType())).toList();
        Map<Integer, List<String>> members = new TreeMap<>();
        devices.forEach(d -> members.computeIfAbsent(d.group(), g -> new ArrayList<>()).add(d.node()));
        List<GroupDTO> groups = new ArrayList<>();
        members.forEach((id, nodes) -> groups.add(new GroupDTO(id, nodes, id, id, "DMA")));
        return new BackendRun(r.backend(), r.drivers(), r.error(), r.iommus(), devices, groups, r.domains(),
                r.defaultDomainTypes(), r.capabilities(), r.patterns(), r.faults(), r.pageTableBytes(),
                r.peakPageTableBytes(), r.sanitizer());
    }

    private static BackendRun faults(BackendRun r, UnaryOperator<FaultResult> change) {
        return new BackendRun(r.backend(), r.drivers(), r.error(), r.iommus(), r.devices(), r.groups(), r.domains(),
                r.defaultDomainTypes(), r.capabilities(), r.patterns(), r.faults().stream().map(change).toList(),
                r.pageTableBytes(), r.peakPageTableBytes(), r.sanitizer());
    }

    private static BackendRun opsPerSecond(BackendRun r, double first) {
        List<PatternResult> ps = new ArrayList<>(r.patterns());
        PatternResult p = ps.get(0);
        ps.set(0, new PatternResult(p.name(), p.kind(), p.devices(), p.ops(), p.bytes(), p.mmioReadsPerOp(),
                p.mmioWritesPerOp(), p.invalidationsPerOp(), p.walksPerOp(), p.iotlbHitRate(), first, first / 64,
                p.verifiedBytes(), p.dataErrors(), p.peakPageTableBytes()));
        return new BackendRun(r.backend(), r.drivers(), r.error(), r.iommus(), r.devices(), r.groups(), r.domains(),
                r.defaultDomainTypes(), r.capabilities(), ps, r.faults(), r.pageTableBytes(), r.peakPageTableBytes(),
                r.sanitizer());
    }

    @Test
    void theSamePartitionUnderOtherGroupNumbersIsNotStarred() {
        BackendRun dart = grouped(Fixtures.dart(), Map.of(USB, 1, NIC, 2, WIFI, 2));
        BackendRun smmu = grouped(Fixtures.smmu(), Map.of(USB, 7, NIC, 3, WIFI, 3));
        Comparison c = compare(dart, smmu);
        for (String dev : List.of(USB, NIC, WIFI)) {
            assertFalse(row(c, "group of " + dev, 0).differs(), dev + ": " + row(c, "group of " + dev, 0));
        }
        assertEquals(List.of("1 (alone)", "7 (alone)"), row(c, "group of " + USB, 0).cells(), "the numbers are shown");
        assertEquals(List.of("2 (with wifi@0,1)", "3 (with wifi@0,1)"), row(c, "group of " + NIC, 0).cells());
        assertEquals(List.of(), differences(c, "group members"));
        assertFalse(TextReport.render(c).lines().anyMatch(l -> l.startsWith("* group of ")), TextReport.render(c));
    }

    @Test
    void aDifferentPartitionIsStarredAndNamesTheMastersGroupedDifferently() {
        BackendRun dart = grouped(Fixtures.dart(), Map.of(USB, 1, NIC, 2, WIFI, 2));
        BackendRun smmu = grouped(Fixtures.smmu(), Map.of(USB, 1, NIC, 2, WIFI, 3));
        Comparison c = compare(dart, smmu);
        assertFalse(row(c, "group of " + USB, 0).differs());
        ComparisonTable.Row wifi = row(c, "group of " + WIFI, 0);
        assertTrue(wifi.differs());
        assertEquals(List.of("2 (with nic@0,0)", "3 (alone)"), wifi.cells());
        assertEquals(List.of("2 (with wifi@0,1)", "2 (alone)"), row(c, "group of " + NIC, 0).cells(),
                "the same number, other members: starred");
        assertTrue(row(c, "group of " + NIC, 0).differs());
        List<Difference> groups = differences(c, "group members");
        assertEquals(List.of(NIC, WIFI), groups.stream().map(Difference::subject).toList());
        assertEquals(Map.of("apple-dart", NIC, "arm-smmu-v2", "alone"), groups.get(1).values());
    }

    /** A and B together on one backend, B and C on the other: every master is grouped differently. */
    @Test
    void aMasterMovingBetweenGroupsStarsEveryMasterItTouches() {
        BackendRun dart = grouped(Fixtures.dart(), Map.of(USB, 1, NIC, 1, WIFI, 2));
        BackendRun smmu = grouped(Fixtures.smmu(), Map.of(USB, 1, NIC, 2, WIFI, 2));
        Comparison c = compare(dart, smmu);
        assertEquals(List.of("1 (with nic@0,0)", "1 (alone)"), row(c, "group of " + USB, 0).cells());
        assertEquals(List.of("1 (with usb@382280000)", "2 (with wifi@0,1)"), row(c, "group of " + NIC, 0).cells());
        assertEquals(List.of("2 (alone)", "2 (with nic@0,0)"), row(c, "group of " + WIFI, 0).cells());
        for (String dev : List.of(USB, NIC, WIFI)) {
            assertTrue(row(c, "group of " + dev, 0).differs(), dev);
        }
        assertEquals(3, differences(c, "group members").size());
    }

    @Test
    void aFaultAtTheAddressEachAllocatorChoseIsTheSameFault() {
        BackendRun dart = Fixtures.dart();
        BackendRun smmu = faults(Fixtures.smmu(), f -> new FaultResult(f.device(), f.iova() == 0x1000 ? 0xffff0000L : f.iova(),
                f.write(), f.modelFault(), f.reported(), f.reason(), f.status(), f.iommu(), f.sid()));
        Comparison c = compare(dart, smmu);
        ComparisonTable.Row transaction = row(c, "transaction", 0);
        assertEquals(List.of("usb@382280000 read @0x1000", "usb@382280000 read @0xffff0000"), transaction.cells());
        assertFalse(transaction.differs());
        assertTrue(ComparisonTable.sections(c).stream().anyMatch(s -> s.title().equals(
                "Fault 1: usb@382280000 read, IOVA per backend")), "the title names no one backend's address");
        assertTrue(TextReport.render(c).contains("  fault 1: usb@382280000 read, IOVA per backend\n"));
        assertTrue(TextReport.render(c).contains("  fault 2: nic@0,0 write @0xfffffffffffff000\n"), "one address: shown");

        BackendRun write = faults(Fixtures.smmu(), f -> new FaultResult(f.device(), f.iova(), true, f.modelFault(),
                f.reported(), f.reason(), f.status(), f.iommu(), f.sid()));
        assertTrue(row(compare(dart, write), "transaction", 0).differs(), "a write is not the read the DART saw");
    }

    /** The fixtures' SMMU twin numbers the streams 0x10.., the DART 0..: the master's first stream either way. */
    @Test
    void theReportingIommuIsComparedByTheMastersStreamItNames() {
        Comparison c = compare(Fixtures.dart(), Fixtures.smmu());
        ComparisonTable.Row by = row(c, "reported by", 0);
        assertEquals(List.of("dart@382f80000 sid 0", "iommu@5000000 sid 16"), by.cells());
        assertFalse(by.differs(), "both: the usb master's stream 0, on the IOMMU that stands for its DART");

        BackendRun second = faults(Fixtures.smmu(), f -> new FaultResult(f.device(), f.iova(), f.write(), f.modelFault(),
                f.reported(), f.reason(), f.status(), f.iommu(), f.sid() == 0x10 ? 0x11 : f.sid()));
        assertTrue(row(compare(Fixtures.dart(), second), "reported by", 0).differs(), "the master's other stream");
        BackendRun elsewhere = faults(Fixtures.smmu(), f -> new FaultResult(f.device(), f.iova(), f.write(),
                f.modelFault(), f.reported(), f.reason(), f.status(), "/soc/iommu@6000000", f.sid()));
        assertTrue(row(compare(Fixtures.dart(), elsewhere), "reported by", 0).differs(), "an IOMMU the master does not use");
    }

    @Test
    void aRawStatusIsComparedByWhatItDecodesTo() {
        BackendRun dart = faults(Fixtures.dart(), f -> new FaultResult(f.device(), f.iova(), f.write(), f.modelFault(),
                f.reported(), "TRANSLATION FAULT", 0x80000003L, f.iommu(), f.sid()));
        BackendRun smmu = faults(Fixtures.smmu(), f -> new FaultResult(f.device(), f.iova(), f.write(), f.modelFault(),
                f.reported(), "TRANSLATION FAULT", 0x2, f.iommu(), f.sid()));
        ComparisonTable.Row status = row(compare(dart, smmu), "status", 1); // 0: the run's status
        assertEquals(List.of("0x80000003", "0x2"), status.cells());
        assertFalse(status.differs(), "two register layouts, one meaning");
        assertTrue(row(compare(Fixtures.dart(), Fixtures.smmu()), "status", 1).differs(), "decoded differently");
    }

    @Test
    void throughputDiffersBeyondTheToleranceAndTheListAgreesWithTheStars() {
        BackendRun dart = Fixtures.dart();
        for (double smmuRate : new double[] {52_000.4 / 1.4, 52_000.4 * 1.45, 52_000.4 / 1.6, 52_000.4 * 2}) {
            Comparison c = compare(dart, opsPerSecond(Fixtures.smmu(), smmuRate));
            boolean beyond = Math.max(smmuRate, 52_000.4) / Math.min(smmuRate, 52_000.4) > Meaning.THROUGHPUT_TOLERANCE;
            assertEquals(beyond, row(c, "ops/s", 0).differs(), smmuRate + " ops/s");
            assertEquals(beyond, row(c, "MiB/s", 0).differs(), smmuRate + " ops/s");
            assertEquals(beyond, c.differences().stream().anyMatch(d -> d.metric().equals("throughput")
                    && d.subject().equals("stream-16k")), smmuRate + " ops/s");
        }
        Comparison missing = compare(dart, Fixtures.failed());
        assertTrue(row(missing, "ops/s", 0).differs(), "a backend without the pattern");
        assertEquals(List.of("52000", "-"), row(missing, "ops/s", 0).cells());
    }
}
