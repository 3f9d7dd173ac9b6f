/**
 * Page-table format SPI (= include/linux/io-pgtable.h): formats are services looked up by name
 * (service property {@code pgtable.format}); drivers never encode entries themselves.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.api.pgtable;
