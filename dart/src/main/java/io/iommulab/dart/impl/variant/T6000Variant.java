package io.iommulab.dart.impl.variant;

import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartVariant;
import org.osgi.service.component.annotations.Component;

/** The built-in t6000 variant as a service: M1 Pro/Max/Ultra (t6000): T8020 registers, 16 streams, DART2 tables, OAS 42. */
@Component(service = DartVariant.class, property = DartVariant.PROPERTY + "=t6000")
public final class T6000Variant implements DartVariant {

    @Override
    public DartHw hw() {
        return DartVariants.T6000;
    }
}
