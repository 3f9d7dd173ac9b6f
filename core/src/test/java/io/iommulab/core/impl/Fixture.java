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

/** The testkit board booted on the real machine, with the core engine over it (the core's tests in every package). */
public final class Fixture {

    public static final String IOMMU0 = "/soc/iommu@100000000";
    public static final String IOMMU1 = "/soc/iommu@100010000";
    public static final String IOMMU2 = "/soc/iommu@100020000";
    public static final String DEV_A = "/soc/dev-a@200000000";
    public static final String DEV_B = "/soc/dev-b@200010000";
    public static final String DEV_C = "/soc/dev-c@200020000";
    public static final String DEV_D = "/soc/dev-d@200030000";
    public static final String DEV_X = "/soc/dev-x@200040000";
    public static final String NIC0 = "/soc/pcie@300000000/pci@0,0/nic@0,0";
    public static final String NIC1 = "/soc/pcie@300000000/pci@0,0/nic@0,1";
    /** RAM the page allocator does not hand out (its lower half): buffers for DMA */
    public static final long BUF = 0x8_0000_0000L;

    public final SimMachine machine;
    public final IommuCoreEngine engine;

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
    public static Fixture boot(CoreConfig config, IommuDriver driver) {
        SimMachine m = machine();
        IommuCoreEngine e = new IommuCoreEngine(m, config);
        if (driver != null) {
            e.addDriver(driver);
        }
        return new Fixture(m, e);
    }

    public static Fixture boot() {
        return boot(CoreConfig.defaults(), new TestIommuDriver());
    }
}
