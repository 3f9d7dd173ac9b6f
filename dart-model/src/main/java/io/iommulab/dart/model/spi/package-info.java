/**
 * The DART model's variant SPI: what a hardware bundle publishes to add a DART variant to the
 * {@code apple-dart} hardware model (what one DART compatible is in silicon, dart-facts §1.1), and
 * the built-in descriptions it may start from. A variant is a
 * {@link io.iommulab.dart.model.spi.DartModelVariant} service with property
 * {@value io.iommulab.dart.model.spi.DartModelVariant#PROPERTY}; the {@code dart-model} bundle
 * registers one {@code IommuModelFactory} per variant service, so the machine plugs in the
 * variant's DARTs when the service arrives and unplugs them when it leaves. The driver half of a
 * variant is a separate bundle using {@code io.iommulab.dart.spi}: updating a driver never unplugs
 * hardware. Interfaces and records only.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.dart.model.spi;
