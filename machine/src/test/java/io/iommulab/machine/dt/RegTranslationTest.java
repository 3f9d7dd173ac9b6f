package io.iommulab.machine.dt;

import static io.iommulab.machine.dt.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.DeviceTreeException;

import java.util.List;

import org.junit.jupiter.api.Test;

class RegTranslationTest {
    private static final DeviceTree T = Fixtures.dts("""
            /dts-v1/;
            / {
            	#address-cells = <2>;
            	#size-cells = <2>;

            	soc {
            		compatible = "simple-bus";
            		#address-cells = <2>;
            		#size-cells = <2>;
            		ranges;

            		dev@23b100000 {
            			reg = <0x2 0x3b100000 0x0 0x8000>, <0x2 0x3b200000 0x0 0x10>;
            		};

            		bus@100000000 {
            			compatible = "simple-bus";
            			#address-cells = <1>;
            			#size-cells = <1>;
            			ranges = <0x0 0x1 0x0 0x100000>, <0x200000 0x1 0x800000 0x1000>;

            			a@1000 { reg = <0x1000 0x100>; };
            			b@200010 { reg = <0x200010 0x10>; };
            			outside@300000 { reg = <0x300000 0x10>; };

            			inner {
            				#address-cells = <1>;
            				#size-cells = <0>;
            				ranges;
            				reg-only@40 { reg = <0x40>; };
            			};
            		};

            		noranges@5000 {
            			#address-cells = <1>;
            			#size-cells = <1>;
            			child@40 { reg = <0x40 4>; };
            		};

            		pcie@690000000 {
            			device_type = "pci";
            			#address-cells = <3>;
            			#size-cells = <2>;
            			reg = <0x6 0x90000000 0x0 0x1000000>;
            			ranges = <0x43000000 0x6 0xa0000000 0x6 0xa0000000 0x0 0x20000000>,
            				 <0x02000000 0x0 0xc0000000 0x6 0xc0000000 0x0 0x40000000>;
            			pci@0,0 {
            				device_type = "pci";
            				reg = <0x0 0x0 0x0 0x0 0x0>;
            				#address-cells = <3>;
            				#size-cells = <2>;
            				ranges;
            				nic@0,0 {
            					reg = <0x10000 0x0 0x0 0x0 0x0>,
            					      <0x02010010 0x0 0xc0001000 0x0 0x1000>,
            					      <0x43010018 0x6 0xa0000000 0x0 0x100000>;
            				};
            				io@0,1 { reg = <0x01010110 0x0 0x1000 0x0 0x100>; };
            			};
            		};
            	};

            	defaults {
            		ranges;
            		child { reg = <0x0 0x1000 0x20>; };
            	};

            	narrow {
            		#address-cells = <1>;
            		#size-cells = <1>;
            		ranges = <0x0 0xffffffff 0xfffff000 0x10000>;
            		wraps@2000 { reg = <0x2000 0x10>; };
            		fits@800 { reg = <0x800 0x10>; };
            		wide {
            			#address-cells = <2>;
            			#size-cells = <1>;
            			ranges;
            			high@100000000 { reg = <0x1 0x0 0x10>; };
            		};
            	};

            	big-size {
            		#address-cells = <1>;
            		#size-cells = <3>;
            		ranges = <0x0 0x0 0x0 0x0 0x0 0x1000>;
            		huge@0 { reg = <0x0 0x1 0x0 0x0>; };
            	};

            	bad {
            		#address-cells = <1>;
            		#size-cells = <1>;
            		odd { reg = <1 2 3>; };
            		bytes { reg = [00 01]; };
            	};

            	parent-off {
            		status = "disabled";
            		kid { status = "okay"; };
            	};
            	ok-node { status = "ok"; };
            	fail-node { status = "fail"; };
            };
            """);

    private static List<RegRange> reg(String path) {
        return node(T, path).reg();
    }

    @Test
    void emptyRangesIsIdentity() {
        assertEquals(List.of(new RegRange(0x2_3b10_0000L, 0x8000), new RegRange(0x2_3b20_0000L, 0x10)),
                reg("/soc/dev@23b100000"));
    }

    @Test
    void rangesTranslateThroughEachLevel() {
        assertEquals(List.of(new RegRange(0x1_0000_1000L, 0x100)), reg("/soc/bus@100000000/a@1000"));
        assertEquals(List.of(new RegRange(0x1_0080_0010L, 0x10)), reg("/soc/bus@100000000/b@200010"));
        // #size-cells 0 below an identity level, then through the bus ranges
        assertEquals(List.of(new RegRange(0x1_0000_0040L, 0)), reg("/soc/bus@100000000/inner/reg-only@40"));
    }

