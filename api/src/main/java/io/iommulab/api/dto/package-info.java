/** Read-only records returned by the shell and the services; JSON field names are the record component names. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.iommulab.api.dto;
