package io.iommulab.machine.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.DeviceTreeException;

import java.io.IOException;
import java.io.InputStream;

/**
 * Entry point for reading device trees: a DTB when the data starts with the FDT magic
 * 0xd00dfeed, DTS text otherwise.
 */
public final class DeviceTrees {
    /** Class-path folder holding the built-in boards ({@code default.dts}, ...). */
    public static final String BOARD_RESOURCES = "/boards/";

    private DeviceTrees() {
    }

    /**
     * @param source name used in error messages and returned by {@link DeviceTree#source()}
     * @param data   DTB bytes or UTF-8 DTS text
     * @return the immutable tree
     * @throws DeviceTreeException naming the offset or line and what was expected there
     */
    public static DeviceTree parse(String source, byte[] data) {
        if (FdtReader.looksLikeFdt(data)) {
            return FdtReader.read(source, data);
        }
        return DtsReader.read(source, data);
    }

    /**
     * Reads a board shipped in this bundle, e.g. {@code board("default")} for
     * {@code boards/default.dts}; the tree's source is {@code "builtin:<name>"}.
     */
    public static DeviceTree board(String name) {
        String source = "builtin:" + name;
        for (String ext : new String[] {".dts", ".dtb"}) {
            try (InputStream in = DeviceTrees.class.getResourceAsStream(BOARD_RESOURCES + name + ext)) {
                if (in != null) {
                    return parse(source, in.readAllBytes());
                }
            } catch (IOException e) {
                throw new DeviceTreeException(source, null, "expected a readable board resource, found " + e);
            }
        }
        throw new DeviceTreeException(source, null,
                "expected a board resource " + BOARD_RESOURCES + name + ".dts or .dtb, found none");
    }
}
