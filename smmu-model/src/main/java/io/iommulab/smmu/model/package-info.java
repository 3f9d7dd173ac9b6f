/**
 * Hardware: an ARM SMMUv2 model ({@code arm,smmu-v2}) for the simulated machine — stream matching or
 * indexing, S2CRs, context banks with a stage-1 AArch64 LPAE walker, an ASID-tagged FIFO TLB, global
 * and context fault units — and its board-twin recipe. Private to the bundle: the only service is
 * {@link io.iommulab.smmu.model.SmmuModelFactory} ({@code IommuModelFactory}); it depends on the
 * {@code api} and {@code lib} bundles and the machine's {@code io.iommulab.machine.hw} only (dart-facts §4, the
 * contract {@code smmu-model/README.md}).
 */
package io.iommulab.smmu.model;
