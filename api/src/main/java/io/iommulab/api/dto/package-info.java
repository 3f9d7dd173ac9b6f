/**
 * Read-only records returned by the shell and the services; JSON field names are the record
 * component names. 1.2 added {@link io.iommulab.api.dto.LiveUpdateDTO#fromHardware} and
 * {@link io.iommulab.api.dto.LiveUpdateDTO#callsWaited}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.iommulab.api.dto;
