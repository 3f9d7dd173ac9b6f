package io.iommulab.dart.impl;

import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.impl.hw.T8020Family;
import io.iommulab.dart.impl.hw.T8110Family;
import io.iommulab.dart.spi.DartFamilies;
import io.iommulab.dart.spi.DartFaultHandler;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartParamsReader;
import io.iommulab.dart.spi.DartTlbInvalidator;
import org.osgi.service.component.annotations.Component;

/** The built-in variants and family strategies, for variant bundles (see {@link DartFamilies}). */
@Component(service = DartFamilies.class)
public final class DartFamiliesComponent implements DartFamilies {

    @Override
    public DartHw t8103() {
        return DartVariants.T8103;
    }

    @Override
    public DartHw t6000() {
        return DartVariants.T6000;
    }

    @Override
    public DartHw t8110() {
        return DartVariants.T8110;
    }

    @Override
    public DartParamsReader t8020Params() {
        return T8020Family.INSTANCE;
    }

    @Override
    public DartTlbInvalidator t8020Invalidator() {
        return T8020Family.INSTANCE;
    }

    @Override
    public DartFaultHandler t8020FaultHandler() {
        return T8020Family.INSTANCE;
    }

    @Override
    public DartParamsReader t8110Params() {
        return T8110Family.INSTANCE;
    }

    @Override
    public DartTlbInvalidator t8110Invalidator() {
        return T8110Family.INSTANCE;
    }

    @Override
    public DartFaultHandler t8110FaultHandler() {
        return T8110Family.INSTANCE;
    }
}
