package io.iommulab.fuzz;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;
import java.util.HexFormat;

/** What a fuzz target compares of two trees: every node path with its properties' names and bytes. */
final class Trees {
    private Trees() {
    }

    /** @return one line per node and property, in tree order */
    static String dump(DeviceTree tree) {
        StringBuilder sb = new StringBuilder();
        for (DtNode n : tree.allNodes()) {
            sb.append(n.path()).append('\n');
            for (DtProperty p : n.properties().values()) {
                sb.append("  ").append(p.name()).append(" = ").append(HexFormat.of().formatHex(p.value())).append('\n');
            }
        }
        return sb.toString();
    }
}
