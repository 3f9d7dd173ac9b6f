package io.iommulab.fuzz;

/** {@code boards/iommulab-fuzz.dts}: one master on each driver's IOMMU (its header says what it has). */
final class FuzzBoard {
    static final String RESOURCE = "boards/iommulab-fuzz.dts";
    static final String DART = "/soc/iommu@382f00000";
    static final String USB4_DART = "/soc/iommu@38b004000";
    static final String SMMU = "/soc/iommu@500000000";
    static final String TEST_IOMMU = "/soc/iommu@100000000";
    static final String USB = "/soc/usb@382280000";
    static final String NHI = "/soc/thunderbolt@38a000000";
    static final String DMA = "/soc/dma-controller@600000000";
    static final String DEV = "/soc/dev@200000000";
    static final String NIC = "/soc/pcie@690000000/pci@0,0/ethernet@0,0";

    private FuzzBoard() {
    }
}
