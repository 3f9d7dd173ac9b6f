package io.iommulab.fuzz;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The launcher's machine factory as it is after {@code machine:boot}, for the {@code machine:}
 * commands outside OSGi: the machine is the one booted, and a second boot is refused with EBUSY as
 * the factory refuses it. The shell target does not run {@code machine:boot FILE} (it would open
 * whatever file a fuzzed argument names), and the {@code machine:} commands use nothing else.
 */
final class BootedMachineFactory implements MachineFactory {
    private final Machine machine;

    BootedMachineFactory(Machine machine) {
        this.machine = machine;
    }

    @Override
    public Machine boot(String source, byte[] data) {
        throw busy();
    }

    @Override
    public Machine bootDefault() {
        throw busy();
    }

    private IommuException busy() {
        return new IommuException(Errno.EBUSY, "machine already booted with " + machine.deviceTree().source());
    }

    @Override
    public Optional<Machine> current() {
        return Optional.of(machine);
    }

    @Override
    public io.iommulab.api.dt.DeviceTree readBoard(java.nio.file.Path file) {
        throw new UnsupportedOperationException("not a machine: command");
    }

    @Override
    public DetachedMachine bootDetached(String source, byte[] data, Map<String, String> properties) {
        throw new UnsupportedOperationException("not a machine: command");
    }

    @Override
    public byte[] twin(DeviceTree board, String model) {
        throw new UnsupportedOperationException("not a machine: command");
    }

    @Override
    public List<String> twinModels() {
        throw new UnsupportedOperationException("not a machine: command");
    }
}
