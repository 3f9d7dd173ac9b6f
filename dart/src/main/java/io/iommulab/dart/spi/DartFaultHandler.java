package io.iommulab.dart.spi;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The family part of {@code apple_dart_hw::irq_handler} and of the error steps of the hardware
 * reset (dart-facts §1.7, §1.8 steps 5–6). The driver does the common part: logging rate-limited
 * and reporting the fault. Runs in interrupt context: implementations touch registers only.
 */
@ConsumerType
public interface DartFaultHandler {

    /**
     * Reads ERROR and ERROR_ADDR and decodes them.
     *
     * @return the latched error, or null when ERROR.FLAG is clear (not this DART's interrupt: the
     *         line may be shared)
     */
    DartFault readFault(DartMmio dart);

    /** Clears a latched error after it was reported (ERROR is write-1-to-clear). */
    void clearFault(DartMmio dart, DartFault fault);

    /**
     * Hardware reset, error part: clear any pending error before the interrupt is requested, and
     * unmask every error where the family has a mask.
     */
    void resetErrors(DartMmio dart);
}
