/** Hardware-facing contracts software uses: physical memory, page allocation, MMIO windows, interrupt lines, power, DMA masters. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package io.iommulab.api.machine;
