package io.iommulab.machine.power;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.machine.dt.DeviceTrees;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The genpd rules (see {@link PowerDomains}) on a small PMGR of our own. */
class PowerDomainsTest {

    private static final String PMGR = "/soc/power-management@23b700000/";
    private static final String TOP = PMGR + "power-controller@100";
    private static final String SIDE = PMGR + "power-controller@108";
    private static final String DEV = PMGR + "power-controller@110";
    private static final String AON = PMGR + "power-controller@118";
    private static final String BRIDGE = PMGR + "power-controller@120";
    private static final String GONE = PMGR + "power-controller@128";
    private static final String HALF = PMGR + "power-controller@130";

    /** A PMGR with: a domain with two parents, an always-on domain under a non-always-on parent, a disabled one. */
    private static final String BOARD = """
            /dts-v1/;
            / {
                #address-cells = <2>; #size-cells = <2>;
                soc {
                    compatible = "simple-bus"; #address-cells = <2>; #size-cells = <2>; ranges;
                    power-management@23b700000 {
                        compatible = "apple,t8103-pmgr", "apple,pmgr", "syscon", "simple-mfd";
                        reg = <0x2 0x3b700000 0x0 0x14000>;
                        #address-cells = <1>; #size-cells = <1>;
                        ps_top: power-controller@100 { reg = <0x100 4>; #power-domain-cells = <0>; label = "top"; };
                        ps_side: power-controller@108 { reg = <0x108 4>; #power-domain-cells = <0>; label = "side"; };
                        ps_dev: power-controller@110 { reg = <0x110 4>; #power-domain-cells = <0>; label = "dev";
                            power-domains = <&ps_top>, <&ps_side>; };
                        ps_aon: power-controller@118 { reg = <0x118 4>; #power-domain-cells = <0>; label = "aon";
                            power-domains = <&ps_top>; apple,always-on; };
                        ps_bridge: power-controller@120 { reg = <0x120 4>; #power-domain-cells = <0>; label = "bridge"; };
                        ps_gone: power-controller@128 { reg = <0x128 4>; #power-domain-cells = <0>; status = "disabled"; };
                        ps_half: power-controller@130 { reg = <0x130 4>; #power-domain-cells = <0>; power-domains = <&ps_gone>; };
                    };
                    dev@1000 { reg = <0x0 0x1000 0x0 0x100>; power-domains = <&ps_dev>; };
                    other@2000 { reg = <0x0 0x2000 0x0 0x100>; power-domains = <&ps_side>; };
                    pcie@3000 {
                        reg = <0x0 0x3000 0x0 0x100>; device_type = "pci"; power-domains = <&ps_bridge>;
                        #address-cells = <3>; #size-cells = <2>;
                        pci@0,0 { reg = <0x0 0x0 0x0 0x0 0x0>; #address-cells = <3>; #size-cells = <2>;
                            wifi@0,0 { reg = <0x10000 0x0 0x0 0x0 0x0>; }; };
                    };
                    broken@4000 { reg = <0x0 0x4000 0x0 0x100>; power-domains = <&ps_half>; };
                };
            };
            """;

    private final DeviceTree tree = tree(BOARD);
    private final PowerDomains power = new PowerDomains(tree);

    private static DeviceTree tree(String dts) {
        return DeviceTrees.parse("power-test", dts.getBytes(StandardCharsets.UTF_8));
    }

    private DtNode node(String path) {
        return tree.node(path).orElseThrow();
    }

    private boolean on(String path) {
        return power.byPath(path).isOn();
    }

    @Test
    void anAlwaysOnDomainIsOnFromBootWithItsParent() {
        assertTrue(on(AON));
        assertTrue(on(TOP), "the always-on domain keeps its parent on");
        assertEquals(List.of("subdomain " + AON + " is on"), power.reasons(power.byPath(TOP)));
        assertEquals(List.of("always-on"), power.reasons(power.byPath(AON)));
        assertFalse(on(SIDE));
        assertFalse(on(DEV));
        assertEquals(List.of(), power.violations());
    }

