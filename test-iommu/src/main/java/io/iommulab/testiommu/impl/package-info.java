/**
 * Software: the test IOMMU's driver ({@code iommulab,test-iommu}), written against the datasheet in
 * {@code test-iommu-model/README.md}. It reaches the hardware only through the MMIO window, the
 * fault interrupt and the physical memory of the core's {@code PlatformDevice}. Private to the
 * bundle: the only service is {@link io.iommulab.testiommu.impl.TestIommuDriver} ({@code IommuDriver}).
 */
package io.iommulab.testiommu.impl;
