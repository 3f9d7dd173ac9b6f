package io.iommulab.campaign.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.campaign.gen.OpGenerator;
import io.iommulab.campaign.op.Op;
import io.iommulab.campaign.op.ReplayFile;
import io.iommulab.campaign.report.BackendResult;
import io.iommulab.campaign.report.CampaignReport;
import io.iommulab.compare.run.Stack;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testiommu.model.TestIommuModelFactory;
import io.iommulab.testkit.DelegatingDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The oracle bites: a driver bug makes a mismatch, the run stops, shrinks it to a few operations
 * and writes them to a file that replays to the same mismatch on a fresh lab. The bugs: a driver
 * told to skip its TLB invalidations ({@code iommu:inject IOMMU skip-invalidate}), and a test
 * IOMMU driver that maps every page read-write whatever the caller asked.
 */
class BiteTest {

    @TempDir
    Path dir;

    /** Runs, expects a mismatch, and replays its file on a fresh lab: the same check on the same kind of operation. */
    private BackendResult biteAndReplay(Rig rig, String board, String backend, BackendCampaign.Settings s) throws Exception {
        CampaignReport r = rig.run(board, backend, s);
        BackendResult b = r.runs().get(0);
        assertNotNull(b.mismatch(), backend + " on " + board + ": the bug went unnoticed in " + b.ops() + " operations");
        assertEquals(1, r.mismatches());
        assertNotNull(b.replay(), "a replay file");
        assertTrue(b.replayOps() >= 2 && b.replayOps() <= 12, "shrunk to a few operations: " + b.mismatch().shrunk());
        ReplayFile file = ReplayFile.read(Path.of(b.replay()));
        assertEquals(b.mismatch().shrunk().size(), file.ops().size());
        assertEquals(backend, file.backend());
        assertTrue(Files.readString(Path.of(b.replay())).contains("# mismatch: op " + b.mismatch().index()));
        CampaignReport again = rig.campaign.replay(file, b.replay(), Rig.board(board), s);
        BackendResult a = again.runs().get(0);
        assertNotNull(a.mismatch(), "the replay fails too");
        assertEquals(b.mismatch().check(), a.mismatch().check(), a.mismatch().toString());
        assertEquals(b.mismatch().op().split(" ")[0], a.mismatch().op().split(" ")[0], a.mismatch().toString());
        assertEquals(file.ops().size() - 1, a.mismatch().index(), "at the file's last operation");
        return b;
    }

    @Test
    void aDartThatSkipsItsInvalidationsIsCaught() throws Exception {
        Rig rig = new Rig();
        BackendResult b = biteAndReplay(rig, "default", "apple-dart",
                Rig.settings(20_000, 3, dir, new OpGenerator.Options(0, "skip-invalidate", 500, -1)));
        assertTrue(b.mismatch().shrunk().stream().anyMatch(l -> l.startsWith("inject ")), b.mismatch().shrunk().toString());
        assertTrue(b.mismatch().check().equals("dma") || b.mismatch().check().equals("data")
                || b.mismatch().check().equals("sanitizer"), b.mismatch().toString());
    }

    @Test
    void anSmmuThatSkipsItsInvalidationsIsCaught() throws Exception {
        biteAndReplay(new Rig(), "default", "arm-smmu-v2",
                Rig.settings(20_000, 3, dir, new OpGenerator.Options(0, "skip-invalidate", 500, -1)));
    }

    @Test
    void withoutTheInjectionTheSameRunIsClean() {
        CampaignReport r = new Rig().run("default", "apple-dart", Rig.settings(5_000, 3, dir, OpGenerator.Options.NONE));
        assertNull(r.runs().get(0).mismatch(), () -> String.valueOf(r.runs().get(0).mismatch()));
    }

    /** The test IOMMU's driver with a bug in its map_pages (the core's call made to misbehave). */
    static final class BuggyMap extends DelegatingDriver {
        /** a map_pages: the real one, and what the bug does with the arguments */
        interface Map {
            long map(DomainOps real, long iova, long paddr, long pgsize, long pgcount, int prot);
        }

        private final Map map;

        BuggyMap(Map map) {
            super(new TestIommuDriver());
            this.map = map;
        }

