package io.iommulab.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import io.iommulab.api.hw.Access;
import io.iommulab.api.machine.BusMonitor;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.machine.StaleTranslation;
import io.iommulab.machine.testing.RecordingMonitor;
import io.iommulab.machine.testing.RecordingMonitor.Piece;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bus's debug port end to end: a master's transactions and a model's stale IOTLB hits reach the
 * monitor set with {@code Machine.setBusMonitor}, and nothing does once it is removed. The model is
 * the machine tests' {@link TestIommu}, whose streams cache their OFFSET until FLUSH.
 */
class BusMonitorTest {
    private static final String IOMMU0 = "/soc/iommu@100000";
    private static final String DMA0 = "/soc/dma@200000";
    private static final long WINDOW = 0x10000;
    private static final int SID = 3;

    private final SimMachine machine = SimMachine.boot(TestBoards.load("test-board.dts"),
            List.of(new TestIommu.Factory(TestBoards.RAM)), Map.of());
    private final DmaMaster dma = machine.master(DMA0).orElseThrow();
    private final RecordingMonitor seen = new RecordingMonitor();

    private MmioWindow enable() {
        machine.pmDomainAttach(machine.deviceTree().node(IOMMU0).orElseThrow());
        MmioWindow w = machine.ioremap(machine.deviceTree().node(IOMMU0).orElseThrow(), 0);
        w.writel(TestIommu.CTRL, TestIommu.CTRL_ENABLE);
        return w;
    }

    private static long pa(long offset, long iova) {
        return TestBoards.RAM + SID * WINDOW + offset + iova;
    }

    @Test
    void everyTranslatedPieceAndEveryFaultReachTheMonitor() {
        enable();
        machine.setBusMonitor(seen);
        DmaResult w = dma.write(0, 0xff0, new byte[0x20]);
        assertTrue(w.ok(), String.valueOf(w.fault()));
        DmaResult r = dma.read(0, WINDOW - 8, 16);
        assertFalse(r.ok());
        assertEquals(List.of(
                new Piece(DMA0, 0, 0xff0, 0x10, Access.WRITE, pa(0, 0xff0), null),
                new Piece(DMA0, 0, 0x1000, 0x10, Access.WRITE, pa(0, 0x1000), null),
                new Piece(DMA0, 0, WINDOW - 8, 8, Access.READ, pa(0, WINDOW - 8), null),
                new Piece(DMA0, 0, WINDOW, 8, Access.READ, 0, "iova 0x10000 outside window")), seen.pieces,
                "one call per piece the model's 4 KiB spans cut, and the fault with the model's text");
        assertEquals(List.of(), seen.stale);
    }

    @Test
    void aModelsStaleHitReachesTheMonitorUntilTheModelIsFlushed() {
        MmioWindow w = enable();
        machine.setBusMonitor(seen);
        assertTrue(dma.read(0, 0x40, 8).ok(), "fills the stream's cache with OFFSET 0");
        w.writel(TestIommu.OFFSET, 0x2000);
        assertTrue(dma.read(0, 0x40, 8).ok());
        assertEquals(List.of(new StaleTranslation(IOMMU0, SID, 0x40, Access.READ, pa(0, 0x40), Prot.READ | Prot.WRITE,
                pa(0x2000, 0x40), Prot.READ | Prot.WRITE, null, "OFFSET changed", "FLUSH")), seen.stale);
        assertEquals(pa(0, 0x40), seen.pieces.get(1).paddr(), "the transaction still used the stale entry");

        w.writel(TestIommu.FLUSH, 1);
        assertTrue(dma.read(0, 0x40, 8).ok());
        assertEquals(1, seen.stale.size(), "after the flush the hit is fresh");
        assertEquals(pa(0x2000, 0x40), seen.pieces.get(2).paddr());
    }

    @Test
    void aRemovedMonitorSeesNothing() {
        MmioWindow w = enable();
        machine.setBusMonitor(seen);
        assertTrue(dma.read(0, 0x40, 8).ok());
        machine.setBusMonitor(null);
        w.writel(TestIommu.OFFSET, 0x2000);
        DmaResult r = dma.read(0, 0x40, 8);
        assertTrue(r.ok());
        assertFalse(dma.read(0, WINDOW, 8).ok());
        assertEquals(1, seen.pieces.size(), "only the transaction made while the monitor was set");
        assertEquals(List.of(), seen.stale, "the model's check is off without a monitor");
        assertNull(seen.pieces.get(0).fault());
    }

    @Test
    void aMonitorThatThrowsDoesNotStopTheDma() {
        MmioWindow w = enable();
        machine.setBusMonitor(new BusMonitor() {
            @Override
            public void transaction(DmaMaster master, int stream, long iova, int len, Access access, long paddr, String fault) {
                throw new IllegalStateException("tool bug");
            }

            @Override
            public void staleTranslation(StaleTranslation stale) {
                throw new IllegalStateException("tool bug");
            }
        });
        assertTrue(dma.read(0, 0x40, 8).ok());
        w.writel(TestIommu.OFFSET, 0x2000);
        DmaResult r = dma.read(0, 0x40, 8);
        assertTrue(r.ok(), String.valueOf(r.fault()));
    }
}
