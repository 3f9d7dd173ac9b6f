package io.iommulab.machine.irq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.machine.dt.DeviceTrees;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Line identity per interrupt-controller binding: AIC (3 cells), AIC2 on multi-die SoCs (4), GIC, 2 and 1 cells. */
class IrqControllerTest {

    private static final String DTS = """
            /dts-v1/;
            / {
                #address-cells = <2>;
                #size-cells = <2>;
                aic: interrupt-controller@23b100000 { reg = <0x2 0x3b100000 0x0 0x8000>; #interrupt-cells = <3>; interrupt-controller; };
                aic2: interrupt-controller@28e100000 { reg = <0x2 0x8e100000 0x0 0xc000>; #interrupt-cells = <4>; interrupt-controller; };
                pic: interrupt-controller@10000 { reg = <0x0 0x10000 0x0 0x1000>; #interrupt-cells = <2>; interrupt-controller; };
                one: interrupt-controller@20000 { reg = <0x0 0x20000 0x0 0x1000>; #interrupt-cells = <1>; interrupt-controller; };
            };
            """;

    private final DeviceTree tree = DeviceTrees.parse("irq.dts", DTS.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    private final IrqController irqs = new IrqController();

    private DtNode node(String path) {
        return tree.node(path).orElseThrow();
    }

    @Test
    void aicLinesAreNumberedByTheSecondCell() {
        DtNode aic = node("/interrupt-controller@23b100000");
        IrqLineImpl a = irqs.line(aic, new int[] {0, 781, 4});
        assertEquals(781, a.number());
        assertEquals("aic:781", a.name());
        assertSame(a, irqs.line(aic, new int[] {0, 781, 1}), "the flags cell does not make another line");
    }

    @Test
    void aic2LinesOfDifferentDiesAreDifferentLines() {
        DtNode aic2 = node("/interrupt-controller@28e100000");
        IrqLineImpl die0 = irqs.line(aic2, new int[] {0, 0, 1130, 4});
        IrqLineImpl die1 = irqs.line(aic2, new int[] {0, 1, 1130, 4});
        assertEquals(1130, die0.number());
        assertEquals(1130, die1.number());
        assertNotSame(die0, die1);
        assertEquals("aic2:1130", die0.name());
        assertEquals("aic2:1/1130", die1.name());
        assertSame(die1, irqs.line(aic2, new int[] {0, 1, 1130, 4}), "same specifier: a shared line");
    }

    @Test
    void numbersAreNamedAndOrderedUnsigned() {
        DtNode aic = node("/interrupt-controller@23b100000");
        int big = (int) 4_000_000_000L;
        IrqLineImpl high = irqs.line(aic, new int[] {0, big, 4});
        assertEquals("aic:4000000000", high.name());
        assertEquals("aic2:3000000000/7", irqs.line(node("/interrupt-controller@28e100000"), new int[] {0, (int) 3_000_000_000L, 7, 4}).name());
        IrqLineImpl low = irqs.line(aic, new int[] {0, 5, 4});
        java.util.List<IrqLineImpl> aicLines = irqs.lines().stream().filter(l -> l.name().startsWith("aic:")).toList();
        assertEquals(java.util.List.of(low, high), aicLines, "4000000000 sorts after 5");
    }

    @Test
    void twoAndOneCellControllers() {
        assertEquals(17, irqs.line(node("/interrupt-controller@10000"), new int[] {17, 4}).number());
        assertEquals("pic:17", irqs.line(node("/interrupt-controller@10000"), new int[] {17, 8}).name());
        assertEquals(5, irqs.line(node("/interrupt-controller@20000"), new int[] {5}).number());
    }

    /** Two dies: the AIC2's die cell names the die; label-less controllers of the same name keep their bus. */
    @Test
    void namesStayDistinctOnTwoDies() throws java.io.IOException {
        DeviceTree two;
        try (java.io.InputStream in = getClass().getResourceAsStream("/dt/two-die.dts")) {
            two = DeviceTrees.parse("two-die.dts", in.readAllBytes());
        }
        DtNode aic = two.node("/soc@200000000/interrupt-controller@28e100000").orElseThrow();
        assertEquals("aic:1194", irqs.line(aic, new int[] {0, 0, 1194, 4}).name());
        assertEquals("aic:1/1194", irqs.line(aic, new int[] {0, 1, 1194, 4}).name());
        assertEquals("aic:1/0/5", irqs.line(aic, new int[] {1, 0, 5, 4}).name(), "a leading cell shown keeps the rest");
        DtNode pin0 = two.node("/soc@200000000/pinctrl@2921f0000").orElseThrow();
        DtNode pin1 = two.node("/soc@2200000000/pinctrl@2921f0000").orElseThrow();
        IrqLineImpl l0 = irqs.line(pin0, new int[] {5, 4});
        IrqLineImpl l1 = irqs.line(pin1, new int[] {5, 4});
        assertNotSame(l0, l1);
        assertEquals("soc@200000000/pinctrl@2921f0000:5", l0.name());
        assertEquals("soc@2200000000/pinctrl@2921f0000:5", l1.name());
        assertEquals(List.of("aic:1/0/5", "aic:1/1194", "aic:1194", "soc@200000000/pinctrl@2921f0000:5",
                "soc@2200000000/pinctrl@2921f0000:5"), irqs.lines().stream().map(IrqLineImpl::name).toList());
    }

    @Test
    void aLabelLessControllerWithAUniqueNameIsCalledByIt() {
        DeviceTree t = DeviceTrees.parse("nolabel.dts", """
                /dts-v1/;
                / {
                    interrupt-controller@23b100000 { #interrupt-cells = <3>; interrupt-controller; };
                    pinctrl@23c100000 { #interrupt-cells = <2>; interrupt-controller; };
                };
                """.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("interrupt-controller:781",
                irqs.line(t.node("/interrupt-controller@23b100000").orElseThrow(), new int[] {0, 781, 4}).name());
    }
}
