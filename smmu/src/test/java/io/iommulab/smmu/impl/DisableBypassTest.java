package io.iommulab.smmu.impl;

import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.Prot;
import io.iommulab.api.config.SettingDTO;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.lib.config.Settings;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import io.iommulab.testkit.LogCapture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * disable_bypass changed through the driver's configuration (PID iommulab.arm_smmu) while the SMMUs
 * run: unmatched streams and free stream map entries follow at once, entries in use do not move.
 */
class DisableBypassTest {

    /** SID 0x40 of SMMU0: no SMR matches it (its master names two SMMUs and is refused) */
    private static final int UNMATCHED_SID = 0x40;

    private static SmmuRig boot(ArmSmmuDriver driver) {
        return SmmuRig.boot("smmu", CoreConfig.defaults(), driver, Map.of());
    }

    private static ArmSmmuDriver driver() {
        return ArmSmmuDriver.create(SmmuRig.FORMATS, System::nanoTime);
    }

    /** @return the S2CR of every entry of {@code smmu}, as the registers hold them */
    private static List<Integer> s2crs(SmmuRig rig, String smmu, int entries) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            out.add(rig.gr0(smmu, SmmuRegs.s2cr(i)));
        }
        return out;
    }

    private static boolean smrValid(SmmuRig rig, String smmu, int i) {
        return (rig.gr0(smmu, SmmuRegs.smr(i)) & SmmuRegs.SMR_VALID) != 0;
    }

    private static SettingDTO setting(ArmSmmuDriver d) {
        return d.settings().get(0);
    }

    @Test
    void unmatchedStreamsAndFreeEntriesFollowAtOnceEntriesInUseDoNot() {
        ArmSmmuDriver driver = driver();
        SmmuRig rig = boot(driver);
        int entries = rig.smmu(SMMU0).params().numMappingGroups();
        List<Integer> before = s2crs(rig, SMMU0, entries);
        rig.engine.domainOf(DMA).map(0x10_0000, rig.ram() + 0x10_0000, 0x4000, Prot.READ | Prot.WRITE);
        assertFalse(rig.master(DUAL).read(0, rig.ram(), 16).ok(), "disable_bypass: an unmatched stream faults");
        int faults = rig.engine.faults().size();

        driver.modified(Map.of("disable-bypass", "0"));
        assertFalse(driver.disableBypass());
        assertFalse(rig.smmu(SMMU0).disableBypass());
        assertEquals(0, rig.gr0(SMMU0, SmmuRegs.GR0_SCR0) & SmmuRegs.SCR0_USFCFG);
        List<Integer> after = s2crs(rig, SMMU0, entries);
        for (int i = 0; i < entries; i++) {
            if (smrValid(rig, SMMU0, i)) {
                assertEquals(before.get(i), after.get(i), "entry " + i + " in use: untouched");
            } else {
                assertEquals(SmmuRegs.S2CR_TYPE_BYPASS << 16, after.get(i), "free entry " + i);
            }
        }
        assertTrue(rig.master(DUAL).read(0, rig.ram(), 16).ok(), "SID 0x" + Integer.toHexString(UNMATCHED_SID) + " bypasses");
        assertTrue(rig.master(DMA).read(0, 0x10_0000, 16).ok(), "a master in use still translates");
        assertEquals(faults, rig.engine.faults().size());

        driver.modified(Map.of()); // the configuration deleted: the default again
        assertTrue(driver.disableBypass());
        assertNotEquals(0, rig.gr0(SMMU0, SmmuRegs.GR0_SCR0) & SmmuRegs.SCR0_USFCFG);
        assertEquals(before, s2crs(rig, SMMU0, entries));
        try (LogCapture log = new LogCapture()) {
            assertFalse(rig.master(DUAL).read(0, rig.ram(), 16).ok());
            assertEquals(1, log.matching("Blocked unknown Stream ID 0x40").size(), log.lines().toString());
        }
    }

    @Test
    void underStreamIndexingEveryFreeEntryFollows() {
        ArmSmmuDriver driver = driver();
        SmmuRig rig = boot(driver);
        int entries = rig.smmu(SMMU3).params().numMappingGroups();
        List<Integer> before = s2crs(rig, SMMU3, entries);
        assertEquals(SmmuRegs.S2CR_TYPE_FAULT << 16, before.get(entries - 1), "a free entry faults");
        driver.setDisableBypass(false);
        List<Integer> after = s2crs(rig, SMMU3, entries);
        int used = 0;
        for (int i = 0; i < entries; i++) {
            if (before.get(i) != SmmuRegs.S2CR_TYPE_FAULT << 16) {
                used++;
                assertEquals(before.get(i), after.get(i), "entry " + i + " in use: untouched");
            } else {
                assertEquals(SmmuRegs.S2CR_TYPE_BYPASS << 16, after.get(i), "free entry " + i);
            }
        }
        assertTrue(used > 0, "the board's stream-indexed masters hold entries");
    }

    @Test
    void anSmmuProbedAfterTheChangeIsResetWithIt() {
        ArmSmmuDriver driver = driver();
        driver.modified(Map.of("disable-bypass", Boolean.FALSE));
        SmmuRig rig = boot(driver);
        assertEquals(0, rig.gr0(SMMU0, SmmuRegs.GR0_SCR0) & SmmuRegs.SCR0_USFCFG);
        assertTrue(rig.master(DUAL).read(0, rig.ram(), 16).ok());
        assertEquals(new SettingDTO("iommulab.arm_smmu", "disable-bypass", "false", "configuration", "Config Admin", "live",
                null), setting(driver));
    }

    @Test
    void aBadConfigurationIsRefusedWholeWithOneLineAndNothingChanges() {
        ArmSmmuDriver driver = driver();
        SmmuRig rig = boot(driver);
        int scr0 = rig.gr0(SMMU0, SmmuRegs.GR0_SCR0);
        try (LogCapture log = new LogCapture()) {
            driver.modified(Map.of("disable-bypass", "maybe", Settings.FILEINSTALL_FILENAME, "file:/d/iommulab.arm_smmu.cfg"));
            driver.modified(Map.of("disable_bypass", "0"));
            assertEquals(1, log.matching("configuration refused, nothing changed: EINVAL: iommulab.arm_smmu: disable-bypass "
                    + "'maybe' is not a boolean").size(), log.lines().toString());
            assertEquals(1, log.matching("configuration refused, nothing changed: EINVAL: iommulab.arm_smmu: no setting "
                    + "'disable_bypass' (its settings: disable-bypass)").size(), log.lines().toString());
        }
        assertTrue(driver.disableBypass());
        assertEquals(scr0, rig.gr0(SMMU0, SmmuRegs.GR0_SCR0));
        assertEquals("default", setting(driver).source());
    }

    @Test
    void theOptionComesFromTheSystemPropertyUnderTheConfiguration() {
        String was = System.setProperty(ArmSmmuDriver.DISABLE_BYPASS_PROPERTY, "off");
        try {
            ArmSmmuDriver driver = driver();
            assertFalse(driver.disableBypass());
            assertEquals(new SettingDTO("iommulab.arm_smmu", "disable-bypass", "false", "property",
                    ArmSmmuDriver.DISABLE_BYPASS_PROPERTY, "live", null), setting(driver));
            driver.modified(Map.of("disable-bypass", "yes"));
            assertTrue(driver.disableBypass());
            assertEquals("true", driver.check("disable-bypass", "y"));
            System.setProperty(ArmSmmuDriver.DISABLE_BYPASS_PROPERTY, "maybe");
            IommuException e = assertThrows(IommuException.class, this::driverNow);
            assertEquals("EINVAL: iommulab.arm_smmu: iommulab.arm-smmu.disable-bypass 'maybe' is not a boolean (1/0, y/n, "
                    + "yes/no, true/false, on/off)", e.getMessage());
        } finally {
            if (was == null) {
                System.clearProperty(ArmSmmuDriver.DISABLE_BYPASS_PROPERTY);
            } else {
                System.setProperty(ArmSmmuDriver.DISABLE_BYPASS_PROPERTY, was);
            }
        }
    }

    /** The metatype (ArmSmmuDriver.Config) and the options read at run time have the same keys and defaults. */
    @Test
    void theMetatypeDescribesTheOptionWithItsDefault() {
        Map<String, String> ocd = new java.util.TreeMap<>();
        for (java.lang.reflect.Method m : ArmSmmuDriver.Config.class.getDeclaredMethods()) {
            // Declarative Services' name mapping: $_$ is a dash
            ocd.put(m.getName().replace("$_$", "-"), String.valueOf(m.getDefaultValue()));
        }
        Map<String, String> settings = new java.util.TreeMap<>();
        for (var s : SmmuSettings.SETTINGS.list()) {
            settings.put(s.key(), s.text(s.defaultValue()));
        }
        assertEquals(settings, ocd);
        assertEquals(ArmSmmuDriver.DISABLE_BYPASS_PROPERTY, SmmuSettings.SETTINGS.property(SmmuSettings.DISABLE_BYPASS));
    }

    private ArmSmmuDriver driverNow() {
        return driver();
    }
}
