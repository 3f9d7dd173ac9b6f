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

    /**
     * Board twins: the nodes of this factory's hardware that stand in for IOMMU nodes of another
     * kind, so that the same masters on the same stream ids run behind this hardware. The sources are
     * the nodes of one linked set: nodes that share a master (a master names all of them). A factory
     * returns either one node (the set merged into one instance, for hardware whose driver serves a
     * master from one instance only) or one node per source, in the sources' order.
     *
     * @param linked original nodes that share masters, in DT order (never empty)
     * @return the replacement nodes, or an empty list if this hardware cannot stand in for others
     */
    default List<TwinNode> twin(List<TwinSource> linked) {
        return List.of();
    }

    /** @return true if {@link #twin} can stand in for other IOMMUs (the factory is a comparison backend) */
    default boolean makesTwins() {
        return false;
    }
}
