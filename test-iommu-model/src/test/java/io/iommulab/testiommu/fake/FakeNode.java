package io.iommulab.testiommu.fake;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;
import io.iommulab.api.dt.RegRange;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A device-tree node with just a path. */
public record FakeNode(String path) implements DtNode {

    @Override
    public String name() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    @Override
    public Optional<DtNode> parent() {
        return Optional.empty();
    }

    @Override
    public List<DtNode> children() {
        return List.of();
    }

    @Override
    public Map<String, DtProperty> properties() {
        return Map.of();
    }

    @Override
    public int phandle() {
        return 0;
    }

    @Override
    public List<String> labels() {
        return List.of();
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public List<RegRange> reg() {
        return List.of();
    }
}
