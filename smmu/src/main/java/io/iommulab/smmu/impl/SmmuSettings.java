package io.iommulab.smmu.impl;

import io.iommulab.api.config.Setting;
import io.iommulab.api.config.Settings;
import java.util.List;

/**
 * The driver's options as settings of the PID {@value #PID}: each from the driver's configuration
 * (a {@code iommulab.arm-smmu.cfg} in the deploy folder, {@code iommu:config}), else the framework
 * property {@code iommulab.arm-smmu.KEY}, else its default; {@link ArmSmmuDriver.Config} describes
 * the same keys as metatype.
 *
 * <p>{@code disable-bypass} (arm-smmu.disable_bypass) applies live to every probed SMMU: unmatched
 * streams (sCR0.USFCFG) and free stream map entries (their S2CRs) fault or bypass at once; entries
 * in use keep pointing at their domains and take the new init type when their last master goes.
 */
final class SmmuSettings {

    /** The configuration PID, also the prefix of the framework properties */
    static final String PID = "iommulab.arm-smmu";

    static final Setting<Boolean> DISABLE_BYPASS = Setting.bool("disable-bypass", true, Setting.LIVE);

    static final Settings SETTINGS = new Settings(PID, List.of(DISABLE_BYPASS));

    private SmmuSettings() {
    }
}
