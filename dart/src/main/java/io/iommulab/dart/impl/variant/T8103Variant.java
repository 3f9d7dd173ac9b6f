package io.iommulab.dart.impl.variant;

import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartVariant;
import org.osgi.service.component.annotations.Component;

/** The built-in t8103 variant as a service: M1 (t8103): T8020 layout, 16 streams, DART1 tables, OAS 36. */
@Component(service = DartVariant.class, property = DartVariant.PROPERTY + "=t8103")
public final class T8103Variant implements DartVariant {

    @Override
    public DartHw hw() {
        return DartVariants.T8103;
    }
}
