/**
 * Hardware: the test IOMMU ({@code iommulab,test-iommu}) for the simulated machine — register block,
 * two-level table walker, per-stream IOTLB, error unit — and its board-twin recipe. Private to the
 * bundle: the only service is {@link io.iommulab.testiommu.model.TestIommuModelFactory}
 * ({@code IommuModelFactory}); it depends on the {@code api} bundle only. The datasheet it
 * implements is {@code test-iommu-model/README.md}.
 */
package io.iommulab.testiommu.model;