    @Test
    void attachPowersEveryParentFirstAndDetachSwitchesOffWhatNothingNeeds() {
        power.attach(node("/soc/dev@1000"));
        assertTrue(on(DEV) && on(TOP) && on(SIDE));
        assertEquals(List.of(TOP, PMGR + "power-controller@108", DEV),
                power.chain(node("/soc/dev@1000")).stream().map(PowerDomain::path).filter(p -> !p.equals(AON)).toList(),
                "parents before the domain");
        assertEquals(List.of("device /soc/dev@1000"), power.reasons(power.byPath(DEV)));
        assertTrue(power.reasons(power.byPath(SIDE)).contains("subdomain " + DEV + " is on"));
        power.attach(node("/soc/other@2000"));
        power.detach("/soc/dev@1000");
        assertFalse(on(DEV), "nothing needs it any more");
        assertTrue(on(SIDE), "still held by other@2000");
        assertTrue(on(TOP), "still needed by the always-on domain");
        power.detach("/soc/other@2000");
        assertFalse(on(SIDE));
        assertTrue(on(TOP));
        power.detach("/soc/other@2000"); // not attached: nothing
        assertEquals(List.of(), power.violations());
    }

    @Test
    void everyAttachNeedsItsDetach() {
        // two cores on one machine for a moment (a component restarting) each attach the device
        power.attach(node("/soc/dev@1000"));
        power.attach(node("/soc/dev@1000"));
        power.detach("/soc/dev@1000");
        assertTrue(on(DEV), "the other attach still holds it");
        power.detach("/soc/dev@1000");
        assertFalse(on(DEV));
    }

