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
 *
 * <p>Apple fixture boards: our own reduced trees of the other Apple SoCs, written after
 * dart-facts §1.1 and §5 and the upstream device trees' addresses (each file's header says what
 * it models). All use #address-cells/#size-cells 2, an AIC-like controller with three-cell
 * specifiers {@code <0 N 4>}, and PMGR-like power states ({@code #power-domain-cells = <0>}).
 * <ul>
 * <li>{@code boards/iommulab-t6000.dts} (M1 Pro): seven "apple,t6000-dart" nodes. admac on
 *     {@code <&sio_dart_0 2>, <&sio_dart_1 2>} (both DARTs on AIC 1130); dwc3 on its DART pair,
 *     SIDs 0 and 1, shared AIC 1194; PCIe {@code iommu-map} (mask 0xff00): bus 1 (Wi-Fi fn 0 and
 *     Bluetooth fn 1) → pcie0_dart_0 SID 1, bus 2 (SD reader) → pcie0_dart_1 SID 1; pcie0_dart_2
 *     and its port are disabled; SART "apple,t6000-sart" at {@code /soc/iommu@393c50000} without
 *     #iommu-cells; RAM 2 × 4 GiB at 0x100_0000_0000 and 0x101_0000_0000.</li>
 * <li>{@code boards/iommulab-t8112.dts} (M2): seven "apple,t8110-dart" nodes. admac on sio_dart SID 2;
 *     dwc3 on its DART pair (SIDs 0/1, shared AIC 1035); PCIe: one DART per port and stream N-1
 *     for bus N (pcie0_dart SID 0: Wi-Fi + Bluetooth, pcie1_dart SID 1: Ethernet, pcie2_dart
 *     SID 2: xHCI), pcie3_dart and its port disabled; pcie0_dart has
 *     {@code iommulab,model-options = "streams=32"}; SART at {@code /soc/sart@27bc50000};
 *     8 GiB RAM at 0x8_0000_0000.</li>
 * <li>{@code boards/iommulab-t6020.dts} (M2 Pro): seven DARTs with
 *     {@code compatible = "apple,t6020-dart", "apple,t8110-dart"}. admac on sio_dart SID 2; dwc3
 *     on its DART pair (SIDs 0/1, shared AIC 1260); PCIe: bus N → pcie0_dart_(N-1) SID 1 (Wi-Fi +
 *     Bluetooth, Ethernet, xHCI), pcie0_dart_3 and its port disabled; SART at
 *     {@code /soc/sart@393c50000}; 8 GiB RAM at 0x100_0000_0000.</li>
 * <li>{@code boards/iommulab-t6002.dts} (M1 Ultra, two dies): die 0 under {@code /soc@200000000},
 *     die 1 under {@code /soc@2200000000} with the same node names and reg values (only the buses'
 *     ranges differ: die 1's 0x2_xxxx_xxxx and 0x7_xxxx_xxxx are at 0x22_… and 0x27_…); each die
 *     has a PMGR at {@code power-management@28e080000} and a dwc3 {@code usb@702280000} on its DART
 *     pair {@code iommu@702f00000}/{@code iommu@702f80000} (SIDs 0/1, AIC <0 die 1194 4>); die 0
 *     also has the SIO DART with admac on SID 2; one four-cell AIC2 on die 0; labels per die
 *     ({@code dwc3_0}, {@code dwc3_0_die1}); 8 GiB RAM at 0x100_0000_0000.</li>
 * </ul>
 */
public final class TestBoards {

    /** Class-path resource of the testkit board. */
    public static final String TESTKIT_DTS = "boards/testkit.dts";
    /** Class-path resource of the M1 Pro (t6000) fixture board. */
    public static final String T6000_DTS = "boards/iommulab-t6000.dts";
    /** Class-path resource of the M2 (t8112) fixture board. */
    public static final String T8112_DTS = "boards/iommulab-t8112.dts";
    /** Class-path resource of the M2 Pro (t6020) fixture board. */
    public static final String T6020_DTS = "boards/iommulab-t6020.dts";
    /** Class-path resource of the two-die M1 Ultra (t6002) fixture board. */
    public static final String T6002_DTS = "boards/iommulab-t6002.dts";

    private TestBoards() {
    }

    /** @return the testkit board's DTS source */
    public static byte[] testkitDts() {
        return resource(TESTKIT_DTS);
    }

    /** @return the M1 Pro (t6000) fixture board's DTS source */
    public static byte[] t6000Dts() {
        return resource(T6000_DTS);
    }

    /** @return the M2 (t8112) fixture board's DTS source */
    public static byte[] t8112Dts() {
        return resource(T8112_DTS);
    }

    /** @return the M2 Pro (t6020) fixture board's DTS source */
    public static byte[] t6020Dts() {
        return resource(T6020_DTS);
    }

    /** @return the two-die M1 Ultra (t6002) fixture board's DTS source */
    public static byte[] t6002Dts() {
        return resource(T6002_DTS);
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
