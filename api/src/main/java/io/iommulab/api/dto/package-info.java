/**
 * Read-only records returned by the shell and the services; JSON field names are the record
 * component names. 1.2 added {@link io.iommulab.api.dto.LiveUpdateDTO#fromHardware} and
 * {@link io.iommulab.api.dto.LiveUpdateDTO#callsWaited}; 1.3 the fail-nth countdown's state
 * ({@link io.iommulab.api.dto.FailNthDTO}); 1.4 the views of the DMA API at the prompt: an IOMMU model's live IOTLB
 * ({@link io.iommulab.api.dto.IotlbDTO}), what the DMA API mapped ({@link io.iommulab.api.dto.DmaMappingDTO}), a DMA
 * domain's IOVA allocator ({@link io.iommulab.api.dto.IovaDomainDTO}), a device's reserved regions
 * ({@link io.iommulab.api.dto.ResvRegionsDTO}) its domain's fault handler ({@link io.iommulab.api.dto.FaultHandlerDTO}) and the machine's RAM with the
 * page tables' domains ({@link io.iommulab.api.dto.RamDTO}); 1.5 the probe states as an enum,
 * {@link io.iommulab.api.dto.ProbeState} ({@link io.iommulab.api.dto.DeviceDTO#probeState}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.5.0")
package io.iommulab.api.dto;
