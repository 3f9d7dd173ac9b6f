package io.iommulab.campaign.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.campaign.report.BackendResult;
import io.iommulab.campaign.report.CampaignReport;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The campaign on every backend and every DART variant, as the real stack runs it (no framework):
 * the default board (t8103 and the 64-stream usb4 DART) and its SMMU twin, our t6000 board (DART2
 * tables), t8112 board (t8110, three levels) and t6020 board (t8110 family, IAS 42: four levels),
 * the testkit board with the test IOMMU. Each must end without a
 * mismatch, having gone through every kind of operation and the expected errors, with every page
 * table freed; and a run must be the same every time.
 */
class CampaignTest {
    static final long OPS = 3000;

    @TempDir
    Path dir;

    private static BackendResult run(Rig rig, String board, String backend, long seed, Path dir) {
        CampaignReport r = rig.run(board, backend, OPS, seed, dir);
        assertEquals(1, r.runs().size());
        return r.runs().get(0);
    }

    private static void assertClean(BackendResult r, Collection<String> variants, Set<String> errors) {
        String what = r.backend() + " on " + r.board() + ": ";
        assertNull(r.mismatch(), () -> what + r.mismatch());
        assertTrue(r.ops() > OPS / 2, what + r.ops() + " operations run");
        assertTrue(r.opsByKind().keySet().containsAll(List.of("alloc", "free", "attach", "detach", "map", "unmap", "dma-map",
                "sg-map", "dma-unmap", "dma-read", "dma-write")), what + r.opsByKind());
        assertTrue(r.errors().keySet().containsAll(errors), what + r.errors());
        assertTrue(r.faults() > 100 && r.faultsReported() > 50, what + r.faults() + " faults, " + r.faultsReported() + " reported");
        assertTrue(r.dmaBytes() > 10_000 && r.walks() > 1000 && r.points() > 1000, what + r);
        assertTrue(r.sanitizerTransactions() > 100, what + "the sanitizer watched: " + r.sanitizerTransactions());
        assertEquals(0, r.pagesAfterClose(), what + "every page table freed");
        assertTrue(r.pagesAfterFree() >= r.pagesBaseline(), what + "the default domains' tables stay");
        assertTrue(r.variants().values().containsAll(variants), what + r.variants());
    }

    @Test
    void everyBackendAndDartVariantRunsWithoutAMismatch() {
        Rig rig = new Rig();
        Set<String> usual = Set.of("EEXIST", "EINVAL", "ERANGE");
        assertClean(run(rig, "default", "apple-dart", 11, dir), List.of("apple,t8103-dart", "apple,t8103-usb4-dart"), usual);
        assertClean(run(rig, "t6000", "apple-dart", 11, dir), List.of("apple,t6000-dart"), usual);
        assertClean(run(rig, "t8112", "apple-dart", 11, dir), List.of("apple,t8110-dart"), usual);
        assertClean(run(rig, "t6020", "apple-dart", 11, dir), List.of("apple,t6020-dart"), usual);
        BackendResult smmu = run(rig, "default", "arm-smmu-v2", 11, dir);
        assertClean(smmu, List.of("arm,smmu-v2"), Set.of("EEXIST", "EINVAL", "ERANGE", "ENODEV"));
        assertTrue(smmu.exposures() > 0, "DMA-FQ default domains: transactions on IOVAs a flush queue held");
        assertClean(run(rig, "testkit", "test-iommu", 11, dir), List.of("iommulab,test-iommu"), usual);
    }

    @Test
    void aRunIsTheSameEveryTime() {
        Rig rig = new Rig();
        BackendResult a = run(rig, "default", "arm-smmu-v2", 5, dir);
        BackendResult b = run(rig, "default", "arm-smmu-v2", 5, dir);
        assertEquals(a.opsByKind(), b.opsByKind());
        assertEquals(a.errors(), b.errors());
        assertEquals(List.of(a.faults(), a.faultsReported(), a.exposures(), a.dmaBytes(), a.points(), a.walks()),
                List.of(b.faults(), b.faultsReported(), b.exposures(), b.dmaBytes(), b.points(), b.walks()));
        assertNotNull(a.opsByKind());
    }
}
