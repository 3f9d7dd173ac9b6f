package io.iommulab.api.hw;

/** The model's end of an interrupt line. Raising runs the handlers requested on the line. */
public interface IrqSource {

    /** Signals the interrupt; every handler requested on the line runs before this returns. */
    void raise();
}
