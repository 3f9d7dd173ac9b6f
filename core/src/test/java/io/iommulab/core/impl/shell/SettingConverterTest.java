package io.iommulab.core.impl.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.iommulab.api.config.SettingDTO;
import java.util.List;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.Test;

class SettingConverterTest {

    private static final SettingDTO STRICT = new SettingDTO("iommulab.iommu", "strict", "false", "configuration",
            "file:/w/deploy/iommulab.iommu.cfg", "new default domains", "Strict invalidation.");
    private static final SettingDTO TRACE = new SettingDTO("iommulab.iommu", "trace", "true", "property",
            "iommulab.iommu.trace", "live", null);
    private static final SettingDTO BYPASS = new SettingDTO("iommulab.arm_smmu", "disable-bypass", "true", "default", null,
            "live", "Bypass.");

    @Test
    void aListIsATableWithTheSourceAndWhatAChangeAffects() {
        assertEquals("""
                PID                KEY             VALUE  SOURCE                                           APPLIES              DESCRIPTION
                iommulab.arm_smmu  disable-bypass  true   default                                          live                 Bypass.
                iommulab.iommu     strict          false  configuration file:/w/deploy/iommulab.iommu.cfg  new default domains  Strict invalidation.
                iommulab.iommu     trace           true   property iommulab.iommu.trace                    live                 -
                """, new SettingConverter().format(List.of(BYPASS, STRICT, TRACE), Converter.INSPECT, null).toString());
    }

    @Test
    void oneSettingIsOneLine() {
        SettingConverter c = new SettingConverter();
        assertEquals("iommulab.iommu strict=false (configuration file:/w/deploy/iommulab.iommu.cfg; applies to new default "
                + "domains)", c.format(STRICT, Converter.INSPECT, null));
        assertEquals("iommulab.arm_smmu disable-bypass=true (default; applies at once)", c.format(BYPASS, Converter.LINE, null));
    }

    @Test
    void otherObjectsAreNotItsBusiness() {
        SettingConverter c = new SettingConverter();
        assertNull(c.format(List.of(STRICT, "x"), Converter.INSPECT, null));
        assertNull(c.format(List.of(), Converter.INSPECT, null));
        assertNull(c.format("x", Converter.INSPECT, null));
    }
}
