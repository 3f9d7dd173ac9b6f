package io.iommulab.core.impl;

import io.iommulab.testkit.DelegatingDriver;

import io.iommulab.api.driver.GroupFactory;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.IommuDriver;
import static io.iommulab.core.impl.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.testiommu.impl.TestIommuDriver;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ProbeTest {

    private static Map<String, DeviceDTO> devices(IommuCoreEngine e) {
        return e.devices().stream().collect(Collectors.toMap(DeviceDTO::node, Function.identity()));
    }

    private static Map<String, IommuNodeDTO> iommus(IommuCoreEngine e) {
        return e.iommus().stream().collect(Collectors.toMap(IommuNodeDTO::node, Function.identity()));
    }

    @Test
    void mastersDeferUntilTheDriverComes() {
        Fixture f = Fixture.boot(CoreConfig.defaults(), null);
        Map<String, DeviceDTO> d = devices(f.engine);
        assertEquals("deferred", d.get(DEV_A).state());
        assertEquals(ProbeState.DEFERRED, d.get(DEV_A).probeState(), "the word and the enum agree");
        assertEquals("waiting for driver for " + IOMMU0 + " (iommulab,test-iommu)", d.get(DEV_A).reason());
        assertEquals("deferred", d.get(NIC0).state());
        assertEquals("waiting for driver for " + IOMMU1 + " (iommulab,test-iommu)", d.get(NIC0).reason());
        assertNull(d.get(DEV_A).group());

        Map<String, IommuNodeDTO> n = iommus(f.engine);
        assertEquals("deferred", n.get(IOMMU0).state());
        assertEquals(List.of(0, 1, 3), n.get(IOMMU0).streams());
        assertEquals(List.of(1, 4), n.get(IOMMU1).streams());
        assertEquals("disabled", n.get(IOMMU2).state());
        assertEquals(ProbeState.DISABLED, n.get(IOMMU2).probeState());
        assertNull(n.get(IOMMU0).driver());

        f.engine.addDriver(new TestIommuDriver());
        d = devices(f.engine);
        for (String dev : List.of(DEV_A, DEV_B, DEV_C, DEV_D, NIC0, NIC1)) {
            assertEquals("probed", d.get(dev).state(), dev);
            assertEquals(ProbeState.PROBED, d.get(dev).probeState(), dev);
            assertNull(d.get(dev).reason());
            assertEquals("DMA", d.get(dev).domainType(), dev);
        }
        n = iommus(f.engine);
        assertEquals("probed", n.get(IOMMU0).state());
        assertEquals(TestIommuDriver.NAME, n.get(IOMMU1).driver());
        assertEquals("disabled", n.get(IOMMU2).state());
    }

    /**
     * A stream id is whatever the tree's iommus cell says: 0x7fffffff once made the core size a
     * table of masters by id at 2^31 entries (OutOfMemoryError at boot, found by the boot fuzz
     * target), and ids are u32 cells (4000000000 is not -294967296).
     */
    @Test
    void hugeStreamIdsAreTheDriversToRefuse() {
        for (String sid : List.of("0x7fffffff", "4000000000")) {
            String dts = new String(io.iommulab.testkit.TestBoards.testkitDts(), java.nio.charset.StandardCharsets.UTF_8)
                    .replace("iommus = <&tiommu0 0>;", "iommus = <&tiommu0 " + sid + ">;");
            io.iommulab.machine.SimMachine m = io.iommulab.machine.SimMachine.boot(
                    io.iommulab.machine.dt.DeviceTrees.parse("huge-sid.dts", dts.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    List.of(new io.iommulab.testiommu.model.TestIommuModelFactory()), Map.of());
            IommuCoreEngine e = new IommuCoreEngine(m, CoreConfig.defaults());
            e.addDriver(new TestIommuDriver());
            {
                DeviceDTO a = devices(e).get(DEV_A);
                assertEquals("failed", a.state(), sid);
                assertTrue(a.reason().contains("stream " + Long.decode(sid) + " of " + DEV_A + " is out of range"), a.reason());
            }
            assertEquals("probed", devices(e).get(DEV_B).state(), "the other masters probe");
        }
    }

    @Test
    void masterBehindDisabledIommuWorksWithoutTranslation() {
        Fixture f = Fixture.boot();
        DeviceDTO x = devices(f.engine).get(DEV_X);
        assertEquals("failed", x.state());
        assertEquals(ProbeState.FAILED, x.probeState());
        assertEquals("iommus references disabled " + IOMMU2, x.reason());
        IommuException e = assertThrows(IommuException.class, () -> f.engine.domainOf(DEV_X));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("iommus references disabled " + IOMMU2), e.getMessage());
    }

    @Test
    void groups() {
        Fixture f = Fixture.boot();
        Map<String, DeviceDTO> d = devices(f.engine);
        assertEquals(d.get(DEV_C).group(), d.get(DEV_D).group(), "aliasing stream 3: one group");
        assertEquals(d.get(NIC0).group(), d.get(NIC1).group(), "functions of one PCI device: one group");
        assertNotEquals(d.get(DEV_A).group(), d.get(DEV_B).group());
        assertNotEquals(d.get(DEV_A).group(), d.get(DEV_C).group());
        List<GroupDTO> groups = f.engine.groups();
        assertEquals(4, groups.size(), groups.toString());
        GroupDTO b = groups.stream().filter(g -> g.id() == d.get(DEV_B).group()).findFirst().orElseThrow();
        assertEquals(List.of(DEV_B), b.devices(), "dev-b spans two IOMMUs in one group");
        GroupDTO cd = groups.stream().filter(g -> g.id() == d.get(DEV_C).group()).findFirst().orElseThrow();
        assertEquals(List.of(DEV_C, DEV_D), cd.devices());
        assertEquals(cd.defaultDomain(), cd.domain());
        assertEquals(d.get(DEV_C).domain(), d.get(DEV_D).domain());
        assertEquals(4, f.engine.domains().size(), "one default domain per group");
    }

    @Test
    void pciGroupFactorySharesFunctionsOfOneDevice() {
        // a driver that asks only for pci_device_group, without sharing by stream
        TestIommuDriver base = new TestIommuDriver();
        DelegatingDriver d = new DelegatingDriver(base) {
            @Override
            public io.iommulab.api.driver.IommuGroup deviceGroup(io.iommulab.api.driver.IommuMaster dev,
                    io.iommulab.api.driver.GroupFactory groups) {
                base.deviceGroup(dev, new io.iommulab.api.driver.GroupFactory() {
                    @Override
                    public io.iommulab.api.driver.IommuGroup generic(io.iommulab.api.driver.IommuMaster m) {
                        return groups.generic(m);
                    }

                    @Override
                    public io.iommulab.api.driver.IommuGroup pci(io.iommulab.api.driver.IommuMaster m) {
                        return groups.pci(m);
                    }
                });
                return dev.isPci() ? groups.pci(dev) : groups.generic(dev);
            }
        };
        Fixture f = Fixture.boot(CoreConfig.defaults(), d);
        Map<String, DeviceDTO> devs = devices(f.engine);
        assertEquals(devs.get(NIC0).group(), devs.get(NIC1).group());
        assertNotEquals(devs.get(DEV_C).group(), devs.get(DEV_D).group(), "generic groups are per device");
    }

    @Test
    void defaultDomainTypes() {
        assertEquals("identity", devices(Fixture.boot(CoreConfig.defaults().withDefaultDomain(DomainType.IDENTITY),
                new TestIommuDriver()).engine).get(DEV_A).domainType());
        assertEquals("blocked", devices(Fixture.boot(CoreConfig.defaults().withDefaultDomain(DomainType.BLOCKED),
                new TestIommuDriver()).engine).get(DEV_A).domainType());
        assertEquals("DMA-FQ", devices(Fixture.boot(CoreConfig.defaults().withStrict(false),
                new TestIommuDriver()).engine).get(DEV_A).domainType(), "iommu.strict=0 with DEFERRED_FLUSH");
        // a driver without DEFERRED_FLUSH keeps strict DMA even when lazy is asked for
        DelegatingDriver noFq = new DelegatingDriver(new TestIommuDriver()) {
            @Override
            public boolean capable(io.iommulab.api.driver.IommuMaster dev, io.iommulab.api.driver.Capability cap) {
                return false;
            }
        };
        assertEquals("DMA", devices(Fixture.boot(CoreConfig.defaults().withDefaultDomain(DomainType.DMA_FQ), noFq)
                .engine).get(DEV_A).domainType());
        // def_domain_type wins over the configuration
        DelegatingDriver wantsIdentity = new DelegatingDriver(new TestIommuDriver()) {
            @Override
            public DomainType defDomainType(io.iommulab.api.driver.IommuMaster dev) {
                return dev.name().equals(DEV_A) ? DomainType.IDENTITY : null;
            }
        };
        Map<String, DeviceDTO> d = devices(Fixture.boot(CoreConfig.defaults(), wantsIdentity).engine);
        assertEquals("identity", d.get(DEV_A).domainType());
        assertEquals("DMA", d.get(DEV_B).domainType());
    }

    @Test
    void identityFallsBackToDmaWhenTheHardwareCannotBypass() {
        var m = Fixture.machine(Map.of("iommulab.model." + IOMMU0 + ".bypass", "false"));
        IommuCoreEngine e = new IommuCoreEngine(m, CoreConfig.defaults().withDefaultDomain(DomainType.IDENTITY));
        e.addDriver(new TestIommuDriver());
        Map<String, DeviceDTO> d = devices(e);
        assertEquals("DMA", d.get(DEV_A).domainType(), "identity attach refused with EINVAL: DMA instead");
        assertEquals("identity", d.get(NIC0).domainType(), "tiommu1 can bypass");
    }

    @Test
    void removingTheDriverDefersAgainAndReturnsEveryPage() {
        var m = Fixture.machine();
        long baseline = m.pages().pagesInUse();
        IommuCoreEngine e = new IommuCoreEngine(m, CoreConfig.defaults());
        TestIommuDriver drv = new TestIommuDriver();
        e.addDriver(drv);
        // a user domain, attached, with mappings; and one allocated but never attached
        var dom = e.domainAlloc(DEV_A, DomainType.UNMANAGED);
        e.attachGroup(dom, DEV_A);
        dom.map(0x10_0000, BUF, 0x20_0000, 3);
        var spare = e.domainAlloc(DEV_B, DomainType.UNMANAGED);
        spare.map(0x40_0000, BUF, 0x1000, 1);
        e.domainOf(DEV_C).map(0x1000, BUF, 0x1000, 1);
        assertTrue(m.pages().pagesInUse() > baseline);

        e.removeDriver(drv);
        Map<String, DeviceDTO> d = devices(e);
        assertEquals("deferred", d.get(DEV_A).state());
        assertEquals("waiting for driver for " + IOMMU0 + " (iommulab,test-iommu)", d.get(DEV_A).reason());
        assertEquals("deferred", d.get(NIC1).state());
        assertEquals("failed", d.get(DEV_X).state());
        assertTrue(e.groups().isEmpty());
        assertTrue(e.domains().isEmpty());
        assertEquals("deferred", iommus(e).get(IOMMU0).state());
        assertEquals(baseline, m.pages().pagesInUse(), "page tables of every domain went back");
        IommuException gone = assertThrows(IommuException.class, () -> spare.map(0x80_0000, BUF, 0x1000, 1));
        assertEquals(Errno.ENODEV, gone.errno());

        // and back: everything probes again
        e.addDriver(new TestIommuDriver());
        assertEquals("probed", devices(e).get(DEV_A).state());
        assertEquals(4, e.groups().size());
    }

    @Test
    void specifiersOfTwoDriversFailWithEinval() {
        // driver A refuses tiommu1, so driver B binds it; dev-b names both
        TestIommuDriver a = new TestIommuDriver();
        DelegatingDriver onlyFirst = new DelegatingDriver(a) {
            @Override
            public String name() {
                return "test-iommu-a";
            }

            @Override
            public io.iommulab.api.driver.IommuDevice probe(io.iommulab.api.driver.PlatformDevice pdev) {
                if (pdev.name().equals(IOMMU1)) {
                    throw new IommuException(Errno.ENODEV, pdev.name() + ": not mine");
                }
                return a.probe(pdev);
            }
        };
        Fixture f = Fixture.boot(CoreConfig.defaults(), onlyFirst);
        assertEquals("failed", iommus(f.engine).get(IOMMU1).state());
        assertEquals("test-iommu-a: ENODEV: " + IOMMU1 + ": not mine", iommus(f.engine).get(IOMMU1).reason());
        assertEquals("deferred", devices(f.engine).get(DEV_B).state());
        assertTrue(devices(f.engine).get(DEV_B).reason().contains("probe failed"));

        f.engine.addDriver(new TestIommuDriver());
        assertEquals("probed", iommus(f.engine).get(IOMMU1).state());
        DeviceDTO b = devices(f.engine).get(DEV_B);
        assertEquals("failed", b.state());
        assertTrue(b.reason().startsWith("EINVAL: specifiers name IOMMUs bound to different drivers"), b.reason());
        assertTrue(b.reason().contains(IOMMU0 + " (test-iommu-a)") && b.reason().contains(IOMMU1 + " (test-iommu)"),
                b.reason());
        assertEquals("probed", devices(f.engine).get(DEV_A).state());
        assertEquals("probed", devices(f.engine).get(NIC0).state());
    }

    @Test
    void deviceNames() {
        Fixture f = Fixture.boot();
        assertEquals(f.engine.domainOf(DEV_A), f.engine.domainOf("dev-a@200000000"));
        assertEquals(NIC1, f.engine.canonicalName("nic@0,1"));
        IommuException e = assertThrows(IommuException.class, () -> f.engine.domainOf("foo"));
        assertEquals(Errno.ENODEV, e.errno());
        assertEquals("ENODEV: no DMA master named 'foo'", e.getMessage());
    }

    @Test
    void probeTraceAndGroupIds() {
        Fixture f = Fixture.boot();
        List<String> texts = f.engine.trace().stream().filter(t -> t.event().equals("add_device_to_group"))
                .map(t -> t.text()).collect(Collectors.toList());
        int ga = devices(f.engine).get(DEV_A).group();
        assertTrue(texts.contains("IOMMU: groupID=" + ga + " device=" + DEV_A), texts.toString());
        assertTrue(f.engine.trace().stream().anyMatch(t -> t.event().equals("attach_device_to_domain")
                && t.text().equals("IOMMU: device=" + DEV_D)));
    }

    @Test
    void groupDataIsReleasedOnceWhenTheLastDeviceLeaves() {
        java.util.List<String> released = new java.util.concurrent.CopyOnWriteArrayList<>();
        IommuDriver driver = new DelegatingDriver(new TestIommuDriver()) {
            @Override
            public IommuGroup deviceGroup(IommuMaster dev, GroupFactory groups) {
                IommuGroup g = base.deviceGroup(dev, groups);
                if (g.iommuData() == null) {
                    g.setIommuData("streams of group " + g.id(), () -> released.add("group " + g.id()));
                }
                return g;
            }
        };
        Fixture f = Fixture.boot(CoreConfig.defaults(), driver);
        Map<String, DeviceDTO> d = devices(f.engine);
        int cd = d.get(DEV_C).group();
        assertEquals(d.get(DEV_D).group(), cd);
        assertEquals(List.of(), released, "nothing released while groups have devices");
        f.engine.removeDriver(driver);
        assertEquals(4, released.size(), "each of the 4 groups released exactly once: " + released);
        assertTrue(released.contains("group " + cd), released.toString());
        assertEquals(4, new java.util.HashSet<>(released).size(), released.toString());
    }
}
