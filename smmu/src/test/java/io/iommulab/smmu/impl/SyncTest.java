package io.iommulab.smmu.impl;

import io.iommulab.testkit.LogCapture;

import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.DomainImpl;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * __arm_smmu_tlb_sync against an SMMU whose syncs never complete (model option sync-stuck=true):
 * the poll gives up after its one-second budget, logs the upstream line, and the caller carries on.
 * The clock runs 250 ms per read, so the budget is spent after a few polls.
 */
class SyncTest {

    @Test
    void aStuckSyncTimesOutWithTheUpstreamMessageAndNothingHangs() {
        AtomicLong t = new AtomicLong();
        try (LogCapture log = new LogCapture()) {
            SmmuRig rig = SmmuRig.boot("smmu-stuck", CoreConfig.defaults(), () -> t.addAndGet(250_000_000L), true);
            String line = "arm-smmu " + STUCK + ": TLB sync timed out -- SMMU may be deadlocked";
            assertEquals("probed", rig.iommu(STUCK).state(), "reset's global sync timed out; probe goes on");
            assertEquals(1, log.matching(line).size());
            assertEquals("probed", rig.device(STUCK_DMA).state());
            IommuDomain dom = rig.engine.domainAlloc(STUCK_DMA, DomainType.UNMANAGED);
            rig.engine.attachGroup(dom, STUCK_DMA);
            dom.map(0x10_0000, rig.ram() + 0x100_0000, 0x4000, Prot.READ | Prot.WRITE);
            assertEquals(0x4000, dom.unmap(0x10_0000, 0x4000), "unmap returns although its sync timed out");
            assertEquals(2, log.matching(line).size());
            ((DomainImpl) dom).ops().flushIotlbAll();
            assertEquals(3, log.matching(line).size());
            // the other SMMU of the board syncs normally
            assertTrue(log.matching("arm-smmu " + NARROW + ": TLB sync timed out").isEmpty());
        }
    }
}
