package io.iommulab.dart.impl.variant;

import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartVariant;
import org.osgi.service.component.annotations.Component;

/** The built-in t8110 variant as a service: M2 (t8112) and, through the fallback compatible, M2 Pro/Max (t6020): T8110 layout, streams/IAS/OAS from PARAMS3/4, DART2 tables. */
@Component(service = DartVariant.class, property = DartVariant.PROPERTY + "=t8110")
public final class T8110Variant implements DartVariant {

    @Override
    public DartHw hw() {
        return DartVariants.T8110;
    }
}
