package io.iommulab.smmu.impl;

import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.smmu.impl.hw.SmmuRegs;

/**
 * The static identity and blocked domains (arm_smmu_identity_domain / arm_smmu_blocked_domain,
 * dart-facts §4.3): no context bank, no table; attaching points the master's S2CRs at BYPASS or
 * FAULT (arm_smmu_attach_dev_type). Unlike DART, every SMMU can bypass: identity never fails.
 *
 * <p>Fields: {@code type} the S2CR type written ({@link SmmuRegs#S2CR_TYPE_BYPASS} or
 * {@link SmmuRegs#S2CR_TYPE_FAULT}).
 */
final class StaticDomain implements DomainOps {

    private final int type;

    private StaticDomain(int type) {
        this.type = type;
    }

    static StaticDomain identity() {
        return new StaticDomain(SmmuRegs.S2CR_TYPE_BYPASS);
    }

    static StaticDomain blocked() {
        return new StaticDomain(SmmuRegs.S2CR_TYPE_FAULT);
    }

    @Override
    public void attachDev(IommuMaster dev) {
        MasterCfg cfg = ArmSmmuDriver.masterCfg(dev);
        cfg.smmu.streams.installS2crs(cfg, type, 0);
    }

    @Override
    public String toString() {
        return type == SmmuRegs.S2CR_TYPE_BYPASS ? "arm-smmu identity domain" : "arm-smmu blocked domain";
    }
}
