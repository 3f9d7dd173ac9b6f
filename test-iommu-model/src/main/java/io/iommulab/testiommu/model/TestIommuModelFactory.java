package io.iommulab.testiommu.model;

import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.TwinNode;
import io.iommulab.api.hw.TwinSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/** Makes a {@link TestIommuModel} for every "iommulab,test-iommu" node of a board. */
@Component(service = IommuModelFactory.class, property = "device.compatible=" + TestIommuRegs.COMPATIBLE)
public final class TestIommuModelFactory implements IommuModelFactory {

    /** Model name in listings. */
    public static final String NAME = "test-iommu";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> compatibles() {
        return List.of(TestIommuRegs.COMPATIBLE);
    }

    @Override
    public IommuModel create(ModelContext context) {
        return new TestIommuModel(context);
    }

    /** The test IOMMU stands in for others too: a comparison backend once its two bundles are installed. */
    @Override
    public boolean makesTwins() {
        return true;
    }

    /**
     * One test-iommu per source (its driver, like apple-dart, serves a master from several
     * instances), with as many streams as the masters use; at most 255 (the ID register's field).
     */
    @Override
    public List<TwinNode> twin(List<TwinSource> linked) {
        List<TwinNode> out = new ArrayList<>();
        for (TwinSource s : linked) {
            if (s.streams() > TestIommuRegs.ID_NUM_STREAMS_MASK) {
                return List.of();
            }
            out.add(new TwinNode(List.of(TestIommuRegs.COMPATIBLE), TestIommuRegs.REG_SIZE, 1, 1, Map.of(),
                    List.of("streams=" + Math.max(1, s.streams()))));
        }
        return out;
    }
}
