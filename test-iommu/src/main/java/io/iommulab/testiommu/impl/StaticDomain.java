package io.iommulab.testiommu.impl;

import static io.iommulab.testiommu.impl.TestIommuRegs.*;

import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;

/**
 * The identity (CTRL = BYPASS) and blocked (CTRL = 0, no table: as a reset leaves a stream, as
 * apple-dart's blocked domain clears the TTBRs) domains: no page table, one instance each per driver.
 *
 * <p>Fields: {@code ctrl} the CTRL value attach writes; {@code identity} whether it is the identity
 * domain.
 */
final class StaticDomain implements DomainOps {

    private final int ctrl;
    private final boolean identity;

    private StaticDomain(int ctrl, boolean identity) {
        this.ctrl = ctrl;
        this.identity = identity;
    }

    static StaticDomain identity() {
        return new StaticDomain(CTRL_BYPASS, true);
    }

    static StaticDomain blocked() {
        return new StaticDomain(0, false);
    }

    /** Checks every instance first, so an EINVAL leaves all streams as they were. */
    @Override
    public void attachDev(IommuMaster dev) {
        MasterCfg cfg = TestIommuDriver.masterCfg(dev);
        if (identity) {
            for (int i = 0; i < cfg.instanceCount(); i++) {
                if (!cfg.instance(i).bypass) {
                    throw new IommuException(Errno.EINVAL, cfg.instance(i).name()
                            + ": no bypass support for the identity domain of " + dev.name());
                }
            }
        }
        for (int i = 0; i < cfg.instanceCount(); i++) {
            TestIommuInstance inst = cfg.instance(i);
            cfg.forEachStream(i, sid -> {
                inst.hw.setCtrl(sid, ctrl);
                if (!identity) {
                    inst.hw.clearTtbr(sid);
                }
                DomainOps prev = inst.swapDomain(sid, this);
                if (prev instanceof TestDomain) {
                    ((TestDomain) prev).dropStream(inst, sid);
                }
            });
        }
    }

    @Override
    public String toString() {
        return identity ? "test-iommu identity domain" : "test-iommu blocked domain";
    }
}
