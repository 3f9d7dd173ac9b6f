package io.iommulab.api.hw;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Makes hardware models for DT nodes by {@code compatible}. Registered as a service (the machine
 * bundle's built-in models, or a bundle that brings new hardware); the machine instantiates one
 * model per matching IOMMU node.
 */
@ConsumerType
public interface IommuModelFactory {

    /** @return model name for listings, e.g. {@code "dart-t8020"} */
    String name();

    /** @return compatible strings this model implements */
    List<String> compatibles();

    IommuModel create(ModelContext context);
}
