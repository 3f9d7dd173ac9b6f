package io.iommulab.api.dt;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A node of the device tree. Paths use the full node name including the unit address, as Linux
 * prints them ({@code /soc/iommu@382f00000}).
 */
@ProviderType
public interface DtNode {

    /** @return node name with unit address, e.g. {@code "iommu@382f00000"}; {@code ""} for the root */
    String name();

    /** @return the full path, {@code "/"} for the root */
    String path();

    /** @return the parent, empty for the root */
    Optional<DtNode> parent();

    /** @return children in source order */
    List<DtNode> children();

    /** @return properties in source order, keyed by name */
    Map<String, DtProperty> properties();

    /** @return the phandle of this node, 0 if it has none */
    int phandle();

    /** @return labels given to this node in DTS source (empty for a DTB without symbols) */
    List<String> labels();

    default Optional<DtProperty> property(String name) {
        return Optional.ofNullable(properties().get(name));
    }

    default boolean hasProperty(String name) {
        return properties().containsKey(name);
    }

    /** @return the {@code compatible} strings, most specific first; empty if absent */
    default List<String> compatible() {
        return property("compatible").map(DtProperty::strings).orElse(List.of());
    }

    /**
     * @return true if this node and every ancestor have {@code status} absent, "okay" or "ok"
     *         (Linux's of_device_is_available applied up the tree, as the platform bus does)
     */
    boolean isAvailable();

    /** @return this node's {@code reg} entries as CPU physical ranges */
    List<RegRange> reg();

    /**
     * @return the cell value of an integer property such as {@code #iommu-cells}, or
     *         {@code defaultValue} if absent
     */
    default int u32(String name, int defaultValue) {
        return property(name).map(DtProperty::u32).orElse(defaultValue);
    }
}
