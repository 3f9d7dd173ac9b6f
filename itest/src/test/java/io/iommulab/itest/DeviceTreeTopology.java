package io.iommulab.itest;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;
import io.iommulab.api.dto.StreamRefDTO;
import java.util.ArrayList;
import java.util.List;

/**
 * The check's own reading of a board's DART topology from its device tree, for boards without an
 * inventory: DART nodes by compatible, {@code iommus} phandle lists split by each provider's
 * {@code #iommu-cells}, and PCI functions mapped through their host bridge's {@code iommu-map} /
 * {@code iommu-map-mask} (of_map_id). Deliberately written apart from the machine's readers, so
 * that the machine and the core are compared against something they did not compute.
 */
final class DeviceTreeTopology {
    private static final int MAP_ENTRY_CELLS = 4;

    private DeviceTreeTopology() {
    }

    static ExpectedTopology read(DeviceTree t) {
        List<ExpectedTopology.Dart> darts = new ArrayList<>();
        List<ExpectedTopology.Master> masters = new ArrayList<>();
        for (DtNode n : t.allNodes()) {
            if (DartVariantNames.isDart(n.compatible())) {
                darts.add(new ExpectedTopology.Dart(n.path(), n.compatible(),
                        DartVariantNames.matchedCompatible(n.compatible()), n.isAvailable()));
            }
            if (n.hasProperty("iommus")) {
                List<StreamRefDTO> streams = iommus(t, n);
                if (streams.stream().allMatch(s -> isDart(t, s.iommu()))) {
                    masters.add(new ExpectedTopology.Master(n.path(), -1, streams, n.isAvailable()));
                }
            }
            if (n.hasProperty("iommu-map")) {
                pciFunctions(t, n, n, masters);
            }
        }
        return new ExpectedTopology(t.source() + " (device tree)", darts, masters);
    }

    private static boolean isDart(DeviceTree t, String path) {
        return t.node(path).map(n -> DartVariantNames.isDart(n.compatible())).orElse(false);
    }

    /** {@code iommus = <&iommu arg...>, ...}; a 0 phandle is an empty entry. */
    private static List<StreamRefDTO> iommus(DeviceTree t, DtNode n) {
        int[] c = n.properties().get("iommus").cells();
        List<StreamRefDTO> out = new ArrayList<>();
        for (int i = 0; i < c.length;) {
            if (c[i] == 0) {
                i++;
                continue;
            }
            DtNode iommu = provider(t, n, "iommus", c[i]);
            int cells = iommu.u32("#iommu-cells", -1);
            if (cells < 1 || i + cells >= c.length) {
                throw new AssertionError(n.path() + ": iommus entry for " + iommu.path() + " needs #iommu-cells >= 1 and "
                        + cells + " argument cells; the tree has " + (c.length - i - 1) + " left");
            }
            out.add(new StreamRefDTO(iommu.path(), c[i + 1]));
            i += 1 + cells;
        }
        return out;
    }

    /** Every PCI function below {@code parent} that {@code bridge}'s iommu-map sends to a DART. */
    private static void pciFunctions(DeviceTree t, DtNode bridge, DtNode parent, List<ExpectedTopology.Master> out) {
        for (DtNode c : parent.children()) {
            if (c.hasProperty("reg") && parent.u32("#address-cells", 2) == 3) {
                int rid = (c.properties().get("reg").cells()[0] >>> 8) & 0xffff;
                StreamRefDTO s = mapRid(t, bridge, rid);
                if (s != null && isDart(t, s.iommu())) {
                    out.add(new ExpectedTopology.Master(c.path(), rid, List.of(s), c.isAvailable()));
                }
            }
            pciFunctions(t, bridge, c, out);
        }
    }

    /** of_map_id: the masked RID inside an entry {@code <rid-base &iommu sid-base length>}. */
    private static StreamRefDTO mapRid(DeviceTree t, DtNode bridge, int rid) {
        int[] m = bridge.properties().get("iommu-map").cells();
        DtProperty maskProp = bridge.properties().get("iommu-map-mask");
        long masked = Integer.toUnsignedLong(rid & (maskProp == null ? 0xffffffff : maskProp.u32()));
        for (int i = 0; i + MAP_ENTRY_CELLS <= m.length; i += MAP_ENTRY_CELLS) {
            long base = Integer.toUnsignedLong(m[i]);
            if (masked >= base && masked - base < Integer.toUnsignedLong(m[i + 3])) {
                DtNode iommu = provider(t, bridge, "iommu-map", m[i + 1]);
                return new StreamRefDTO(iommu.path(), (int) (m[i + 2] + (masked - base)));
            }
        }
        return null;
    }

    private static DtNode provider(DeviceTree t, DtNode n, String prop, int phandle) {
        return t.byPhandle(phandle).orElseThrow(() -> new AssertionError(
                n.path() + ": " + prop + " names phandle 0x" + Integer.toHexString(phandle) + ", which no node has"));
    }
}
