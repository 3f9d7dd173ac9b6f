package io.iommulab.api.driver;

import org.osgi.annotation.versioning.ProviderType;

/** The core's group helpers a driver's device_group may call. */
@ProviderType
public interface GroupFactory {

    /** generic_device_group: a new group for this device */
    IommuGroup generic(IommuMaster dev);

    /**
     * pci_device_group: the group of another function of the same PCI device when functions are
     * not isolated from each other (no ACS in the simulated fabric), else a new group.
     */
    IommuGroup pci(IommuMaster dev);
}
