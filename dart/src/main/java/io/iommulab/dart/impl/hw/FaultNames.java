package io.iommulab.dart.impl.hw;

/** The fault names the driver prints (dart-facts §1.7), shared by both families. */
final class FaultNames {

    static final String READ_FAULT = "READ FAULT";
    static final String WRITE_FAULT = "WRITE FAULT";
    static final String NO_PTE = "NO PTE FOR IOVA";
    static final String NO_PMD = "NO PMD FOR IOVA";
    static final String NO_PGD = "NO PGD FOR IOVA";
    static final String NO_TTBR = "NO TTBR FOR IOVA";
    /** any other code, including two bits at once ("there should only be a single bit set") */
    static final String UNKNOWN = "unknown";

    private FaultNames() {
    }
}
