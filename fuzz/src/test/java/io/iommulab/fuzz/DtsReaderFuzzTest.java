package io.iommulab.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.machine.dt.BoardCheck;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.machine.dt.FdtWriter;
import java.util.List;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The DTS reader ({@code DtsReader}: lexer, labels and references, /delete-node/, integer
 * expressions, includes refused) and the board check after it: any text is a tree or a
 * DeviceTreeException naming the source and the line, and a tree read is what it reads back
 * from the DTB our writer makes of it.
 */
class DtsReaderFuzzTest {

    static final String SOURCE = "fuzz.dts";

    static List<byte[]> seeds() {
        return Seeds.dts();
    }

    @MethodSource("seeds")
    @DictionaryEntries({"/dts-v1/;", "/delete-node/", "/delete-property/", "/include/", "/memreserve/", "/bits/ 64",
        "&{/soc}", "#address-cells", "#size-cells", "#interrupt-cells", "#iommu-cells", "interrupts", "iommus", "iommu-map",
        "reg", "ranges", "power-domains", "phandle", "status = \"disabled\";", "<(1 << 31)>", "? :", "0x", "\\x"})
    @FuzzTest(maxDuration = "")
    void read(byte[] data) throws Exception {
        if (DtbReaderFuzzTest.isFdt(data)) {
            return; // a DTB: the DTB reader's target
        }
        Rule.onlyProjectErrors(SOURCE, () -> {
            DeviceTree tree = DeviceTrees.parse(SOURCE, data);
            assertEquals(Trees.dump(tree), Trees.dump(DeviceTrees.parse(SOURCE, FdtWriter.write(tree))),
                    "a tree read from DTS reads back the same from the DTB our writer makes of it");
            BoardCheck.check(tree);
        });
    }
}
