package io.iommulab.smmu.impl;

/** DT paths of the test boards in {@code smmu-boards/}. */
final class Board {

    private Board() {
    }

    static final String SMMU0 = "/soc/iommu@500000000";
    static final String SMMU1 = "/soc/iommu@510000000";
    static final String SMMU2 = "/soc/iommu@520000000";
    static final String SMMU3 = "/soc/iommu@530000000";

    static final String DMA = "/soc/dma-controller@600000000";
    static final String GPU = "/soc/gpu@601000000";
    static final String DISPLAY = "/soc/display@602000000";
    static final String DISPLAY_AUX = "/soc/display-aux@602100000";
    static final String BAD_SID = "/soc/bad-sid@603000000";
    static final String DUAL = "/soc/dual@604000000";
    static final String BRIDGE = "/soc/bridge@605000000";
    static final String JOINER = "/soc/joiner@606000000";
    static final String LATE = "/soc/late@607000000";
    static final String VIDEO = "/soc/video@610000000";
    static final String VIDEO_OVERLAP = "/soc/video-overlap@611000000";
    static final String VIDEO_SUB = "/soc/video-sub@612000000";
    static final String BAD_MASK = "/soc/bad-mask@613000000";
    static final String M1 = "/soc/m1@620000000";
    static final String M2 = "/soc/m2@621000000";
    static final String M3 = "/soc/m3@622000000";
    static final String IDX_A = "/soc/idx-a@630000000";
    static final String IDX_B = "/soc/idx-b@631000000";
    static final String IDX_C = "/soc/idx-c@632000000";
    static final String NIC0 = "/soc/pcie@700000000/pci@0,0/ethernet@0,0";
    static final String NIC1 = "/soc/pcie@700000000/pci@0,0/ethernet@0,1";

    /* smmu-faulty */
    static final String NO_GLOBAL = "/soc/iommu@500000000";
    static final String GLOBAL_ONLY = "/soc/iommu@510000000";
    static final String FEW_IRQS = "/soc/iommu@520000000";
    static final String GOOD = "/soc/iommu@530000000";
    static final String WAITING = "/soc/dma@600000000";
    static final String WORKING = "/soc/dma@601000000";

    /* smmu-stuck */
    static final String STUCK = "/soc/iommu@500000000";
    static final String NARROW = "/soc/iommu@510000000";
    static final String STUCK_DMA = "/soc/dma@600000000";
    static final String NARROW_DMA = "/soc/dma@610000000";
    static final String TOO_WIDE = "/soc/dma@611000000";
}
