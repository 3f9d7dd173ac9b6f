package io.iommulab.api.dt;

import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A whole device tree, read from a DTB or a DTS file. Immutable once built.
 */
@ProviderType
public interface DeviceTree {

    /** @return where the tree came from (file name or {@code "builtin:<name>"}) */
    String source();

    /** @return the root node */
    DtNode root();

    /** @return the node at a full path, e.g. {@code "/soc/usb@382280000"} */
    Optional<DtNode> node(String path);

    /** @return the node carrying this phandle */
    Optional<DtNode> byPhandle(int phandle);

    /** @return the node carrying this DTS label (DTB: only when {@code __symbols__} is present) */
    Optional<DtNode> byLabel(String label);

    /** @return every node, depth first in source order */
    List<DtNode> allNodes();

    /** @return the root's {@code model} string, or the source name */
    default String model() {
        return root().property("model").map(DtProperty::string).orElse(source());
    }
}
