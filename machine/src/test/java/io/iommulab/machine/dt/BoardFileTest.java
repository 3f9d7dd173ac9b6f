package io.iommulab.machine.dt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Board files as the launcher and machine:boot read them: bounded, every failure one message naming the file. */
class BoardFileTest {
    @TempDir
    Path dir;

    @Test
    void missingDirectoryAndOversizedFilesAreNamed() throws IOException {
        IommuException e = assertThrows(IommuException.class, () -> DeviceTrees.readFile(dir.resolve("none.dtb")));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("ENOENT: " + dir.resolve("none.dtb") + ": no such file", e.getMessage());
        e = assertThrows(IommuException.class, () -> DeviceTrees.readFile(dir));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().endsWith(dir + ": is a directory, expected a .dtb or .dts file"), e.getMessage());
        Path big = dir.resolve("big.dts");
        try (OutputStream out = Files.newOutputStream(big)) {
            out.write(new byte[DtLimits.MAX_DTS_BYTES]);
            out.write(new byte[DtLimits.MAX_DTS_BYTES]);
        }
        DeviceTreeException d = assertThrows(DeviceTreeException.class, () -> DeviceTrees.readFile(big));
        assertEquals(big.toString(), d.source());
        assertTrue(d.getMessage().contains("expected a device tree of at most 4 MiB, found a larger file"), d.getMessage());
    }

    @Test
    void checkFileReadsParsesAndChecks() throws IOException {
        byte[] dtb = FdtWriter.write(DeviceTrees.board("default"));
        Path good = Files.write(dir.resolve("good.dtb"), dtb);
        assertArrayEquals(dtb, BoardCheck.checkFile(good));
        Path truncated = Files.write(dir.resolve("cut.dtb"), java.util.Arrays.copyOf(dtb, dtb.length / 2));
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> BoardCheck.checkFile(truncated));
        assertEquals(truncated.toString(), e.source());
        assertEquals("offset 0x4", e.where(), e.getMessage());
        Path refused = Files.writeString(dir.resolve("irq.dts"), """
                / {
                	#address-cells = <2>;
                	#size-cells = <2>;
                	memory@800000000 { device_type = "memory"; reg = <0x8 0x0 0x1 0x0>; };
                	aic: interrupt-controller@23b100000 { compatible = "apple,aic"; reg = <0x2 0x3b100000 0x0 0x8000>; #interrupt-cells = <3>; };
                	dev { interrupt-parent = <&aic>; interrupts = <0 4000000000 4>; };
                };
                """);
        e = assertThrows(DeviceTreeException.class, () -> BoardCheck.checkFile(refused));
        assertEquals("/dev", e.where());
        assertTrue(e.getMessage().contains("found 4000000000"), e.getMessage());
    }
}
