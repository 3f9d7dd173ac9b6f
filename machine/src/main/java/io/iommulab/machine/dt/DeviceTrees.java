package io.iommulab.machine.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Entry point for reading device trees: a DTB when the data starts with the FDT magic
 * 0xd00dfeed, DTS text otherwise (binary data that is neither is refused as such).
 */
public final class DeviceTrees {
    /** Class-path folder holding the built-in boards ({@code default.dts}, ...). */
    public static final String BOARD_RESOURCES = "/boards/";
    /** Size of a DTB header (struct fdt_header, version 17). */
    private static final int FDT_HEADER_BYTES = 40;

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
        if (isBinary(data)) {
            throw new DeviceTreeException(source, "offset 0x0", String.format(
                    "expected a DTB starting with the FDT magic 0xd00dfeed or DTS text, found binary data starting 0x%s",
                    HexFormat.of().formatHex(data, 0, Math.min(4, data.length))));
        }
        return DtsReader.read(source, data);
    }

    /**
     * DTS is text and never holds a NUL byte; a DTB header (40 bytes) always does (its big-endian
     * sizes and offsets are far below 2^24). Without this a DTB with a bad magic was read as DTS,
     * and the message named a character of its header.
     */
    private static boolean isBinary(byte[] data) {
        for (int i = 0; i < Math.min(FDT_HEADER_BYTES, data.length); i++) {
            if (data[i] == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads a board file as the launcher and {@code machine:boot} do: at most one byte more than
     * the largest tree either reader accepts ({@link DtLimits#MAX_DTS_BYTES}), so that a huge or
     * endless file costs no more memory than a valid one.
     *
     * @return the file's bytes
     * @throws IommuException ENOENT if the file does not exist, EINVAL if it is a directory, EIO if
     *         it cannot be read; a {@link DeviceTreeException} if it is larger than any tree
     */
    public static byte[] readFile(Path file) {
        if (Files.isDirectory(file)) {
            throw new IommuException(Errno.EINVAL, file + ": is a directory, expected a .dtb or .dts file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] data = in.readNBytes(DtLimits.MAX_DTS_BYTES + 1);
            if (data.length > DtLimits.MAX_DTS_BYTES) {
                throw new DeviceTreeException(file.toString(), null, String.format(
                        "expected a device tree of at most %d MiB, found a larger file", DtLimits.MAX_DTS_BYTES >> 20));
            }
            return data;
        } catch (NoSuchFileException e) {
            throw new IommuException(Errno.ENOENT, file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new IommuException(Errno.EIO, file + ": permission denied");
        } catch (IOException e) {
            throw new IommuException(Errno.EIO, file + ": " + e.getMessage(), e);
        }
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
