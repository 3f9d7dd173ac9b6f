/** Hardware-model SPI: what an IOMMU hardware model implements and what the machine gives it (register tables, memory, interrupts). */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.iommulab.api.hw;
