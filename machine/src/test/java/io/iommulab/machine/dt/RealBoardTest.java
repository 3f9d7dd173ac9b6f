package io.iommulab.machine.dt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Reads the real Apple M1 Mac mini (j274) DTB from the shared board folder (never copied into the
 * project); skipped when that folder is not there. The folder is {@code -Diommulab.shared=<dir>}
 * or {@code ../../shared} relative to the module directory.
 */
class RealBoardTest {
    private static Path boards() {
        String prop = System.getProperty("iommulab.shared");
        Path shared = prop != null ? Path.of(prop) : Path.of("../../shared");
        return shared.resolve("boards");
    }

    private static DeviceTree j274() throws IOException {
        Path dtb = boards().resolve("t8103-j274.dtb");
        assumeTrue(Files.isRegularFile(dtb), "real board DTB not present at " + dtb.toAbsolutePath());
        return DeviceTrees.parse(dtb.getFileName().toString(), Files.readAllBytes(dtb));
    }

    @Test
    void realJ274DartFacts() throws IOException {
        DeviceTree t = j274();
        assertEquals("Apple Mac mini (M1, 2020)", t.model());
        List<DtNode> darts = DtBindings.compatibleNodes(t, "apple,t8103-dart");
        assertEquals(9, darts.size());
        assertEquals(8, darts.stream().filter(DtNode::isAvailable).count());
        for (DtNode d : darts) {
            assertEquals(0x4000, d.reg().get(0).size());
            assertEquals("iommu@" + Long.toHexString(d.reg().get(0).address()), d.name());
        }

        DtNode usb = t.node("/soc/usb@382280000").orElseThrow();
        List<IommuSpec> specs = DtBindings.iommus(t, usb);
        assertEquals(2, specs.size());
        assertEquals("/soc/iommu@382f00000", specs.get(0).iommu().path());
        assertEquals(0, specs.get(0).sid());
        assertEquals("/soc/iommu@382f80000", specs.get(1).iommu().path());
        assertEquals(1, specs.get(1).sid());
        assertEquals(DtBindings.interrupts(t, specs.get(0).iommu()).get(0).cell(1),
                DtBindings.interrupts(t, specs.get(1).iommu()).get(0).cell(1));

        DtNode pcie = t.node("/soc/pcie@690000000").orElseThrow();
        DtNode wifi = t.node("/soc/pcie@690000000/pci@0,0/wifi@0,0").orElseThrow();
        DtNode bt = t.node("/soc/pcie@690000000/pci@0,0/bluetooth@0,1").orElseThrow();
        DtNode eth = t.node("/soc/pcie@690000000/pci@2,0/ethernet@0,0").orElseThrow();
        IommuSpec w = DtBindings.mapRid(t, pcie, DtBindings.pciRequesterId(wifi)).orElseThrow();
        assertEquals("/soc/iommu@681008000", w.iommu().path());
        assertEquals(1, w.sid());
        assertEquals(Optional.of(w), DtBindings.mapRid(t, pcie, DtBindings.pciRequesterId(bt)));
        assertEquals("/soc/iommu@683008000", DtBindings.mapRid(t, pcie, DtBindings.pciRequesterId(eth)).orElseThrow().iommu().path());
        assertEquals(Optional.empty(), DtBindings.mapRid(t, pcie, 0x008));

        DtNode sart = t.node("/soc/iommu@27bc50000").orElseThrow();
        assertFalse(sart.hasProperty("#iommu-cells"));
        assertTrue(DtBindings.memory(t).isEmpty() || DtBindings.memory(t).get(0).size() > 0);
        for (DtNode n : t.allNodes()) {
            if (n.hasProperty("power-domains")) {
                assertFalse(DtBindings.powerDomains(t, n).isEmpty(), n.path());
            }
        }
    }

    /** The four shared real trees pass the board check: their overlaps, offsets and interrupts are legitimate. */
    @Test
    void everyRealBoardPassesTheBoardCheck() throws IOException {
        int checked = 0;
        for (String name : List.of("t8103-j274.dtb", "t8103-j293.dtb", "t6000-j314s.dtb", "t8112-j413.dtb")) {
            Path dtb = boards().resolve(name);
            if (Files.isRegularFile(dtb)) {
                BoardCheck.check(DeviceTrees.parse(name, Files.readAllBytes(dtb)));
                checked++;
            }
        }
        assumeTrue(checked > 0, "no real board DTB under " + boards().toAbsolutePath());
    }

    @Test
    void realJ293EnablesTheTouchBarDart() throws IOException {
        Path dtb = boards().resolve("t8103-j293.dtb");
        assumeTrue(Files.isRegularFile(dtb), "j293 DTB not present at " + dtb.toAbsolutePath());
        DeviceTree t = DeviceTrees.parse(dtb.getFileName().toString(), Files.readAllBytes(dtb));
        DtNode dfr = t.node("/soc/iommu@228304000").orElseThrow();
        assertTrue(dfr.isAvailable());
        DtNode pipe = t.node("/soc/display-pipe@228200000").orElseThrow();
        assertEquals(List.of(new IommuSpec(dfr, new int[] {0})), DtBindings.iommus(t, pipe));
        assertEquals(504, DtBindings.interrupts(t, dfr).get(0).cell(1));
    }

    @Test
    void realJ274RewritesByteForByte() throws IOException {
        Path dtb = boards().resolve("t8103-j274.dtb");
        DeviceTree t = j274();
        // dtc's layout is what FdtWriter reproduces: header, rsvmap, struct, deduplicated strings
        assertArrayEquals(Files.readAllBytes(dtb), FdtWriter.write(t));
    }

    /**
     * Preprocesses the real j274 source with cpp (as the README describes), reads it with
     * {@link DtsReader} and compares every node, property and phandle with dtc's DTB.
     */
    @Test
    void preprocessedRealSourceMatchesDtc() throws Exception {
        DeviceTree dtb = j274();
        Path dir = boards();
        byte[] pp;
        try {
            Process p = new ProcessBuilder("cpp", "-nostdinc", "-I", "t8103", "-I", "t8103/include", "-undef",
                    "-x", "assembler-with-cpp", "-D__DTS__", "t8103/t8103-j274.dts")
                    .directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (InputStream in = p.getInputStream()) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                in.transferTo(out);
                pp = out.toByteArray();
            }
            assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "cpp failed");
        } catch (IOException e) {
            assumeTrue(false, "cpp not available: " + e.getMessage());
            return;
        }
        DeviceTree dts = DeviceTrees.parse("t8103-j274.dts", pp);
        TreeAssert.assertSameTree(dtb, dts);
        assertTrue(dts.byLabel("sio_dart").isPresent());
    }
}
