package io.iommulab.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Fixture boards for tests, as DTS bytes for {@code MachineFactory.boot}.
 *
 * <p>{@code boards/testkit.dts}: #address-cells/#size-cells 2; 1 GiB RAM at 0x8_0000_0000; one
 * interrupt controller ("iommulab,test-intc", one cell) as the root interrupt-parent; under the
 * simple-bus {@code /soc}:
 * <ul>
 * <li>{@code iommu@100000000} (label tiommu0) and {@code iommu@100010000} (tiommu1),
 *     "iommulab,test-iommu", both on interrupt 10 (a shared line); {@code iommu@100020000}
 *     (tiommu2) is disabled;</li>
 * <li>{@code dev-a@200000000}: tiommu0 stream 0; {@code dev-b@200010000}: tiommu0 stream 1 and
 *     tiommu1 stream 1 (two IOMMUs); {@code dev-c@200020000} and {@code dev-d@200030000}: both
 *     tiommu0 stream 3 (aliasing, one group); {@code dev-x@200040000}: tiommu2 stream 0 (behind a
 *     disabled IOMMU);</li>
 * <li>{@code pcie@300000000} with root port {@code pci@0,0} and functions {@code nic@0,0} (RID
 *     0x100) and {@code nic@0,1} (RID 0x101): {@code iommu-map <0x100 &tiommu1 4 0x100>} with
 *     {@code iommu-map-mask 0xfff8}, so both functions use tiommu1 stream 4 (one group).</li>
 * </ul>
 * No power domains.
 */
public final class TestBoards {

    /** Class-path resource of the testkit board. */
    public static final String TESTKIT_DTS = "boards/testkit.dts";

    private TestBoards() {
    }

    /** @return the testkit board's DTS source */
    public static byte[] testkitDts() {
        return resource(TESTKIT_DTS);
    }

    private static byte[] resource(String name) {
        try (InputStream in = TestBoards.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("board resource " + name + " is missing from the testkit bundle");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read board resource " + name, e);
        }
    }
}
