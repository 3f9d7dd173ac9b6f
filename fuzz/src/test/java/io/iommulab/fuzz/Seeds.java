package io.iommulab.fuzz;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.machine.dt.FdtWriter;
import io.iommulab.testkit.TestBoards;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The seed corpus of the device-tree targets, made from the boards the project has rather than
 * copied into this module: the testkit fixture trees, the built-in default board and this module's
 * fuzz board, as DTS text and as the DTB our writer makes of each. Jazzer records what these
 * sources give as seeds when it fuzzes, and runs each as a test in regression mode.
 */
final class Seeds {

    /** Class-path resources of every fixture tree (testkit, machine, this module). */
    static final List<String> BOARDS = List.of(TestBoards.TESTKIT_DTS, TestBoards.T6000_DTS, TestBoards.T8112_DTS,
            TestBoards.T6020_DTS, TestBoards.T6002_DTS, TestBoards.T6022_DTS, "boards/default.dts", FuzzBoard.RESOURCE);

    private Seeds() {
    }

    /** @return each fixture tree's DTS bytes */
    static List<byte[]> dts() {
        List<byte[]> out = new ArrayList<>();
        for (String r : BOARDS) {
            out.add(resource(r));
        }
        return out;
    }

    /** @return each fixture tree as a DTB */
    static List<byte[]> dtbs() {
        List<byte[]> out = new ArrayList<>();
        for (String r : BOARDS) {
            out.add(dtb(r));
        }
        return out;
    }

    static byte[] dtb(String resource) {
        DeviceTree t = DeviceTrees.parse(resource, resource(resource));
        return FdtWriter.write(t);
    }

    static byte[] resource(String name) {
        try (InputStream in = Seeds.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("fixture " + name + " is not on the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
