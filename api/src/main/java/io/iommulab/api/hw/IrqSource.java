package io.iommulab.api.hw;

import org.osgi.annotation.versioning.ProviderType;

/** The model's end of an interrupt line. Raising runs the handlers requested on the line. */
@ProviderType
public interface IrqSource {

    /** Signals the interrupt; every handler requested on the line runs before this returns. */
    void raise();
}
