/**
 * The DART variant SPI: what a bundle publishes to teach the {@code apple-dart} driver a new DART
 * variant (= one {@code struct apple_dart_hw} entry of Linux's match table, dart-facts §1.1), and
 * the built-in family strategies it may reuse. A variant is a {@link io.iommulab.dart.spi.DartVariant}
 * service with property {@value io.iommulab.dart.spi.DartVariant#PROPERTY}; the driver bundle
 * starts one {@code IommuDriver} per variant service. Interfaces and records only (plus the
 * {@link io.iommulab.dart.spi.DartLayout} constants).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.0.0")
package io.iommulab.dart.spi;
