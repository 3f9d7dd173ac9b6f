package io.iommulab.machine.dt;

import static io.iommulab.machine.dt.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.DeviceTreeException;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class DtBindingsTest {
    private static final DeviceTree T = Fixtures.dts("""
            /dts-v1/;
            / {
            	#address-cells = <2>;
            	#size-cells = <2>;
            	interrupt-parent = <&ic>;

            	memory@800000000 { device_type = "memory"; reg = <0x8 0x0 0x1 0x0>, <0x9 0x0 0x0 0x1000>; };
            	memory@a00000000 { device_type = "memory"; reg = <0xa 0x0 0x1 0x0>; status = "disabled"; };

            	ic: intc@1000 { #interrupt-cells = <3>; interrupt-controller; reg = <0x0 0x1000 0x0 0x100>; };
            	ic2: intc@2000 { #interrupt-cells = <1>; interrupt-controller; reg = <0x0 0x2000 0x0 0x100>; };

            	p0: prov0 { #foo-cells = <0>; #power-domain-cells = <0>; };
            	p1: prov1 { #foo-cells = <1>; #iommu-cells = <1>; #power-domain-cells = <1>; };
            	p2: prov2 { #foo-cells = <2>; #iommu-cells = <2>; };
            	nocells: prov3 { };

            	bus {
            		deep {
            			dev { interrupts = <0 10 4>, <0 11 4>; };
            		};
            		other {
            			interrupt-parent = <&ic2>;
            			dev { interrupts = <5 6>; };
            		};
            		ext { interrupts-extended = <&ic 0 1 4>, <0>, <&ic2 9>; interrupts = <99>; };
            		ext-dangling { interrupts-extended = <&ic 0 1 4>, <0x77 1>; };
            		bad-irq { interrupts = <1 2>; };
            	};

            	consumer {
            		foos = <&p0>, <&p2 7 8>, <0>, <&p1 3>;
            		short = <&p2 7>;
            		dangling = <&p1 1>, <0x77 1>;
            		nocells = <&nocells 1>;
            		iommus = <&p1 4>, <&p2 5 6>;
            		power-domains = <&p0>, <&p1 2>;
            	};
            	empty-iommu { iommus = <&p1 4>, <0>, <&p1 5>; };

            	rc-mask {
            		iommu-map = <0x100 &p1 1 1>, <0x200 &p1 0x10 0x100>;
            		iommu-map-mask = <0xff00>;
            	};
            	rc-nomask { iommu-map = <0x0 &p1 0x20 0x10>; };
            	rc-badlen { iommu-map = <0x0 &p1 0x20>; };
            	rc-badbase { iommu-map = <0x101 &p1 0 1>; iommu-map-mask = <0xff00>; };
            	rc-twocells { iommu-map = <0x0 &p2 0 1>; };
            	rc-dangling { iommu-map = <0x0 0x99 0 1>; };
            	rc-none { };
            	pci-fn { reg = <0x03ff00 0x0 0x0 0x0 0x0>; };
            	pci-noreg { };
            };
            """);

    private static DtNode n(String path) {
        return node(T, path);
    }

    private static DtNode l(String label) {
        return T.byLabel(label).orElseThrow();
    }

    private static DeviceTreeException fails(org.junit.jupiter.api.function.Executable e, String where, String message) {
        DeviceTreeException ex = assertThrows(DeviceTreeException.class, e);
        assertEquals(where, ex.where(), ex.getMessage());
        assertTrue(ex.getMessage().contains(message), "message was: " + ex.getMessage());
        return ex;
    }

    @Test
    void phandleArgsUseEachProvidersCellCount() {
        List<int[]> e = DtBindings.phandleArgs(T, n("/consumer"), "foos", "#foo-cells");
        assertEquals(3, e.size(), "the <0> entry is empty and skipped");
        assertArrayEquals(new int[] {l("p0").phandle()}, e.get(0));
        assertArrayEquals(new int[] {l("p2").phandle(), 7, 8}, e.get(1));
        assertArrayEquals(new int[] {l("p1").phandle(), 3}, e.get(2));
        assertEquals(List.of(), DtBindings.phandleArgs(T, n("/consumer"), "absent", "#foo-cells"));
    }

    @Test
    void phandleArgsErrors() {
        fails(() -> DtBindings.phandleArgs(T, n("/consumer"), "short", "#foo-cells"), "/consumer",
                "#foo-cells mismatch: short entry 0 expected 2 argument cell(s) for /prov2 (#foo-cells = <2>), found 1 of 2 cells left");
        fails(() -> DtBindings.phandleArgs(T, n("/consumer"), "dangling", "#foo-cells"), "/consumer",
                "dangling entry 1 references phandle 0x77 which no node has");
        fails(() -> DtBindings.phandleArgs(T, n("/consumer"), "nocells", "#foo-cells"), "/consumer",
                "nocells entry 0: expected provider /prov3 to have #foo-cells, found none");
    }

    @Test
    void iommus() {
        List<IommuSpec> s = DtBindings.iommus(T, n("/consumer"));
        assertEquals(List.of(new IommuSpec(l("p1"), new int[] {4}), new IommuSpec(l("p2"), new int[] {5, 6})), s);
        assertEquals(4, s.get(0).sid());
        assertEquals(List.of(), DtBindings.iommus(T, n("/rc-none")));
    }

    @Test
    void anEmptyIommusEntryIsRefusedNotSkipped() {
        // Skipped, the master would lose a stream and run it untranslated without a word.
        fails(() -> DtBindings.iommus(T, n("/empty-iommu")), "/empty-iommu", "iommus entry 1: expected a phandle, found 0 (an empty entry)");
        assertEquals(2, DtBindings.phandleArgs(T, n("/empty-iommu"), "iommus", "#iommu-cells").size(),
                "as a plain phandle list the <0> entry is empty and skipped");
    }

    @Test
    void iommuMapWithMask() {
        DtNode rc = n("/rc-mask");
        assertEquals(Optional.of(new IommuSpec(l("p1"), new int[] {1})), DtBindings.mapRid(T, rc, 0x100));
        assertEquals(Optional.of(new IommuSpec(l("p1"), new int[] {1})), DtBindings.mapRid(T, rc, 0x1ff));
        assertEquals(Optional.of(new IommuSpec(l("p1"), new int[] {0x10})), DtBindings.mapRid(T, rc, 0x2a3));
        assertEquals(Optional.empty(), DtBindings.mapRid(T, rc, 0x300));
        assertEquals(Optional.empty(), DtBindings.mapRid(T, rc, 0x0008));
    }

    @Test
    void iommuMapWithoutMaskUsesTheWholeRid() {
        DtNode rc = n("/rc-nomask");
        assertEquals(Optional.of(new IommuSpec(l("p1"), new int[] {0x25})), DtBindings.mapRid(T, rc, 0x5));
        assertEquals(Optional.empty(), DtBindings.mapRid(T, rc, 0x10));
        assertEquals(Optional.empty(), DtBindings.mapRid(T, n("/rc-none"), 0x0));
    }

    @Test
    void iommuMapErrors() {
        fails(() -> DtBindings.mapRid(T, n("/rc-badlen"), 0), "/rc-badlen",
                "iommu-map: expected entries of 4 cells <rid-base &iommu iommu-base length>, found 3 cells");
        fails(() -> DtBindings.mapRid(T, n("/rc-badbase"), 0x100), "/rc-badbase",
                "iommu-map entry 0: expected rid-base inside iommu-map-mask 0xff00, found 0x101");
        fails(() -> DtBindings.mapRid(T, n("/rc-twocells"), 0), "/rc-twocells",
                "iommu-map entry 0: expected /prov2 to have #iommu-cells = <1>, found <2>");
        fails(() -> DtBindings.mapRid(T, n("/rc-dangling"), 0), "/rc-dangling",
                "iommu-map entry 0 references phandle 0x99 which no node has");
    }

    @Test
    void pciRequesterId() {
        assertEquals(0x3ff, DtBindings.pciRequesterId(n("/pci-fn")));
        fails(() -> DtBindings.pciRequesterId(n("/pci-noreg")), "/pci-noreg",
                "reg: expected a PCI address <phys.hi phys.mid phys.lo size.hi size.lo>, found none");
    }

    @Test
    void interruptParentIsInheritedFromAncestors() {
        List<IrqSpec> irqs = DtBindings.interrupts(T, n("/bus/deep/dev"));
        assertEquals(List.of(new IrqSpec(l("ic"), new int[] {0, 10, 4}), new IrqSpec(l("ic"), new int[] {0, 11, 4})), irqs);
        assertEquals(List.of(new IrqSpec(l("ic2"), new int[] {5}), new IrqSpec(l("ic2"), new int[] {6})),
                DtBindings.interrupts(T, n("/bus/other/dev")));
        assertEquals(l("ic2"), DtBindings.interruptParent(T, n("/bus/other/dev")));
        assertEquals(List.of(), DtBindings.interrupts(T, n("/bus")));
    }

    @Test
    void interruptsExtendedWinsAndSkipsEmptyEntries() {
        assertEquals(List.of(new IrqSpec(l("ic"), new int[] {0, 1, 4}), new IrqSpec(l("ic2"), new int[] {9})),
                DtBindings.interrupts(T, n("/bus/ext")));
        // the entries keep Linux's index, the empty one counted
        List<DtBindings.IrqEntry> e = DtBindings.interruptEntries(T, n("/bus/ext"));
        assertEquals(List.of(0, 2), e.stream().map(DtBindings.IrqEntry::index).toList());
        assertEquals(List.of("interrupts-extended", "interrupts-extended"), e.stream().map(DtBindings.IrqEntry::property).toList());
        assertEquals(List.of(0, 1), DtBindings.interruptEntries(T, n("/bus/deep/dev")).stream().map(DtBindings.IrqEntry::index).toList());
        fails(() -> DtBindings.interrupts(T, n("/bus/ext-dangling")), "/bus/ext-dangling",
                "interrupts-extended entry 1 references phandle 0x77 which no node has");
    }

    @Test
    void interruptCellMismatch() {
        fails(() -> DtBindings.interrupts(T, n("/bus/bad-irq")), "/bus/bad-irq",
                "interrupts: #interrupt-cells mismatch: expected a multiple of 3 cells (#interrupt-cells of /intc@1000), found 2");
    }

    @Test
    void noInterruptParent() {
        DeviceTree t = Fixtures.dts("/ { dev { interrupts = <1>; }; };");
        DeviceTreeException e = assertThrows(DeviceTreeException.class,
                () -> DtBindings.interrupts(t, t.node("/dev").orElseThrow()));
        assertTrue(e.getMessage().contains("expected an interrupt-parent with #interrupt-cells"), e.getMessage());
    }

    @Test
    void powerDomains() {
        assertEquals(List.of(l("p0"), l("p1")), DtBindings.powerDomains(T, n("/consumer")));
        assertEquals(List.of(), DtBindings.powerDomains(T, n("/bus")));
    }

    @Test
    void memorySkipsDisabledNodes() {
        assertEquals(List.of(new RegRange(0x8_0000_0000L, 0x1_0000_0000L), new RegRange(0x9_0000_0000L, 0x1000)),
                DtBindings.memory(T));
    }

    @Test
    void compatibleNodes() {
        DeviceTree t = Fixtures.dts("/ { a { compatible = \"x,y\", \"x,z\"; }; b { compatible = \"x,z\"; }; };");
        assertEquals(List.of("/a", "/b"), DtBindings.compatibleNodes(t, "x,z").stream().map(DtNode::path).toList());
        assertEquals(List.of("/a"), DtBindings.compatibleNodes(t, "x,y").stream().map(DtNode::path).toList());
    }
}
