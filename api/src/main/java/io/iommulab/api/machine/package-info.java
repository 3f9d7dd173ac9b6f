/**
 * Hardware-facing contracts software uses: physical memory, page allocation, MMIO windows, interrupt lines, power, DMA
 * masters. 1.4 added the machine's fail-nth countdown ({@link io.iommulab.api.machine.FailNth}) and its view of the
 * requested interrupt handlers ({@link io.iommulab.api.machine.Machine#irqHandlers}); 1.5 its view of an IOMMU's IOTLB
 * entries ({@link io.iommulab.api.machine.Machine#iotlbEntries}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.5.0")
package io.iommulab.api.machine;
