package io.iommulab.testkit;

import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.PhysicalMemory;
import java.util.Arrays;

/**
 * Checks every backend's tests make the same way (DART, SMMU, ...): DMA through a mapping lands
 * where it should, and an IOMMU that failed to probe says why. They throw {@link AssertionError},
 * as JUnit's assertions do, without this bundle importing JUnit.
 */
public final class BackendChecks {

    private BackendChecks() {
    }

    /**
     * Writes {@code data} through {@code iova} on {@code stream} and finds it at {@code pa} in
     * memory, then reads it back through the IOMMU.
     */
    public static void assertDmaLands(PhysicalMemory memory, DmaMaster m, int stream, long iova, long pa, byte[] data) {
        memory.fill(pa, data.length, (byte) 0);
        DmaResult w = m.write(stream, iova, data);
        check(w.ok(), "DMA write at 0x" + Long.toHexString(iova) + ": " + w.fault());
        byte[] got = new byte[data.length];
        memory.read(pa, got, 0, got.length);
        check(Arrays.equals(data, got), "DMA write at 0x" + Long.toHexString(iova) + " left " + Arrays.toString(got)
                + " at 0x" + Long.toHexString(pa) + ", expected " + Arrays.toString(data));
        DmaResult r = m.read(stream, iova, data.length);
        check(r.ok(), "DMA read at 0x" + Long.toHexString(iova) + ": " + r.fault());
        check(Arrays.equals(data, r.data()), "DMA read at 0x" + Long.toHexString(iova) + " got " + Arrays.toString(r.data())
                + ", expected " + Arrays.toString(data));
    }

    /** The IOMMU node failed to probe with {@code errno} and a reason containing {@code text} and naming the node. */
    public static void assertProbeFailed(IommuNodeDTO n, String errno, String text) {
        check(n.probeState() == ProbeState.FAILED, n.node() + ": state " + n.state() + ", expected failed");
        check(n.reason().contains(errno + ": ") && n.reason().contains(text), n.node() + ": " + n.reason());
        check(n.reason().contains(n.node()), "the message names the node: " + n.reason());
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
