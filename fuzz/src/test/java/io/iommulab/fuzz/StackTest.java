package io.iommulab.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.machine.dt.DeviceTrees;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The fuzz board boots on the fuzz targets' stack with every driver probing its IOMMU and every master. */
class StackTest {

    @Test
    void everyDriverProbesTheFuzzBoard() {
        try (Stack s = Stack.boot(DeviceTrees.parse(FuzzBoard.RESOURCE, Seeds.resource(FuzzBoard.RESOURCE)))) {
            Map<String, String> iommus = new TreeMap<>();
            for (IommuNodeDTO i : s.engine.iommus()) {
                iommus.put(i.node(), i.driver() + " " + i.state());
            }
            assertEquals(Map.of(FuzzBoard.DART, "apple-dart probed", FuzzBoard.USB4_DART, "apple-dart probed",
                    FuzzBoard.SMMU, "arm-smmu probed", FuzzBoard.TEST_IOMMU, "test-iommu probed"), iommus);
            Map<String, String> masters = new TreeMap<>();
            for (DeviceDTO d : s.engine.devices()) {
                masters.put(d.node(), d.state() + " " + d.domainType());
            }
            assertEquals(Map.of(FuzzBoard.USB, "probed DMA", FuzzBoard.NHI, "probed DMA", FuzzBoard.DMA, "probed DMA",
                    FuzzBoard.DEV, "probed DMA", FuzzBoard.NIC, "probed DMA"), masters);
        }
    }
}
