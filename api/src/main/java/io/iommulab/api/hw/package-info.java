/**
 * Hardware-model SPI: what an IOMMU hardware model implements and what the machine gives it (register tables, memory,
 * interrupts). 1.3 added the hardware injection points of fail-nth ({@link io.iommulab.api.hw.ModelContext#shouldFail});
 * 1.4 a model's view of its IOTLB's live entries, for tools ({@link io.iommulab.api.hw.IommuModel#iotlbEntries}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package io.iommulab.api.hw;
