/**
 * Hardware-model SPI: what an IOMMU hardware model implements and what the machine gives it (register tables, memory,
 * interrupts). 1.3 added the hardware injection points of fail-nth ({@link io.iommulab.api.hw.ModelContext#shouldFail}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.iommulab.api.hw;
