package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeployedConfigurationsTest {

    @TempDir
    Path dir;

    @Test
    void theFilesAreTheCfgAndConfigFilesOfTheFolder() throws Exception {
        assertEquals(List.of(), DeployedConfigurations.files(dir.resolve("absent")), "no folder, no files");
        Files.writeString(dir.resolve("iommulab.iommu.cfg"), "strict=0\n");
        Files.writeString(dir.resolve("iommulab.arm_smmu.config"), "disable-bypass=B\"false\"\n");
        Files.writeString(dir.resolve("dart.jar"), "");
        Files.createDirectories(dir.resolve("x.cfg"));
        assertEquals(List.of(dir.resolve("iommulab.arm_smmu.config"), dir.resolve("iommulab.iommu.cfg")),
                DeployedConfigurations.files(dir));
    }

    @Test
    void thePidIsTheNameAsFileInstallReadsIt() {
        assertEquals("iommulab.iommu", DeployedConfigurations.pid(Path.of("deploy/iommulab.iommu.cfg")));
        assertEquals("iommulab.arm_smmu", DeployedConfigurations.pid(Path.of("iommulab.arm_smmu.config")));
        assertNull(DeployedConfigurations.pid(Path.of("iommulab.arm-smmu.cfg")), "a factory configuration 'smmu' of iommulab.arm");
    }

    @Test
    void theKeyIsFileInstallsUriAndEscapedForAFilter() {
        Path f = dir.resolve("a (1).cfg");
        assertEquals(f.toFile().getAbsoluteFile().toURI().toString(), DeployedConfigurations.key(f));
        assertEquals("file:/x/a \\(1\\)\\*\\\\.cfg", DeployedConfigurations.escape("file:/x/a (1)*\\.cfg"));
    }
}
