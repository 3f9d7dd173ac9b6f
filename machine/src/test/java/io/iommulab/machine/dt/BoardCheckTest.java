package io.iommulab.machine.dt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.DeviceTreeException;

import org.junit.jupiter.api.Test;

/**
 * Every refusal of {@link BoardCheck} names the source, the node and the property (with the entry),
 * and what the check lets through is what real trees contain.
 */
class BoardCheckTest {
    /** An M1-like board: AIC, a DART and its master; {@code %s} takes extra soc children, then extra root children. */
    private static final String BOARD = """
            /dts-v1/;
            / {
            	#address-cells = <2>;
            	#size-cells = <2>;
            	interrupt-parent = <&aic>;

            	memory@800000000 { device_type = "memory"; reg = <0x8 0x0 0x1 0x0>; };

            	soc {
            		compatible = "simple-bus";
            		#address-cells = <2>;
            		#size-cells = <2>;
            		ranges;

            		aic: interrupt-controller@23b100000 {
            			compatible = "apple,t8103-aic", "apple,aic";
            			reg = <0x2 0x3b100000 0x0 0x8000>;
            			#interrupt-cells = <3>;
            			interrupt-controller;
            		};

            		dart: iommu@382f00000 {
            			compatible = "apple,t8103-dart";
            			reg = <0x3 0x82f00000 0x0 0x4000>;
            			interrupts = <0 781 4>;
            			#iommu-cells = <1>;
            		};

            		usb@382280000 {
            			reg = <0x3 0x82280000 0x0 0x100000>;
            			interrupts = <0 777 4>;
            			iommus = <&dart 0>;
            		};
            %s
            	};
            %s
            };
            """;

    private static DeviceTree board(String soc, String root) {
        return Fixtures.dts(String.format(BOARD, soc, root));
    }

    private static DeviceTree soc(String children) {
        return board(children, "");
    }

