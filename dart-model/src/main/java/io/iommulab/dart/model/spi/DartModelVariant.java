package io.iommulab.dart.model.spi;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A DART variant's hardware, published as a service with property {@value #PROPERTY}{@code =<name>}
 * by the bundle that brings it. For every variant service the {@code dart-model} bundle registers
 * one {@code IommuModelFactory} for the variant's compatibles (carrying the same property); when the
 * service goes away that factory goes too, and the machine unplugs the variant's DARTs.
 */
@ConsumerType
public interface DartModelVariant {

    /** Service property naming the variant ({@link DartModelHw#name()}); its model factory carries it too. */
    String PROPERTY = "dart.model.variant";

    /** @return the variant's description; the same record on every call */
    DartModelHw hw();
}
