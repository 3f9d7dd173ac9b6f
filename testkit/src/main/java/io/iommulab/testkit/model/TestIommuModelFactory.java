package io.iommulab.testkit.model;

import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.testkit.spec.TestIommuRegs;
import java.util.List;
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
}
