package io.iommulab.core.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.machine.power.PowerDomain;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testiommu.model.TestIommuModelFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * dev_pm_domain_attach and detach around the core's binding: an IOMMU's and a master's domains are
 * on before the driver touches a register and while they are bound, off when they are unbound,
 * and a device whose domain is not available defers.
 */
class PowerTest {

    private static final String PMGR = "/soc/pmgr@10000/";
    private static final String IOMMU = "/soc/iommu@100000000";
    private static final String DEV = "/soc/dev@200000000";

    private static final String BOARD = """
            /dts-v1/;
            / {
                #address-cells = <2>; #size-cells = <2>;
                interrupt-parent = <&intc>;
                memory@800000000 { device_type = "memory"; reg = <0x8 0x0 0x0 0x40000000>; };
                intc: interrupt-controller { compatible = "iommulab,test-intc"; interrupt-controller; #interrupt-cells = <1>; };
                soc {
                    compatible = "simple-bus"; #address-cells = <2>; #size-cells = <2>; ranges;
                    pmgr@10000 {
                        compatible = "apple,pmgr", "syscon", "simple-mfd"; reg = <0x0 0x10000 0x0 0x1000>;
                        #address-cells = <1>; #size-cells = <1>;
                        ps_fabric: power-controller@100 { reg = <0x100 4>; #power-domain-cells = <0>; };
                        ps_iommu: power-controller@108 { reg = <0x108 4>; #power-domain-cells = <0>; power-domains = <&ps_fabric>; };
                        ps_dev: power-controller@110 { reg = <0x110 4>; #power-domain-cells = <0>; power-domains = <&ps_fabric>; };
                        ps_gone: power-controller@118 { reg = <0x118 4>; #power-domain-cells = <0>; status = "disabled"; };
                    };
                    tiommu: iommu@100000000 {
                        compatible = "iommulab,test-iommu"; reg = <0x1 0x0 0x0 0x1000>; interrupts = <10>;
                        #iommu-cells = <1>; power-domains = <&ps_iommu>;
                    };
                    tiommu2: iommu@100010000 {
                        compatible = "iommulab,test-iommu"; reg = <0x1 0x10000 0x0 0x1000>; interrupts = <11>;
                        #iommu-cells = <1>; power-domains = <&ps_gone>;
                    };
                    dev@200000000 { reg = <0x2 0x0 0x0 0x1000>; iommus = <&tiommu 0>; power-domains = <&ps_dev>; };
                    dev@200010000 { reg = <0x2 0x10000 0x0 0x1000>; iommus = <&tiommu2 0>; };
                };
            };
            """;

    private static SimMachine machine() {
        return SimMachine.boot(DeviceTrees.parse("power.dts", BOARD.getBytes(StandardCharsets.UTF_8)),
                List.of(new TestIommuModelFactory()), Map.of());
    }

    private static boolean on(SimMachine m, String domain) {
        PowerDomain d = m.powerDomains().byPath(PMGR + domain);
        return d.isOn();
    }

    @Test
    void boundDevicesHoldTheirDomainsAndUnboundOnesLetGo() {
        SimMachine m = machine();
        assertFalse(on(m, "power-controller@108"), "off at boot");
        IommuCoreEngine e = new IommuCoreEngine(m, CoreConfig.defaults());
        TestIommuDriver drv = new TestIommuDriver();
        e.addDriver(drv);
        assertEquals("probed", state(e, IOMMU), "the probe found its registers powered");
        assertEquals("probed", device(e, DEV).state());
        assertTrue(on(m, "power-controller@108") && on(m, "power-controller@110") && on(m, "power-controller@100"));
        assertEquals(List.of("device " + IOMMU), m.powerDomains().reasons(m.powerDomains().byPath(PMGR + "power-controller@108")));
        // nothing switches a domain off under a bound driver
        IommuException busy = assertThrows(IommuException.class,
                () -> m.powerDomains().switchOff(PMGR + "power-controller@108"));
        assertEquals(Errno.EBUSY, busy.errno());
        assertTrue(m.isPowered(m.deviceTree().node(IOMMU).orElseThrow()));

        e.removeDriver(drv);
        assertFalse(on(m, "power-controller@108"), "the unbound IOMMU let go");
        assertFalse(on(m, "power-controller@110"), "the released master let go");
        assertFalse(on(m, "power-controller@100"), "and then their parent");
        assertEquals(List.of(), List.copyOf(m.powerDomains().holders()));

        e.addDriver(new TestIommuDriver());
        assertEquals("probed", device(e, DEV).state());
        assertTrue(on(m, "power-controller@108"));
    }

    @Test
    void anIommuWhoseDomainIsNotAvailableDefersAndItsMasterWaits() {
        SimMachine m = machine();
        IommuCoreEngine e = new IommuCoreEngine(m, CoreConfig.defaults());
        e.addDriver(new TestIommuDriver());
        assertEquals("deferred", state(e, "/soc/iommu@100010000"));
        String reason = e.iommus().stream().filter(n -> n.node().equals("/soc/iommu@100010000")).findFirst().orElseThrow().reason();
        assertTrue(reason.contains(PMGR + "power-controller@118") && reason.contains("disabled"), reason);
        assertEquals("deferred", device(e, "/soc/dev@200010000").state());
        assertFalse(m.powerDomains().holders().contains("/soc/iommu@100010000"));
    }

    private static String state(IommuCoreEngine e, String node) {
        return e.iommus().stream().filter(n -> n.node().equals(node)).map(IommuNodeDTO::state).findFirst().orElseThrow();
    }

    private static DeviceDTO device(IommuCoreEngine e, String node) {
        return e.devices().stream().filter(d -> d.node().equals(node)).findFirst().orElseThrow();
    }
}
