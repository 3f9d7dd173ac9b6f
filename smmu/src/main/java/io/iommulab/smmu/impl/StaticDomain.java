package io.iommulab.smmu.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.smmu.impl.hw.SmmuRegs;

/**
 * An identity or blocked domain (arm_smmu_identity_domain / arm_smmu_blocked_domain, dart-facts
 * §4.3): no context bank, no table; attaching points the master's S2CRs at BYPASS or FAULT
 * (arm_smmu_attach_dev_type). Unlike DART, every SMMU can bypass: identity never fails.
 *
 * <p>Linux has one static object of each; here every core domain gets its own (they cost two
 * fields), so that the stream-map entries know which domain they serve and a live-update record
 * names it by the core's id.
 *
 * <p>Fields: {@code s2crType} the S2CR type written ({@link SmmuRegs#S2CR_TYPE_BYPASS} or
 * {@link SmmuRegs#S2CR_TYPE_FAULT}); {@code id}/{@code type} the core's domain id and type, -1/null
 * until the core made its domain.
 */
final class StaticDomain implements DomainOps {

    private final int s2crType;
    private volatile int id = -1;
    private volatile DomainType type;

    private StaticDomain(int s2crType) {
        this.s2crType = s2crType;
    }

    static StaticDomain identity() {
        return new StaticDomain(SmmuRegs.S2CR_TYPE_BYPASS);
    }

    static StaticDomain blocked() {
        return new StaticDomain(SmmuRegs.S2CR_TYPE_FAULT);
    }

    @Override
    public void domainInit(int id, DomainType type) {
        this.id = id;
        this.type = type;
    }

    /** @return the core's domain id, -1 before the core made its domain */
    int id() {
        return id;
    }

    /** @return IDENTITY or BLOCKED (what the S2CR type says, before the core told its own) */
    DomainType type() {
        DomainType t = type;
        return t != null ? t : s2crType == SmmuRegs.S2CR_TYPE_BYPASS ? DomainType.IDENTITY : DomainType.BLOCKED;
    }

    @Override
    public void attachDev(IommuMaster dev) {
        MasterCfg cfg = ArmSmmuDriver.masterCfg(dev);
        cfg.smmu.streams.installS2crs(cfg, s2crType, 0, this);
    }

    @Override
    public String toString() {
        return (s2crType == SmmuRegs.S2CR_TYPE_BYPASS ? "arm-smmu identity domain" : "arm-smmu blocked domain")
                + (id >= 0 ? " " + id : "");
    }
}
