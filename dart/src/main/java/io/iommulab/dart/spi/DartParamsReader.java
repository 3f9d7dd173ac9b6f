package io.iommulab.dart.spi;

import io.iommulab.api.machine.MmioWindow;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * How probe reads page size, bypass support, IAS, OAS and the number of streams of one family
 * (the {@code switch (dart->hw->type)} of apple_dart_probe, dart-facts §1.8).
 */
@ConsumerType
@FunctionalInterface
public interface DartParamsReader {

    /**
     * Reads the PARAMS registers. Must not write anything: the DART is not reset yet.
     *
     * @param hw   the variant
     * @param regs the DART's registers
     */
    DartParams readParams(DartHw hw, MmioWindow regs);
}
