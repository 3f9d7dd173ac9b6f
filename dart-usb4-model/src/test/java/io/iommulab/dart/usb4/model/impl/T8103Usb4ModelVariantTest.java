package io.iommulab.dart.usb4.model.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.dart.model.impl.DartModelFactory;
import io.iommulab.dart.model.impl.DartModelFamiliesComponent;
import io.iommulab.dart.model.spi.DartModelHw;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Thunderbolt DART's record, and its DART on the default board as the machine builds it. */
class T8103Usb4ModelVariantTest {

    static final String ACIO_DART = "/soc/iommu@38b004000";
    static final String NHI = "/soc/thunderbolt@38a000000";

    private final DartModelHw hw = new T8103Usb4ModelVariant(new DartModelFamiliesComponent()).hw();

    @Test
    void theRecordIsTheThunderboltSilicon() {
        assertEquals("t8103-usb4", hw.name());
        assertEquals(List.of("apple,t8103-usb4-dart"), hw.compatibles());
        assertEquals(DartModelHw.Family.T8020, hw.family());
        assertEquals(DartModelHw.PteFormat.DART1, hw.format(), "DART1 tables, as the t8103");
        assertEquals(64, hw.streams().count());
        assertEquals(List.of(0xFC, 0xF8), hw.streams().enableWords());
        assertEquals(0x400, hw.ttbrBase());
        assertFalse(hw.bypass());
        assertEquals(new DartModelHw.AddressSizes(32, 36), hw.sizes());
    }

    @Test
    void theDefaultBoardsThunderboltDartIsThisHardware() {
        SimMachine m = SimMachine.boot(DeviceTrees.board("default"), List.of(DartModelFactory.builtInAnd(hw)), Map.of());
        IommuHardware acio = m.iommuHardware().stream().filter(h -> h.node().path().equals(ACIO_DART)).findFirst().orElseThrow();
        assertEquals(DartModelFactory.NAME, acio.model(), String.valueOf(acio.reason()));
        m.pmDomainAttach(acio.node());
        MmioWindow w = m.ioremap(acio.node(), 0);
        assertEquals(0, w.readl(0x04), "PARAMS2: no bypass");
        w.writel(0xF8, 1 << 8);
        assertEquals(1 << 8, w.readl(0xF8), "stream 40 enabled in the second word at 0xF8");
        w.writel(0x400 + 16 * 40, 0x8000_0123);
        assertEquals(0x8000_0123, w.readl(0x400 + 16 * 40), "TTBR[40][0] in the array at 0x400");
        DmaMaster nhi = m.master(NHI).orElseThrow();
        assertEquals(40, nhi.streams().get(1).sid());
        assertEquals("NO TTBR FOR IOVA", nhi.read(1, 0, 4).fault(), "stream 40 is enabled, its TCR blocks");
    }
}
