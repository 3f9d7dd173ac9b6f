package io.iommulab.api.machine;

import io.iommulab.api.dt.DeviceTree;
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

    /**
     * Reads a board file as {@code machine:boot FILE} and the launcher's {@code --board} do, without
     * booting it: at most one byte more than the largest tree the readers accept (so a huge file or
     * a device costs no more memory than a valid board), parsed and checked.
     *
     * @param file a DTB or DTS file
     * @return the checked tree, whose source is the file's name
     * @throws io.iommulab.api.error.IommuException ENOENT naming a missing file, EINVAL a folder,
     *         EIO an unreadable file; a {@link io.iommulab.api.error.DeviceTreeException} naming
     *         the place at fault in a file too large, malformed or refused by the board check
     */
    DeviceTree readBoard(java.nio.file.Path file);

    /** Boots the built-in default board. */
    Machine bootDefault();

    /** @return the booted machine, if any */
    Optional<Machine> current();

    /** Machine property that makes every MMIO window count its accesses (counters {@code mmio.reads}, {@code mmio.writes}). */
    String MMIO_COUNT_PROPERTY = "iommulab.mmio.count";

    /**
     * Boots a private machine that is not registered as the {@link Machine} service and does not
     * count as "the" booted machine. It has the model factories registered now.
     *
     * @param source     name for messages
     * @param data       DTB or DTS bytes
     * @param properties machine properties, e.g. {@value #MMIO_COUNT_PROPERTY}{@code =true} or
     *                   {@code iommulab.model.<node-path>.<key>} model options
     * @throws io.iommulab.api.error.DeviceTreeException for a malformed board
     */
    DetachedMachine bootDetached(String source, byte[] data, java.util.Map<String, String> properties);

    /**
     * A board twin: the same board with every IOMMU node that model {@code model} does not implement
     * replaced by what that model's factory puts in its place ({@link io.iommulab.api.hw.IommuModelFactory#twin}),
     * masters and stream ids unchanged. Nodes the model already implements stay as they are.
     *
     * @param board the original tree
     * @param model a model factory name, e.g. {@code "arm-smmu-v2"} or {@code "apple-dart"}
     * @return the twin as a DTB
     * @throws io.iommulab.api.error.IommuException ENODEV if no registered factory has that name, EINVAL
     *         if it cannot stand in for a node of the board (naming the node)
     */
    byte[] twin(DeviceTree board, String model);

    /** @return names of the registered model factories that can make board twins */
    java.util.List<String> twinModels();
}
