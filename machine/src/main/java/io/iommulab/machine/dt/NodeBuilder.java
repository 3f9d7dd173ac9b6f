package io.iommulab.machine.dt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mutable node used while a reader assembles a tree; {@link Tree} freezes it into {@link Node}s.
 * Field meanings: {@code name} with unit address ({@code ""} for the root), {@code properties} raw
 * values in source order, {@code children} in source order, {@code labels} DTS labels.
 */
final class NodeBuilder {
    final String name;
    final Map<String, byte[]> properties = new LinkedHashMap<>();
    final List<NodeBuilder> children = new ArrayList<>();
    final List<String> labels = new ArrayList<>();

    NodeBuilder(String name) {
        this.name = name;
    }

    NodeBuilder child(String childName) {
        for (NodeBuilder c : children) {
            if (c.name.equals(childName)) {
                return c;
            }
        }
        return null;
    }

    /** @return the descendant at an absolute path, or null */
    NodeBuilder find(String path) {
        if (!path.startsWith("/")) {
            return null;
        }
        NodeBuilder n = this;
        for (String part : path.substring(1).split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            n = n.child(part);
            if (n == null) {
                return null;
            }
        }
        return n;
    }
}
