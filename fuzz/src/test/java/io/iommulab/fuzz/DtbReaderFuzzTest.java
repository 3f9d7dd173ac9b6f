package io.iommulab.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.machine.dt.BoardCheck;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.machine.dt.FdtWriter;
import java.util.List;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The DTB reader ({@code FdtReader}, through {@link DeviceTrees#parse} as the launcher and
 * {@code machine:boot} call it) and the board check after it: any blob is a tree or a
 * DeviceTreeException naming the source, and a tree read is what our writer writes back.
 */
class DtbReaderFuzzTest {

    static final String SOURCE = "fuzz.dtb";

    static List<byte[]> seeds() {
        return Seeds.dtbs();
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "")
    void read(byte[] data) throws Exception {
        if (!isFdt(data)) {
            return; // DTS text: the DTS reader's target
        }
        Rule.onlyProjectErrors(SOURCE, () -> {
            DeviceTree tree = DeviceTrees.parse(SOURCE, data);
            assertEquals(Trees.dump(tree), Trees.dump(DeviceTrees.parse(SOURCE, FdtWriter.write(tree))),
                    "a tree read from a DTB reads back the same from the DTB our writer makes of it");
            BoardCheck.check(tree);
        });
    }

    /** @return whether the data starts with the FDT magic 0xd00dfeed, as DeviceTrees tells the formats apart */
    static boolean isFdt(byte[] d) {
        return d.length >= 4 && (d[0] & 0xff) == 0xd0 && (d[1] & 0xff) == 0x0d && (d[2] & 0xff) == 0xfe && (d[3] & 0xff) == 0xed;
    }
}