    private static void refused(DeviceTree t, String where, String message) {
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> BoardCheck.check(t));
        assertEquals("test.dts", e.source());
        assertEquals(where, e.where(), e.getMessage());
        assertTrue(e.getMessage().contains(message), "message was: " + e.getMessage());
    }

    /**
     * A specifier's cell count is a u32 that Linux caps at MAX_PHANDLE_ARGS: 4000000000 was read
     * as -294967296 ("expected -294967296 argument cell(s)", found by fuzz/mutate-boards.sh).
     */
    @Test
    void specifierCellCountsStopAtMaxPhandleArgs() {
        refused(soc("iommu@10000 { reg = <0x0 0x10000 0x0 0x4000>; #iommu-cells = <4000000000>; };"), "/soc/iommu@10000",
                "#iommu-cells: expected at most 16 (Linux MAX_PHANDLE_ARGS), found 4000000000");
        refused(soc("intc@20000 { reg = <0x0 0x20000 0x0 0x4000>; interrupt-controller; #interrupt-cells = <17>; status = \"disabled\"; };"),
                "/soc/intc@20000", "#interrupt-cells: expected at most 16 (Linux MAX_PHANDLE_ARGS), found 17");
        BoardCheck.check(soc("pd@30000 { reg = <0x0 0x30000 0x0 0x4000>; #power-domain-cells = <16>; };"));
    }

    @Test
    void aPlainBoardPasses() {
        BoardCheck.check(soc(""));
    }

    // ---- reg windows ----

    @Test
    void windowsWrappingPast2To64AreRefused() {
        refused(soc("dev@ffffffff { reg = <0xffffffff 0xfffff000 0x0 0x2000>; };"), "/soc/dev@ffffffff",
                "reg entry 0: expected a window that ends below 2^64, found 0xfffffffffffff000 + 0x2000, which wraps");
    }

    @Test
    void windowsBeyondThe42BitPhysicalAddressSpaceAreRefused() {
        refused(soc("dev@40000000000 { reg = <0x2 0x0 0x0 0x1000>, <0x400 0x0 0x0 0x1000>; };"), "/soc/dev@40000000000",
                "reg entry 1: expected a window inside the 42-bit physical address space (below 0x40000000000), found 0x40000000000 + 0x1000");
        refused(soc("dev@3fffffff000 { reg = <0x3ff 0xfffff000 0x0 0x1001>; };"), "/soc/dev@3fffffff000",
                "reg entry 0: expected a window inside the 42-bit physical address space");
        // the last page below 2^42 is inside; two-die M1 Ultra RAM at 0x100_0000_0000 too
        BoardCheck.check(board("dev@3fffffff000 { reg = <0x3ff 0xfffff000 0x0 0x1000>; };",
                "memory@10000000000 { device_type = \"memory\"; reg = <0x100 0x0 0x2 0x0>; };"));
        refused(board("", "memory@40000000000 { device_type = \"memory\"; reg = <0x400 0x0 0x0 0x1000>; };"),
                "/memory@40000000000", "reg entry 0: expected a window inside the 42-bit physical address space");
    }

    @Test
    void mmioOverlappingRamIsRefused() {
        refused(soc("dev@800001000 { reg = <0x8 0x1000 0x0 0x1000>; };"), "/soc/dev@800001000",
                "reg entry 0: expected an MMIO window outside RAM, found 0x800001000 + 0x1000, which overlaps RAM reg entry 0 of /memory@800000000");
        refused(soc("dev@7ffffff00 { reg = <0x7 0xffffff00 0x0 0x200>; };"), "/soc/dev@7ffffff00",
                "which overlaps RAM reg entry 0 of /memory@800000000");
        // just below and just above RAM
        BoardCheck.check(soc("a@7fffff000 { reg = <0x7 0xfffff000 0x0 0x1000>; }; b@900000000 { reg = <0x9 0x0 0x0 0x1000>; };"));
    }

    @Test
    void nodesThatDescribeRamOrAreNoDevicesMayLieInRam() {
        BoardCheck.check(board("""
                		fb@810000000 { compatible = "simple-framebuffer"; reg = <0x8 0x10000000 0x0 0x100000>; };
                		off@800002000 { status = "disabled"; reg = <0x8 0x2000 0x0 0x1000>; };
                """, """
                	reserved-memory {
                		#address-cells = <2>;
                		#size-cells = <2>;
                		ranges;
                		carveout@800100000 { reg = <0x8 0x100000 0x0 0x100000>; no-map; };
                	};
                """));
    }

    @Test
    void straddlingWindowsAreRefusedNestedOnesAreNot() {
        refused(soc("a@100000 { reg = <0x0 0x100000 0x0 0x2000>; }; b@101000 { reg = <0x0 0x101000 0x0 0x2000>; };"),
                "/soc/b@101000", "reg entry 0: expected a window disjoint from or nested with every other, found 0x101000 + 0x2000,"
                        + " which straddles reg entry 0 of /soc/a@100000 (0x100000 + 0x2000)");
        // the M1 gpu/mbox shape, a shared register block, and a node's own entries side by side
        BoardCheck.check(soc("""
                		gpu@206400000 { reg = <0x2 0x6400000 0x0 0x40000>, <0x2 0x4000000 0x0 0x1000000>; };
                		mbox@206408000 { reg = <0x2 0x6408000 0x0 0x4000>; };
                		a@100000 { reg = <0x0 0x100000 0x0 0x1000>; };
                		b@100000 { reg = <0x0 0x100000 0x0 0x1000>; };
                		c@101000 { reg = <0x0 0x101000 0x0 0x1000>; };
                """));
    }

    /**
     * Nesting is fine for devices, not for two IOMMUs: the machine hosts a model at each, and Linux
     * refuses the second's request_mem_region (EBUSY). This passed the check, then a model failed to
     * start at boot and its master waited for a driver for ever.
     */
    @Test
    void iommusShareNoRegistersNotEvenNested() {
        String second = "dart2: iommu@382f80000 { compatible = \"apple,t8103-dart\"; #iommu-cells = <1>; reg = <0x3 0x82f80000 0x0 0x4000>; };";
        refused(soc(second.replace("0x82f80000 0x0 0x4000", "0x82f00000 0x0 0x4000")), "/soc/iommu@382f80000",
                "reg entry 0: expected IOMMU registers that overlap no other IOMMU's, found 0x382f00000 + 0x4000,"
                        + " which overlaps reg entry 0 of /soc/iommu@382f00000 (0x382f00000 + 0x4000)");
        refused(soc(second.replace("0x82f80000 0x0 0x4000", "0x82efc000 0x0 0x100000")), "/soc/iommu@382f00000",
                "reg entry 0: expected IOMMU registers that overlap no other IOMMU's, found 0x382f00000 + 0x4000,"
                        + " which overlaps reg entry 0 of /soc/iommu@382f80000 (0x382efc000 + 0x100000)");
        // side by side, and an IOMMU inside a device's window (no model there), are fine
        BoardCheck.check(soc(second));
        BoardCheck.check(soc("big@382000000 { reg = <0x3 0x82000000 0x0 0x1000000>; };"));
        // a disabled IOMMU is no device
        BoardCheck.check(soc(second.replace("0x82f80000 0x0 0x4000", "0x82f00000 0x0 0x4000").replace("#iommu-cells", "status = \"disabled\"; #iommu-cells")));
    }

    /** genpd_dev_pm_attach fails a device whose entry is 0 (ENOENT): the machine ran it unpowered instead. */
    @Test
    void powerDomainsWithAZeroOrDanglingPhandleOrACycleAreRefused() {
        String pmgr = """
                		pmgr { #address-cells = <1>; #size-cells = <1>;
                			ps_a: power-controller@100 { reg = <0x100 4>; #power-domain-cells = <0>; %s };
                			ps_b: power-controller@108 { reg = <0x108 4>; #power-domain-cells = <0>; power-domains = <&ps_a>; };
                		};
                		dev@100000 { reg = <0x0 0x100000 0x0 0x1000>; power-domains = <%s>; };
                """;
        BoardCheck.check(soc(String.format(pmgr, "", "&ps_b")));
        refused(soc(String.format(pmgr, "", "&ps_b>, <0")), "/soc/dev@100000", "power-domains entry 1: expected a phandle, found 0 (an empty entry)");
        refused(soc(String.format(pmgr, "", "0x77")), "/soc/dev@100000", "power-domains entry 0 references phandle 0x77 which no node has");
        refused(soc(String.format(pmgr, "power-domains = <&ps_b>;", "&ps_b")), "/soc/pmgr/power-controller@100",
                "power-domains: expected a hierarchy of domains, found a cycle /soc/pmgr/power-controller@100 -> /soc/pmgr/power-controller@108"
                        + " -> /soc/pmgr/power-controller@100");
        // a disabled provider is still a domain of the hierarchy: its references are read too
        refused(soc(String.format(pmgr, "status = \"disabled\"; power-domains = <0x77>;", "&ps_b")), "/soc/pmgr/power-controller@100",
                "power-domains entry 0 references phandle 0x77 which no node has");
    }

    /**
     * Real PMGRs share parents (ps_gpio under ps_sio and ps_pms, ...): a hierarchy in which every
     * domain has the same two parents, 48 levels deep, has 2^48 paths. The cycle check walked every
     * one of them (a board of 100 domains never booted); each domain is visited once now.
     */
    @Test
    void sharedParentsAreWalkedOnce() {
        StringBuilder pmgr = new StringBuilder("\t\tpmgr { #address-cells = <1>; #size-cells = <1>;\n");
        int levels = 48;
        for (int i = 0; i < levels; i++) {
            for (int j = 0; j < 2; j++) {
                String parents = i + 1 < levels ? String.format("power-domains = <&ps_%d_0>, <&ps_%d_1>;", i + 1, i + 1) : "";
                pmgr.append(String.format("\t\t\tps_%d_%d: pc@%x { reg = <0x%x 4>; #power-domain-cells = <0>; %s };%n",
                        i, j, 8 * (2 * i + j), 8 * (2 * i + j), parents));
            }
        }
        pmgr.append("\t\t};\n\t\tdev@100000 { reg = <0x0 0x100000 0x0 0x1000>; power-domains = <&ps_0_0>; };\n");
        BoardCheck.check(soc(pmgr.toString()));
    }

    @Test
    void regUnderABusWithoutRangesIsNoMmioWindow() {
        // A PMGR syscon's power-controller offsets: in RAM and overlapping the usb window if they were CPU addresses.
        BoardCheck.check(soc("""
                		pmgr@23b700000 {
                			reg = <0x2 0x3b700000 0x0 0x14000>;
                			#address-cells = <2>;
                			#size-cells = <2>;
                			power-controller@800000100 { reg = <0x8 0x100 0x0 0x4>; };
                			power-controller@382280000 { reg = <0x3 0x82280000 0x0 0x8>; };
                		};
                """));
        refused(soc("pmgr { #address-cells = <1>; #size-cells = <1>; power-controller@100 { reg = <0x100>; }; };"),
                "/soc/pmgr/power-controller@100", "reg: expected a multiple of 2 cells (#address-cells 1 + #size-cells 1 of /soc/pmgr), found 1");
    }

    @Test
    void aBoardWithoutRamOrWithOverlappingRamIsRefused() {
        refused(Fixtures.dts("/ { #address-cells = <2>; #size-cells = <2>; soc { }; };"), "/",
                "no memory node with a non-empty reg: the board has no RAM");
        refused(board("", "memory@840000000 { device_type = \"memory\"; reg = <0x8 0x40000000 0x1 0x0>; };"), "/memory@840000000",
                "reg entry 0: expected RAM that overlaps no other RAM, found 0x840000000 + 0x100000000, which overlaps reg entry 0 of /memory@800000000");
    }

    // ---- interrupts ----

    @Test
    void aicIrqsStopAtAicMaxIrqAndFiqsAtSeven() {
        refused(soc("dev@100000 { reg = <0x0 0x100000 0x0 0x1000>; interrupts = <0 5 4>, <0 1024 4>; };"), "/soc/dev@100000",
                "interrupts entry 1: expected an IRQ number below 1024 (apple,aic AIC_MAX_IRQ), found 1024");
        refused(soc("dev@100000 { reg = <0x0 0x100000 0x0 0x1000>; interrupts = <0 4000000000 4>; };"), "/soc/dev@100000",
                "interrupts entry 0: expected an IRQ number below 1024 (apple,aic AIC_MAX_IRQ), found 4000000000");
        refused(soc("timer { interrupts = <1 7 4>; };"), "/soc/timer", "interrupts entry 0: expected an FIQ number below 7 (AIC_NR_FIQ), found 7");
        refused(soc("dev { interrupts = <2 1 4>; };"), "/soc/dev", "interrupts entry 0: expected AIC type 0 (IRQ) or 1 (FIQ), found 2");
        BoardCheck.check(soc("dev { interrupts = <0 1023 4>, <1 6 4>; };"));
    }

    @Test
    void aicWithFourCellsIsRefusedAtTheController() {
        refused(Fixtures.dts("""
                / {
                	#address-cells = <2>;
                	#size-cells = <2>;
                	memory@800000000 { device_type = "memory"; reg = <0x8 0x0 0x1 0x0>; };
                	aic: interrupt-controller@23b100000 {
                		compatible = "apple,aic";
                		reg = <0x2 0x3b100000 0x0 0x8000>;
                		#interrupt-cells = <4>;
                	};
                	dev { interrupt-parent = <&aic>; interrupts = <0 0 5 4>; };
                };
                """), "/interrupt-controller@23b100000", "#interrupt-cells: expected 3 (apple,aic), found 4");
    }

    /** An M1 Pro/Max-like AIC2 (0xc000-byte window, 4 cells) under {@code buses} root-level SoC buses. */
    private static DeviceTree aic2(String buses, String irq) {
        StringBuilder s = new StringBuilder("""
                / {
                	#address-cells = <2>;
                	#size-cells = <2>;
                	interrupt-parent = <&aic>;
                	memory@10000000000 { device_type = "memory"; reg = <0x100 0x0 0x2 0x0>; };
                """);
        for (String bus : buses.split(",")) {
            s.append("\t").append(bus).append(" { #address-cells = <2>; #size-cells = <2>; ranges; };\n");
        }
        s.append("""
                	aic: interrupt-controller@28e100000 {
                		compatible = "apple,t6000-aic", "apple,aic2";
                		reg = <0x2 0x8e100000 0x0 0xc000>, <0x2 0x8e10c000 0x0 0x4>;
                		#interrupt-cells = <4>;
                	};
                	dev { interrupts = <%s>; };
                };
                """.formatted(irq));
        return Fixtures.dts(s.toString());
    }

    @Test
    void aic2IrqsEndWhereTheirRegistersLeaveTheWindow() {
        // (0xc000 - 0x2000) / 148 bytes per 32 IRQs = 276 groups: 8832 IRQs for one die
        BoardCheck.check(aic2("soc", "0 0 8831 4"));
        refused(aic2("soc", "0 0 8832 4"), "/dev",
                "interrupts entry 0: expected an IRQ number below 8832 (apple,aic2 registers inside reg entry 0 of /interrupt-controller@28e100000), found 8832");
        refused(aic2("soc", "0 1 100 4"), "/dev", "interrupts entry 0: expected an AIC die below 1 (one per root-level SoC bus), found 1");
    }

    @Test
    void aic2OnTwoDiesHasHalfTheIrqsPerDie() {
        BoardCheck.check(aic2("soc@200000000,soc@2200000000", "0 1 4415 4"));
        refused(aic2("soc@200000000,soc@2200000000", "0 1 4416 4"), "/dev", "expected an IRQ number below 4416");
        refused(aic2("soc@200000000,soc@2200000000", "0 2 5 4"), "/dev", "expected an AIC die below 2");
        refused(aic2("soc@200000000,soc@2200000000", "1 1 0 4"), "/dev", "interrupts entry 0: expected die 0 for an AIC FIQ, found 1");
    }

    @Test
    void gicSpisAndPpisFollowTheBinding() {
        String gic = """
                / {
                	#address-cells = <2>;
                	#size-cells = <2>;
                	interrupt-parent = <&gic>;
                	memory@80000000 { device_type = "memory"; reg = <0x0 0x80000000 0x0 0x40000000>; };
                	gic: interrupt-controller@2c001000 {
                		compatible = "arm,gic-400";
                		reg = <0x0 0x2c001000 0x0 0x1000>;
                		#interrupt-cells = <3>;
                		interrupt-controller;
                	};
                	dev { interrupts = <%s>; };
                };
                """;
        BoardCheck.check(Fixtures.dts(gic.formatted("0 987 4>, <1 15 4")));
        refused(Fixtures.dts(gic.formatted("0 988 4")), "/dev", "interrupts entry 0: expected an SPI number below 988, found 988");
        refused(Fixtures.dts(gic.formatted("1 16 4")), "/dev", "interrupts entry 0: expected a PPI number below 16, found 16");
        refused(Fixtures.dts(gic.formatted("2 0 4")), "/dev", "interrupts entry 0: expected GIC type 0 (SPI) or 1 (PPI), found 2");
    }

    @Test
    void otherControllersAreCheckedForTheirCellCountOnly() {
        BoardCheck.check(soc("pinctrl: pinctrl { #interrupt-cells = <2>; interrupt-controller; };"
                + " dev { interrupt-parent = <&pinctrl>; interrupts = <4000000000 8>; };"));
        refused(soc("pinctrl: pinctrl { #interrupt-cells = <2>; interrupt-controller; };"
                + " dev { interrupt-parent = <&pinctrl>; interrupts = <4 8 1>; };"), "/soc/dev",
                "interrupts: #interrupt-cells mismatch: expected a multiple of 2 cells (#interrupt-cells of /soc/pinctrl), found 3");
    }

    // ---- references ----

    @Test
    void iommusWithAZeroOrDanglingPhandleAreRefused() {
        refused(soc("dma@100000 { reg = <0x0 0x100000 0x0 0x1000>; iommus = <&dart 1>, <0>; };"), "/soc/dma@100000",
                "iommus entry 1: expected a phandle, found 0 (an empty entry)");
        refused(soc("dma@100000 { reg = <0x0 0x100000 0x0 0x1000>; iommus = <0x77 1>; };"), "/soc/dma@100000",
                "iommus entry 0 references phandle 0x77 which no node has");
        refused(soc("dma@100000 { reg = <0x0 0x100000 0x0 0x1000>; iommus = <&dart>; };"), "/soc/dma@100000",
                "#iommu-cells mismatch: iommus entry 0 expected 1 argument cell(s) for /soc/iommu@382f00000");
        // a disabled master is no device: nothing reads its iommus
        BoardCheck.check(soc("dma@100000 { status = \"disabled\"; reg = <0x0 0x100000 0x0 0x1000>; iommus = <0x77 1>; };"));
    }

    @Test
    void everyIommuMapEntryMustNameAnIommu() {
        String pcie = """
                		pcie@690000000 {
                			device_type = "pci";
                			reg = <0x6 0x90000000 0x0 0x1000000>;
                			#address-cells = <3>;
                			#size-cells = <2>;
                			ranges = <0x02000000 0x0 0xc0000000 0x6 0xc0000000 0x0 0x40000000>;
                			iommu-map = <0x100 &dart 1 1>, <0x200 %s 1 1>;
                			iommu-map-mask = <0xff00>;
                		};
                """;
        BoardCheck.check(soc(pcie.formatted("&dart")));
        // entry 1 maps no function of this board, and is still checked
        refused(soc(pcie.formatted("0x77")), "/soc/pcie@690000000", "iommu-map entry 1 references phandle 0x77 which no node has");
        refused(soc(pcie.formatted("0")), "/soc/pcie@690000000", "iommu-map entry 1: expected a phandle, found 0");
        refused(soc(pcie.formatted("&aic")), "/soc/pcie@690000000",
                "iommu-map entry 1: expected /soc/interrupt-controller@23b100000 to have #iommu-cells = <1>, found none");
    }

    @Test
    void interruptParentMustNameANode() {
        refused(soc("dev { interrupt-parent = <0>; };"), "/soc/dev", "interrupt-parent entry 0: expected a phandle, found 0");
        refused(soc("dev { interrupt-parent = <0x99>; };"), "/soc/dev",
                "interrupt-parent entry 0 references phandle 0x99 which no node has");
    }

    @Test
    void interruptsExtendedMayHaveEmptyEntriesButNoDanglingOnes() {
        // The ADMAC shape: outputs wired to coprocessors are <0>; entries keep their index.
        BoardCheck.check(soc("dma { interrupts-extended = <0>, <0>, <&aic 0 626 4>, <0>; };"));
        refused(soc("dma { interrupts-extended = <0>, <&aic 0 2000 4>; };"), "/soc/dma",
                "interrupts-extended entry 1: expected an IRQ number below 1024 (apple,aic AIC_MAX_IRQ), found 2000");
        refused(soc("dma { interrupts-extended = <&aic 0 6 4>, <0x99 1>; };"), "/soc/dma",
                "interrupts-extended entry 1 references phandle 0x99 which no node has");
    }

    // ---- any input ----

    /**
     * Corrupted copies of the default board (every 3rd byte, three values each) are refused with a
     * DeviceTreeException or pass; nothing else escapes from reading or checking them.
     */
    @Test
    void corruptedBoardsFailOnlyWithDeviceTreeExceptions() {
        byte[] dtb = FdtWriter.write(DeviceTrees.board("default"));
        int refusals = 0;
        for (int i = 0; i < dtb.length; i += 3) {
            for (int v : new int[] {0x00, 0xff, 0x01}) {
                byte[] c = dtb.clone();
                c[i] = (byte) v;
                try {
                    BoardCheck.check(DeviceTrees.parse("fuzz.dtb", c));
                } catch (DeviceTreeException expected) {
                    refusals++;
                }
            }
        }
        assertTrue(refusals > 0);
    }

    // ---- cell counts ----

    @Test
    void cellCountPropertiesAreOneCell() {
        refused(soc("x { #iommu-cells = [00 01]; };"), "/soc/x", "#iommu-cells: expected 1 cell, found 2 bytes");
        refused(soc("x { #address-cells = <5>; };"), "/soc/x", "#address-cells: expected 0..4, found 5");
        refused(soc("x { status = \"disabled\"; #size-cells = <1 2>; };"), "/soc/x", "#size-cells: expected 1 cell, found 8 bytes");
    }
}