        @Override
        public DomainOps domainAllocPaging(IommuMaster dev) {
            DomainOps ops = base.domainAllocPaging(dev);
            return new DomainOps() {
                @Override
                public void domainInit(int id, io.iommulab.api.DomainType type) {
                    ops.domainInit(id, type);
                }

                @Override
                public void attachDev(IommuMaster m) {
                    ops.attachDev(m);
                }

                @Override
                public long pgsizeBitmap() {
                    return ops.pgsizeBitmap();
                }

                @Override
                public DomainGeometry geometry() {
                    return ops.geometry();
                }

                @Override
                public long mapPages(long iova, long paddr, long pgsize, long pgcount, int prot) {
                    return map.map(ops, iova, paddr, pgsize, pgcount, prot);
                }

                @Override
                public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
                    return ops.unmapPages(iova, pgsize, pgcount, gather);
                }

                @Override
                public long iovaToPhys(long iova) {
                    return ops.iovaToPhys(iova);
                }

                @Override
                public void flushIotlbAll() {
                    ops.flushIotlbAll();
                }

                @Override
                public void iotlbSync(IotlbGather gather) {
                    ops.iotlbSync(gather);
                }

                @Override
                public void iotlbSyncMap(long iova, long size) {
                    ops.iotlbSyncMap(iova, size);
                }

                @Override
                public void free() {
                    ops.free();
                }

                @Override
                public PageTableState pgtableState() {
                    return ops.pgtableState();
                }
            };
        }
    }

    /**
     * A map of pages that runs past a 2 MiB boundary (one L2 table into the next) puts the pages
     * after the boundary one page too far: the calibration maps single pages and sees nothing; the
     * campaign's maps across table boundaries do.
     */
    @Test
    void aDriverThatMisplacesPagesAcrossATableBoundaryIsCaught() throws Exception {
        long block = 0x20_0000;
        Stack stack = Stack.dartAndSmmu();
        stack.models.add(new TestIommuModelFactory());
        stack.labs.bindDriver(new BuggyMap((real, iova, paddr, pgsize, pgcount, prot) -> {
            long end = iova + pgsize * pgcount;
            long boundary = (iova | (block - 1)) + 1;
            if (pgsize != 0x1000 || end <= boundary) {
                return real.mapPages(iova, paddr, pgsize, pgcount, prot);
            }
            long first = (boundary - iova) / pgsize;
            long done = real.mapPages(iova, paddr, pgsize, first, prot);
            return done + real.mapPages(boundary, paddr + (boundary - iova) + pgsize, pgsize, pgcount - first, prot);
        }));
        BackendResult b = biteAndReplay(new Rig(stack), "testkit", "test-iommu",
                Rig.settings(20_000, 1, dir, OpGenerator.Options.NONE));
        assertTrue(b.mismatch().check().equals("walk") || b.mismatch().check().equals("iova_to_phys")
                || b.mismatch().check().equals("data"), b.mismatch().toString());
        assertTrue(b.mismatch().shrunk().stream().anyMatch(l -> l.startsWith("map ") || l.startsWith("dma-map ")
                || l.startsWith("sg-map ")), b.mismatch().shrunk().toString());
    }

    /** A driver that maps every page read-write whatever the caller asked: the calibration refuses it before the first operation. */
    @Test
    void aDriverThatIgnoresTheProtectionIsCaughtByTheCalibration() {
        Stack stack = Stack.dartAndSmmu();
        stack.models.add(new TestIommuModelFactory());
        stack.labs.bindDriver(new BuggyMap((real, iova, paddr, pgsize, pgcount, prot) ->
                real.mapPages(iova, paddr, pgsize, pgcount, prot | Prot.READ | Prot.WRITE)));
        CampaignReport r = new Rig(stack).run("testkit", "test-iommu", Rig.settings(1000, 1, dir, OpGenerator.Options.NONE));
        BackendResult b = r.runs().get(0);
        assertNotNull(b.mismatch());
        assertEquals(-1, b.mismatch().index());
        assertEquals("calibration", b.mismatch().check());
        assertTrue(b.mismatch().detail().contains("a page mapped read-only walks to"), b.mismatch().detail());
        assertEquals(0, b.ops());
    }
}