    @Test
    void nothingSwitchesADomainOffUnderABoundDevice() {
        power.attach(node("/soc/dev@1000"));
        IommuException e = assertThrows(IommuException.class, () -> power.switchOff(SIDE));
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(e.getMessage().contains("subdomain " + DEV + " is on"), e.getMessage());
        e = assertThrows(IommuException.class, () -> power.switchOff(DEV));
        assertTrue(e.getMessage().contains("device /soc/dev@1000"), e.getMessage());
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> power.switchOff(AON)).errno());
        assertTrue(on(DEV) && on(SIDE), "a refused switch changes nothing");
        assertEquals(Errno.ENODEV, assertThrows(IommuException.class, () -> power.switchOff("/soc/dev@1000")).errno());
    }

    @Test
    void byHandOnAndOff() {
        power.switchOn(power.byPath(DEV));
        assertTrue(on(DEV) && on(SIDE));
        assertEquals(List.of("switched on by hand"), power.reasons(power.byPath(DEV)));
        power.switchOff(DEV);
        assertFalse(on(DEV));
        assertFalse(on(SIDE));
        assertEquals(List.of(), power.violations());
    }

    @Test
    void aPciFunctionNeedsItsHostBridgesDomain() {
        DtNode wifi = node("/soc/pcie@3000/pci@0,0/wifi@0,0");
        PowerGate gate = power.gate(wifi);
        assertFalse(gate.isPowered());
        assertEquals(BRIDGE, gate.firstOff().path());
        power.attach(wifi);
        assertTrue(power.isPowered(wifi));
        assertTrue(on(BRIDGE));
        power.detach(wifi.path());
        assertFalse(on(BRIDGE));
    }

    @Test
    void aDisabledDomainDefersItsDevicesAndPowersNothing() {
        IommuException e = assertThrows(IommuException.class, () -> power.attach(node("/soc/broken@4000")));
        assertEquals(Errno.EPROBE_DEFER, e.errno());
        assertTrue(e.getMessage().contains(GONE + " is disabled"), e.getMessage());
        assertFalse(on(HALF));
        assertEquals(List.of(), power.holders().stream().toList());
    }

    @Test
    void everyProviderIsListedWithItsParents() {
        List<String> names = new ArrayList<>();
        for (PowerDomain d : power.all()) {
            names.add(d.label().isEmpty() ? d.path() : d.label());
        }
        assertEquals(List.of("top", "side", "dev", "aon", "bridge", GONE, HALF), names);
        assertEquals(List.of(TOP, SIDE), power.byPath(DEV).parents().stream().map(PowerDomain::path).toList());
    }

    @Test
    void aCycleOfParentsIsRefused() {
        String dts = """
                /dts-v1/;
                / { pmgr { a: pc@1 { #power-domain-cells = <0>; power-domains = <&b>; };
                           b: pc@2 { #power-domain-cells = <0>; power-domains = <&c>; };
                           c: pc@3 { #power-domain-cells = <0>; power-domains = <&a>; }; }; };
                """;
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> new PowerDomains(tree(dts)));
        assertTrue(e.getMessage().contains("power-domains: expected a hierarchy of domains, found a cycle"), e.getMessage());
        assertTrue(e.getMessage().contains("/pmgr/pc@1 -> /pmgr/pc@2 -> /pmgr/pc@3 -> /pmgr/pc@1"), e.getMessage());
    }

    /**
     * Every domain of a 48-level hierarchy has the same two parents (as ps_gpio has ps_sio and
     * ps_pms): 2^48 paths. Asking whether an always-on domain or an attached device needs a
     * disabled domain walked each path; it visits each domain once now.
     */
    @Test
    void sharedParentsAreWalkedOnce() {
        StringBuilder dts = new StringBuilder("/dts-v1/;\n/ { pmgr {\n");
        int levels = 48;
        for (int i = 0; i < levels; i++) {
            for (int j = 0; j < 2; j++) {
                String parents = i + 1 < levels ? String.format("power-domains = <&p%d_%d>, <&p%d_%d>;", i + 1, 0, i + 1, 1) : "";
                String aon = i == 0 && j == 1 ? "apple,always-on;" : "";
                dts.append(String.format("p%d_%d: pc@%d_%d { #power-domain-cells = <0>; %s %s };%n", i, j, i, j, parents, aon));
            }
        }
        dts.append("}; dev { power-domains = <&p0_0>; }; };\n");
        DeviceTree t = tree(dts.toString());
        PowerDomains p = new PowerDomains(t);
        assertTrue(p.byPath("/pmgr/pc@47_0").isOn(), "the always-on domain keeps every ancestor on");
        p.attach(t.node("/dev").orElseThrow());
        assertTrue(p.byPath("/pmgr/pc@0_0").isOn());
    }

    /**
     * A chain of domains as long as a tree may have nodes: powering it on from the bottom and off
     * again walked it by recursion, and a board of 15,000 chained domains ended in a bare
     * StackOverflowError.
     */
    @Test
    void aChainAsLongAsATreeMayBeIsWalkedWithoutRecursion() {
        int n = 15_000;
        StringBuilder dts = new StringBuilder("/dts-v1/;\n/ { pmgr {\n");
        for (int i = 0; i < n; i++) {
            String parent = i + 1 < n ? String.format("power-domains = <&p%d>;", i + 1) : "";
            dts.append(String.format("p%d: pc@%d { #power-domain-cells = <0>; %s };%n", i, i, parent));
        }
        dts.append("}; dev { power-domains = <&p0>; }; };\n");
        DeviceTree t = tree(dts.toString());
        PowerDomains p = new PowerDomains(t);
        DtNode dev = t.node("/dev").orElseThrow();
        assertEquals(n, p.chain(dev).size());
        p.attach(dev);
        assertTrue(p.byPath("/pmgr/pc@" + (n - 1)).isOn(), "the top of the chain is on under the device");
        assertEquals(List.of(), p.violations());
        p.detach(dev.path());
        assertFalse(p.byPath("/pmgr/pc@" + (n - 1)).isOn(), "and off once the device let go");
    }

    /** A 0 entry fails the device's genpd attach (ENOENT) in Linux; here it was skipped, the device unpowered. */
    @Test
    void anEmptyEntryIsRefused() {
        DeviceTreeException e = assertThrows(DeviceTreeException.class,
                () -> new PowerDomains(tree("/dts-v1/;\n/ { pc: pc { #power-domain-cells = <0>; }; dev { power-domains = <&pc>, <0>; }; };\n")));
        assertTrue(e.getMessage().contains("(/dev): power-domains entry 1: expected a phandle, found 0 (an empty entry)"), e.getMessage());
    }

    @Test
    void aDanglingReferenceIsRefusedNamingNodeAndProperty() {
        String dts = """
                /dts-v1/;
                / { dev { power-domains = <0x77>; }; };
                """;
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> new PowerDomains(tree(dts)));
        assertTrue(e.getMessage().contains("/dev"), e.getMessage());
        assertTrue(e.getMessage().contains("power-domains"), e.getMessage());
    }

    @Test
    void aProviderWithCellsGivesOneDomainPerIndex() {
        String dts = """
                /dts-v1/;
                / { pc: power-controller { #power-domain-cells = <1>; };
                    a { power-domains = <&pc 1>; };
                    b { power-domains = <&pc 2>; }; };
                """;
        DeviceTree t = tree(dts);
        PowerDomains p = new PowerDomains(t);
        assertEquals(List.of("/power-controller[1]", "/power-controller[2]"), p.all().stream().map(PowerDomain::path).toList());
        p.attach(t.node("/a").orElseThrow());
        assertTrue(p.byPath("/power-controller[1]").isOn());
        assertFalse(p.byPath("/power-controller[2]").isOn());
    }
}
