package io.iommulab.compare.workload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.compare.workload.Workload.Direction;
import io.iommulab.compare.workload.Workload.Pattern;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkloadParserTest {

    @Test
    void readsEveryDirective() {
        Workload w = WorkloadParser.parse("w.workload", """
                # a comment
                name   mixed  run
                devices /soc/usb@382280000 dwc3_1
                config iommulab.iommu.strict=false iommulab.cpu-page-size=4096
                stream 16K count=8 dir=to-device      # trailing comment
                sg     4K,0x2000,1M count=2 name=lists
                random min=100 max=2K count=5 seed=9 dir=from-device
                fault  device=dwc3_1 iova=0xdead0000 access=write
                fault
                """);
        assertEquals("mixed  run", w.name());
        assertEquals(List.of("/soc/usb@382280000", "dwc3_1"), w.devices());
        assertEquals(Map.of("iommulab.iommu.strict", "false", "iommulab.cpu-page-size", "4096"), w.config());
        assertEquals(3, w.patterns().size());
        Pattern s = w.patterns().get(0);
        assertEquals("stream 16K", s.name());
        assertArrayEquals(new long[] {16384}, s.sizes());
        assertEquals(8, s.count());
        assertEquals(Direction.TO_DEVICE, s.dir());
        Pattern sg = w.patterns().get(1);
        assertEquals("lists", sg.name());
        assertArrayEquals(new long[] {4096, 8192, 1 << 20}, sg.sizes());
        assertEquals(Direction.BIDIRECTIONAL, sg.dir());
        Pattern r = w.patterns().get(2);
        assertEquals("random", r.kind());
        assertArrayEquals(new long[] {100, 2048}, r.sizes());
        assertEquals(9, r.seed());
        assertEquals(new Workload.Fault("dwc3_1", 0xdead0000L, true), w.faults().get(0));
        assertEquals(new Workload.Fault("", -1, false), w.faults().get(1));
    }

    @Test
    void devicesAllMeansEveryDevice() {
        Workload w = WorkloadParser.parse("w", "devices all\nstream 4K\n");
        assertTrue(w.devices().isEmpty());
        assertEquals(64, w.patterns().get(0).count(), "default count");
    }

    @Test
    void theBuiltInWorkloadCoversWhatTheComparisonPromises() {
        Workload w = WorkloadParser.builtin();
        List<Long> streams = w.patterns().stream().filter(p -> p.kind().equals("stream")).map(p -> p.sizes()[0]).toList();
        assertEquals(List.of(4096L, 16384L, 65536L, 1L << 20), streams, "streaming 4K, 16K, 64K and 1M buffers");
        assertTrue(w.patterns().stream().anyMatch(p -> p.kind().equals("sg")));
        assertTrue(w.patterns().stream().anyMatch(p -> p.kind().equals("random")));
        assertEquals(1, w.faults().size());
    }

    @Test
    void badLinesNameTheFileTheLineAndTheToken() {
        assertBad("stream 16K\nstrem 4K\n", "w:2: unknown directive 'strem'");
        assertBad("stream\n", "w:1: stream expects one buffer size");
        assertBad("stream 17Q\n", "w:1: size '17Q' is not a number (decimal or 0x hex, optional K, M, G, T, P or E suffix)");
        assertBad("stream 32M\n", "w:1: size '32M' is not between 1 and 16777216");
        assertBad("stream 4K count=0\n", "w:1: count '0' is not between 1 and 1048576");
        assertBad("stream 4K dir=sideways\n", "w:1: dir must be to-device, from-device or bidirectional, found 'sideways'");
        assertBad("stream 4K min=3\n", "w:1: unknown option 'min' for stream");
        assertBad("random min=8K max=4K\n", "w:1: random: min 0x2000 is larger than max 0x1000");
        assertBad("fault access=execute\n", "w:1: access must be read or write, found 'execute'");
        assertBad("config strict\n", "w:1: config expects key=value, found 'strict'");
        assertBad("name nothing\n", "w: no stream, sg, random or fault line");
    }

    /** The forms every shell and file takes (api's Memparse), as machine:mem and iommu:map take them. */
    @Test
    void numbersAreReadAsEveryShellReadsThem() {
        Workload w = WorkloadParser.parse("w", """
                burst   0x100
                stream  16k count=0x10
                sg      4K,0x2000,0x1_0000,0x10K
                random  min=0x200 max=64k seed=0xdead_beef
                fault   iova=1G
                """);
        assertEquals(256, w.burst());
        assertArrayEquals(new long[] {16384}, w.patterns().get(0).sizes());
        assertEquals(16, w.patterns().get(0).count());
        assertArrayEquals(new long[] {4096, 8192, 65536, 16384}, w.patterns().get(1).sizes(), "hex with a suffix, _ groups");
        assertArrayEquals(new long[] {512, 65536}, w.patterns().get(2).sizes());
        assertEquals(0xdead_beefL, w.patterns().get(2).seed());
        assertEquals(1L << 30, w.faults().get(0).iova());

        String forms = " is not a number (decimal or 0x hex, optional K, M, G, T, P or E suffix)";
        assertBad("stream 16KB\n", "w:1: size '16KB'" + forms);
        assertBad("\nsg 4K,-4\n", "w:2: size '-4'" + forms);
        assertBad("stream 4K count=ten\n", "w:1: count 'ten'" + forms);
        assertBad("random seed=-5\n", "w:1: seed '-5'" + forms);
        assertBad("fault iova=0x1_0000_0000_0000_0000\n", "w:1: iova '0x1_0000_0000_0000_0000' does not fit in 64 bits");
        assertBad("stream 010\n", "w:1: size '010' has a leading 0, which Linux's memparse reads as octal");
        assertBad("stream 0\n", "w:1: size '0' is not between 1 and 16777216");
    }

    private static void assertBad(String text, String message) {
        IommuException e = assertThrows(IommuException.class, () -> WorkloadParser.parse("w", text));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertFalse(e.getMessage().isEmpty());
    }
}
