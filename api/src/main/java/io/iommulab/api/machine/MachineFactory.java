package io.iommulab.api.machine;

import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Boots the machine. A machine is booted once; it is registered as the {@link Machine} service and
 * lives as long as the machine bundle (hardware outlives software bundles).
 */
@ProviderType
public interface MachineFactory {

    /** Name of the built-in default board (an M1 Mac mini-like machine). */
    String DEFAULT_BOARD = "default";

    /**
     * Boots a board from a DTB or a DTS (the format is recognised by content).
     *
     * @param source name for messages (file path)
     * @param data   the file's bytes
     * @throws io.iommulab.api.error.DeviceTreeException for a malformed board, naming where
     * @throws io.iommulab.api.error.IommuException EBUSY if a machine is already booted
     */
    Machine boot(String source, byte[] data);

    /** Boots the built-in default board. */
    Machine bootDefault();

    /** @return the booted machine, if any */
    Optional<Machine> current();
}
