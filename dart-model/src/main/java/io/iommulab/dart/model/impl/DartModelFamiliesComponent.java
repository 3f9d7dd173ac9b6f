package io.iommulab.dart.model.impl;

import io.iommulab.dart.model.spi.DartModelFamilies;
import io.iommulab.dart.model.spi.DartModelHw;
import org.osgi.service.component.annotations.Component;

/** The built-in variant descriptions, for variant hardware bundles (see {@link DartModelFamilies}). */
@Component(service = DartModelFamilies.class)
public final class DartModelFamiliesComponent implements DartModelFamilies {

    @Override
    public DartModelHw t8103() {
        return DartModelVariants.T8103;
    }

    @Override
    public DartModelHw t6000() {
        return DartModelVariants.T6000;
    }

    @Override
    public DartModelHw t8110() {
        return DartModelVariants.T8110;
    }

    @Override
    public DartModelHw t6020() {
        return DartModelVariants.T6020;
    }
}
