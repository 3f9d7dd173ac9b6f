package io.iommulab.dart.spi;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * {@code apple_dart_hw::invalidate_tlb}: drop the IOTLB entries of whole streams (the DART cannot
 * invalidate by address, dart-facts §1.9). The driver calls it with the DART's invalidation lock
 * held, so select → command → poll sequences never interleave.
 */
@ConsumerType
@FunctionalInterface
public interface DartTlbInvalidator {

    /**
     * Invalidates every stream set in {@code sidmap} below {@code dart.numStreams()} and waits
     * until the hardware reports completion.
     *
     * @param dart   the DART
     * @param sidmap the streams: bit {@code n % 64} of word {@code n / 64} is SID {@code n}
     *               (256 bits, 4 words)
     * @throws io.iommulab.api.error.IommuException ETIMEDOUT "busy bit did not clear after
     *         command ... for streams ..." when the hardware stays busy
     */
    void invalidateTlb(DartMmio dart, long[] sidmap);
}
