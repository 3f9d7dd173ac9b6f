package io.iommulab.api.machine;

import org.osgi.annotation.versioning.ProviderType;

/** A requested interrupt handler; {@link #free()} is free_irq. */
@ProviderType
public interface IrqRegistration {
    void free();
}
