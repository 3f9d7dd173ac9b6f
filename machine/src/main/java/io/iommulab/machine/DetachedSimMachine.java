package io.iommulab.machine;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.machine.RamRegion;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A private machine (see {@link io.iommulab.api.machine.MachineFactory#bootDetached}): a
 * {@link SimMachine} behind the {@link DetachedMachine} interface, so that only its owner can close
 * it (the registered machine offers no close).
 */
public final class DetachedSimMachine implements DetachedMachine {
    private final SimMachine machine;
    private volatile boolean closed;

    public DetachedSimMachine(SimMachine machine) {
        this.machine = machine;
    }

    /** @return the machine implementation (shell and tests) */
    public SimMachine sim() {
        return machine;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        machine.unplugAll();
    }

    @Override public DeviceTree deviceTree() { return machine.deviceTree(); }
    @Override public List<RamRegion> ram() { return machine.ram(); }
    @Override public PhysicalMemory memory() { return machine.memory(); }
    @Override public PageAllocator pages() { return machine.pages(); }
    @Override public MmioWindow ioremap(DtNode node, int index) { return machine.ioremap(node, index); }
    @Override public IrqLine irq(DtNode node, int index) { return machine.irq(node, index); }
    @Override public void pmDomainAttach(DtNode node) { machine.pmDomainAttach(node); }
    @Override public void pmDomainDetach(DtNode node) { machine.pmDomainDetach(node); }
    @Override public boolean isPowered(DtNode node) { return machine.isPowered(node); }
    @Override public void setBusMonitor(io.iommulab.api.machine.BusMonitor monitor) { machine.setBusMonitor(monitor); }
    @Override public List<IommuHardware> iommuHardware() { return machine.iommuHardware(); }
    @Override public List<DmaMaster> masters() { return machine.masters(); }
    @Override public Optional<DmaMaster> master(String path) { return machine.master(path); }
    @Override public Map<String, Long> hardwareCounters(String iommuPath) { return machine.hardwareCounters(iommuPath); }
    @Override public List<io.iommulab.api.hw.IotlbEntry> iotlbEntries(String iommuPath) { return machine.iotlbEntries(iommuPath); }
    @Override public io.iommulab.api.machine.FailNth failNth() { return machine.failNth(); }
    @Override public Map<String, List<String>> irqHandlers() { return machine.irqHandlers(); }
    @Override public io.iommulab.api.hw.TableWalk hardwareWalk(String iommuPath, int sid, long iova) {
        return machine.hardwareWalk(iommuPath, sid, iova);
    }

    @Override
    public String toString() {
        return "DetachedMachine[" + machine.deviceTree().source() + (closed ? ", closed]" : "]");
    }
}
