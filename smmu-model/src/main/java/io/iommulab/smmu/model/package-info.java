/**
 * Hardware: an ARM SMMUv2 model ({@code arm,smmu-v2}) for the simulated machine — stream matching or
 * indexing, S2CRs, context banks with a stage-1 AArch64 LPAE walker, an ASID-tagged FIFO TLB, global
 * and context fault units — and its board-twin recipe. Private to the bundle: the only service is
 * {@link io.iommulab.smmu.model.SmmuModelFactory} ({@code IommuModelFactory}); it depends only on the
 * {@code api} bundle (dart-facts §4, {@code SMMU-CONTRACT.md}).
 */
package io.iommulab.smmu.model;
