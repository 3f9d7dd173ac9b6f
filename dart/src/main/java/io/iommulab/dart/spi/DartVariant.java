package io.iommulab.dart.spi;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A DART variant, published as a service with property {@value #PROPERTY}{@code =<name>}. For every
 * variant service the driver bundle starts one {@code IommuDriver} service binding the variant's
 * compatibles; when the variant service goes away its driver goes too (the core releases the
 * masters and removes the DARTs, resetting them).
 */
@ConsumerType
public interface DartVariant {

    /** Service property naming the variant ({@link DartHw.Identity#name()}); the variant's driver carries it too. */
    String PROPERTY = "dart.variant";

    /** @return the variant description; the same record on every call */
    DartHw hw();
}
