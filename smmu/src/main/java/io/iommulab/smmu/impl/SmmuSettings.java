package io.iommulab.smmu.impl;

import io.iommulab.api.config.Setting;
import io.iommulab.lib.config.Settings;
import java.util.List;

/**
 * The driver's options as settings of the PID {@value #PID}: each from the driver's configuration
 * (a {@code iommulab.arm_smmu.cfg} in the deploy folder, {@code iommu:config}), else the framework
 * property {@code iommulab.arm-smmu.KEY}, else its default; {@link ArmSmmuDriver.Config} describes
 * the same keys as metatype. The PID has an underscore where the properties have a dash: FileInstall
 * reads {@code iommulab.arm-smmu.cfg} as a factory configuration named {@code smmu} of the PID
 * {@code iommulab.arm} (Linux, too, reads {@code arm-smmu.disable_bypass} and {@code arm_smmu.disable_bypass}
 * as one module's parameter).
 *
 * <p>{@code disable-bypass} (arm-smmu.disable_bypass) applies live to every probed SMMU: unmatched
 * streams (sCR0.USFCFG) and free stream map entries (their S2CRs) fault or bypass at once; entries
 * in use keep pointing at their domains and take the new init type when their last master goes.
 */
final class SmmuSettings {

    /** The configuration PID */
    static final String PID = "iommulab.arm_smmu";
    /** The prefix of the framework properties ({@code iommulab.arm-smmu.disable-bypass}), as they always were */
    static final String PROPERTY_PREFIX = "iommulab.arm-smmu";

    static final Setting<Boolean> DISABLE_BYPASS = Settings.bool("disable-bypass", true, Setting.LIVE);

    static final Settings SETTINGS = new Settings(PID, PROPERTY_PREFIX, List.of(DISABLE_BYPASS));

    private SmmuSettings() {
    }
}
