/**
 * Hardware-facing contracts software uses: physical memory, page allocation, MMIO windows, interrupt lines, power, DMA
 * masters. 1.4 added the machine's fail-nth countdown ({@link io.iommulab.api.machine.FailNth}) and its view of the
 * requested interrupt handlers ({@link io.iommulab.api.machine.Machine#irqHandlers}); 1.5 its view of an IOMMU's IOTLB
 * entries ({@link io.iommulab.api.machine.Machine#iotlbEntries}); 1.6 reading a board file with the machine's bounds
 * and checks ({@link io.iommulab.api.machine.MachineFactory#readBoard}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.6.0")
package io.iommulab.api.machine;
