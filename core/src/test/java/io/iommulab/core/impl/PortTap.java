package io.iommulab.core.impl;

import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.hw.TwinNode;
import io.iommulab.api.hw.TwinSource;
import io.iommulab.testiommu.model.TestIommuModelFactory;
import java.util.List;

/**
 * The test IOMMU's model factory, keeping the machine's bus port the models report stale IOTLB
 * hits to ({@link ModelContext#translationCheck()}): a test reports a hit through it as a model
 * does, and reads {@link TranslationCheck#enabled()} (true while a monitor is attached).
 */
final class PortTap implements IommuModelFactory {

    private final TestIommuModelFactory inner = new TestIommuModelFactory();
    volatile TranslationCheck port;

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public List<String> compatibles() {
        return inner.compatibles();
    }

    @Override
    public IommuModel create(ModelContext context) {
        port = context.translationCheck();
        return inner.create(context);
    }

    @Override
    public List<TwinNode> twin(List<TwinSource> linked) {
        return inner.twin(linked);
    }

    @Override
    public boolean makesTwins() {
        return inner.makesTwins();
    }
}
