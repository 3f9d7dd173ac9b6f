package io.iommulab.core.impl;

import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testiommu.model.TestIommuModelFactory;
import io.iommulab.testkit.TestBoards;
import java.util.List;
import java.util.Map;

/** The testkit board booted on the real machine, with the core engine over it. */
final class Fixture {

    static final String IOMMU0 = "/soc/iommu@100000000";
    static final String IOMMU1 = "/soc/iommu@100010000";
    static final String IOMMU2 = "/soc/iommu@100020000";
    static final String DEV_A = "/soc/dev-a@200000000";
    static final String DEV_B = "/soc/dev-b@200010000";
    static final String DEV_C = "/soc/dev-c@200020000";
    static final String DEV_D = "/soc/dev-d@200030000";
    static final String DEV_X = "/soc/dev-x@200040000";
    static final String NIC0 = "/soc/pcie@300000000/pci@0,0/nic@0,0";
    static final String NIC1 = "/soc/pcie@300000000/pci@0,0/nic@0,1";
    /** RAM the page allocator does not hand out (its lower half): buffers for DMA */
    static final long BUF = 0x8_0000_0000L;

    final SimMachine machine;
    final IommuCoreEngine engine;

    Fixture(SimMachine machine, IommuCoreEngine engine) {
        this.machine = machine;
        this.engine = engine;
    }

    static SimMachine machine() {
        return machine(Map.of());
    }

    static SimMachine machine(Map<String, String> props) {
        DeviceTree tree = DeviceTrees.parse("testkit.dts", TestBoards.testkitDts());
        return SimMachine.boot(tree, List.of(new TestIommuModelFactory()), props);
    }

    /** Booted board, engine with {@code config}, and {@code driver} added (if not null). */
    static Fixture boot(CoreConfig config, IommuDriver driver) {
        SimMachine m = machine();
        IommuCoreEngine e = new IommuCoreEngine(m, config);
        if (driver != null) {
            e.addDriver(driver);
        }
        return new Fixture(m, e);
    }

    static Fixture boot() {
        return boot(CoreConfig.defaults(), new TestIommuDriver());
    }
}
