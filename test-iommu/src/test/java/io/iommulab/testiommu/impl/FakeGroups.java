package io.iommulab.testiommu.impl;

import io.iommulab.api.driver.GroupFactory;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.IommuMaster;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The core's group helpers: generic groups, and one group per PCI device (functions share). */
public final class FakeGroups implements GroupFactory {

    /** A group. */
    public static final class Group implements IommuGroup {
        private final int id;
        public final List<IommuMaster> devices = new ArrayList<>();
        private Object iommuData;

        Group(int id) {
            this.id = id;
        }

        @Override
        public int id() {
            return id;
        }

        @Override
        public void setIommuData(Object data, Runnable release) {
            iommuData = data;
        }

        @Override
        public Object iommuData() {
            return iommuData;
        }

        @Override
        public List<IommuMaster> devices() {
            return devices;
        }
    }

    private int nextId;
    public int genericCalls;
    public int pciCalls;
    private final Map<Integer, Group> pciDevices = new HashMap<>();

    @Override
    public synchronized IommuGroup generic(IommuMaster dev) {
        genericCalls++;
        return new Group(nextId++);
    }

    @Override
    public synchronized IommuGroup pci(IommuMaster dev) {
        pciCalls++;
        return pciDevices.computeIfAbsent(dev.requesterId() >> 3, k -> new Group(nextId++));
    }
}