    @Test
    void addressOutsideEveryRangeIsReported() {
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> reg("/soc/bus@100000000/outside@300000"));
        assertEquals("/soc/bus@100000000/outside@300000", e.where());
        assertTrue(e.getMessage().contains(
                "reg entry 0: expected an address inside a ranges entry of /soc/bus@100000000, found 0x300000"), e.getMessage());
    }

    @Test
    void absentRangesEndsTranslation() {
        // Linux's of_translate_address does not cross a bus without ranges: the child's reg is an
        // offset only the bus's driver understands, not MMIO at 0x40.
        DtNode child = node(T, "/soc/noranges@5000/child@40");
        assertFalse(((Node) child).hasCpuAddress());
        DeviceTreeException e = assertThrows(DeviceTreeException.class, child::reg);
        assertEquals("/soc/noranges@5000/child@40", e.where());
        assertTrue(e.getMessage().contains(
                "reg: expected a CPU address, found none: /soc/noranges@5000 has no ranges"), e.getMessage());
        assertTrue(((Node) node(T, "/soc/noranges@5000")).hasCpuAddress(), "the bus itself sits on a bus with ranges");
        assertTrue(((Node) node(T, "/soc/bus@100000000/inner/reg-only@40")).hasCpuAddress());
        assertFalse(((Node) T.root()).hasCpuAddress(), "the root has no parent bus");
    }

    @Test
    void translationThatWrapsTheParentsAddressSpaceIsReported() {
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> reg("/narrow/wraps@2000"));
        assertEquals("/narrow/wraps@2000", e.where());
        assertTrue(e.getMessage().contains("reg entry 0: expected an address that fits the 2-cell address space of /, found offset 0x2000"
                + " into ranges entry 0 of /narrow, which wraps it"), e.getMessage());
        assertEquals(List.of(new RegRange(0xffff_ffff_ffff_f800L, 0x10)), reg("/narrow/fits@800"));
        e = assertThrows(DeviceTreeException.class, () -> reg("/narrow/wide/high@100000000"));
        assertTrue(e.getMessage().contains("reg entry 0: expected an address that fits the 1-cell address space of /narrow"
                + " (1:1 ranges of /narrow/wide), found 0x100000000"), e.getMessage());
        e = assertThrows(DeviceTreeException.class, () -> reg("/big-size/huge@0"));
        assertTrue(e.getMessage().contains("reg entry 0: expected a size below 2^64, found 3 size cells with high bits set"), e.getMessage());
    }

    @Test
    void defaultCellsAreTwoAndOne() {
        assertEquals(List.of(new RegRange(0x1000, 0x20)), reg("/defaults/child"));
    }

    @Test
    void pciAddressesUseSpaceCodeAndSkipConfigSpace() {
        assertEquals(List.of(new RegRange(0x6_9000_0000L, 0x1000000)), reg("/soc/pcie@690000000"));
        assertEquals(List.of(), reg("/soc/pcie@690000000/pci@0,0"));
        assertEquals(List.of(new RegRange(0x6_c000_1000L, 0x1000), new RegRange(0x6_a000_0000L, 0x100000)),
                reg("/soc/pcie@690000000/pci@0,0/nic@0,0"));
        // I/O space (code 1) has no ranges entry on this host
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> reg("/soc/pcie@690000000/pci@0,0/io@0,1"));
        assertTrue(e.getMessage().contains("expected an address inside a ranges entry of /soc/pcie@690000000"), e.getMessage());
    }

    @Test
    void malformedReg() {
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> reg("/bad/odd"));
        assertEquals("/bad/odd", e.where());
        assertTrue(e.getMessage().contains("reg: expected a multiple of 2 cells (#address-cells 1 + #size-cells 1 of /bad), found 3"),
                e.getMessage());
        e = assertThrows(DeviceTreeException.class, () -> reg("/bad/bytes"));
        assertTrue(e.getMessage().contains("reg: expected a whole number of 32-bit cells, found 2 bytes"), e.getMessage());
    }

    @Test
    void availabilityFollowsAncestors() {
        assertFalse(node(T, "/parent-off").isAvailable());
        assertFalse(node(T, "/parent-off/kid").isAvailable());
        assertTrue(node(T, "/ok-node").isAvailable());
        assertFalse(node(T, "/fail-node").isAvailable());
        assertTrue(node(T, "/soc/dev@23b100000").isAvailable());
    }

    @Test
    void lookups() {
        assertEquals("/", T.root().path());
        assertEquals("", T.root().name());
        assertTrue(T.root().parent().isEmpty());
        assertEquals(T.node("/soc"), node(T, "/soc/dev@23b100000").parent());
        assertTrue(T.node("/soc/nothing").isEmpty());
        assertTrue(T.byPhandle(0).isEmpty());
        assertEquals(T.allNodes().size(), T.allNodes().stream().map(n -> n.path()).distinct().count());
        assertEquals("/soc/bus@100000000/a@1000", T.allNodes().get(4).path());
    }
}
