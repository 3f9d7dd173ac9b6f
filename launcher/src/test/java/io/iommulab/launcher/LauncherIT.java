package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.config.SettingDTO;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DmaDTO;
import io.iommulab.api.dto.DmaMappingDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FailNthDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.FaultHandlerDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.InjectionDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.IotlbDTO;
import io.iommulab.api.dto.IovaDomainDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.dto.MappingDTO;
import io.iommulab.api.dto.RamDTO;
import io.iommulab.api.dto.ResvRegionsDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.TraceEventDTO;
import io.iommulab.api.dto.TranslationDTO;
import io.iommulab.api.dto.UnmapDTO;
import io.iommulab.campaign.report.BackendResult;
import io.iommulab.dart.impl.shell.DartDTO;
import io.iommulab.dart.impl.shell.ErrorDTO;
import io.iommulab.dart.impl.shell.RegisterDTO;
import io.iommulab.dart.impl.shell.StreamDTO;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.machine.dt.FdtWriter;
import io.iommulab.machine.shell.MachineCommands;
import io.iommulab.smmu.impl.shell.BankDTO;
import io.iommulab.smmu.impl.shell.SmmuDTO;
import io.iommulab.smmu.impl.shell.StreamEntryDTO;
import io.iommulab.testkit.StrictJson;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the shaded {@code iommulab.jar} as users do, in its own JVM without a terminal. */
class LauncherIT {

    @TempDir
    Path dir;

    private Launch.Run launch(String... args) throws IOException, InterruptedException {
        return Launch.run(dir, args);
    }

    @Test
    void malformedBoardExitsWithTwoAndOneLine() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.dts"), "/dts-v1/;\n/ {\n\tmodel = \"x\"\n\tfoo;\n};\n");
        Launch.Run r = launch("--board", bad.toString(), "--quiet");
        assertEquals(2, r.exit(), r.errText());
        assertEquals(1, r.err().size(), r.errText());
        assertTrue(r.err().get(0).startsWith("iommulab: board " + bad + ": "), r.errText());
        assertTrue(r.err().get(0).contains("line 4"), r.errText());
        assertTrue(r.out().isEmpty(), String.join("\n", r.out()));
    }

    @Test
    void malformedDtbNamesTheOffsetAndPrintsNoStackTrace() throws Exception {
        Path bad = dir.resolve("bad.dtb");
        // FDT magic, then a totalsize larger than the blob.
        Files.write(bad, new byte[] {(byte) 0xd0, 0x0d, (byte) 0xfe, (byte) 0xed, 0, 0, 0x10, 0});
        Launch.Run r = launch("--board", bad.toString());
        assertEquals(2, r.exit(), r.errText());
        List<String> ours = r.err().stream().filter(l -> l.startsWith("iommulab:")).toList();
        assertEquals(1, ours.size(), r.errText());
        assertTrue(ours.get(0).matches("iommulab: board .*bad\\.dtb: .*offset 0x[0-9a-f]+.*"), r.errText());
        assertFalse(r.errText().contains("\tat "), r.errText());
    }

    /** Exit 2, the one line, nothing on stdout, and no log line: the container never started. */
    private static void refusedBeforeTheContainer(Launch.Run r, String board, String message) {
        assertEquals(2, r.exit(), r.errText());
        assertTrue(r.out().isEmpty(), String.join("\n", r.out()));
        assertEquals(1, r.err().size(), r.errText());
        assertTrue(r.err().get(0).startsWith("iommulab: board " + board + ": "), r.errText());
        assertTrue(r.err().get(0).contains(message), r.errText());
    }

    @Test
    void truncatedDtbIsRefusedBeforeTheContainerStarts() throws Exception {
        byte[] dtb = FdtWriter.write(DeviceTrees.board("default"));
        Path cut = Files.write(dir.resolve("cut.dtb"), Arrays.copyOf(dtb, dtb.length / 3));
        refusedBeforeTheContainer(launch("--board", cut.toString()), cut.toString(), "(offset 0x4): expected totalsize <= data length");
    }

    @Test
    void boardTheCheckRefusesIsRefusedBeforeTheContainerStarts() throws Exception {
        Path board = Files.writeString(dir.resolve("irq.dts"), """
                /dts-v1/;
                / {
                	#address-cells = <2>;
                	#size-cells = <2>;
                	memory@800000000 { device_type = "memory"; reg = <0x8 0x0 0x1 0x0>; };
                	aic: interrupt-controller@23b100000 { compatible = "apple,aic"; reg = <0x2 0x3b100000 0x0 0x8000>; #interrupt-cells = <3>; };
                	dart: iommu@382f00000 { reg = <0x3 0x82f00000 0x0 0x4000>; interrupt-parent = <&aic>; interrupts = <0 4000000000 4>; #iommu-cells = <1>; };
                };
                """);
        refusedBeforeTheContainer(launch("--board", board.toString()), board.toString(),
                "(/iommu@382f00000): interrupts entry 0: expected an IRQ number below 1024 (apple,aic AIC_MAX_IRQ), found 4000000000");
        Path deep = Files.writeString(dir.resolve("deep.dts"), "/ {\n" + "a {\n".repeat(30_000) + "};\n".repeat(30_001));
        refusedBeforeTheContainer(launch("--board", deep.toString()), deep.toString(), "(line 64): expected nodes at most 62 deep");
    }

    @Test
    void aGoodBoardFileBoots() throws Exception {
        Path good = Files.write(dir.resolve("good.dtb"), FdtWriter.write(DeviceTrees.board("default")));
        Launch.Run r = launch("--board", good.toString());
        assertEquals(0, r.exit(), r.errText());
        String out = String.join("\n", r.out());
        assertTrue(out.startsWith("board " + good + ": iommulab M1 Mac mini-like board"), out);
        assertTrue(out.contains("DMA masters: 7 (probed 7)"), out);
    }

    @Test
    void machineBootInTheShellGivesTheSameMessage() throws Exception {
        Files.writeString(dir.resolve("bad.dts"), "/dts-v1/;\n/ {\n\tmodel = \"x\"\n\tfoo;\n};\n");
        Launch.Run r = launch("-c", "machine:boot bad.dts");
        assertEquals(1, r.exit(), r.errText());
        assertTrue(r.err().contains("iommulab: command 'machine:boot bad.dts' failed: EINVAL: bad.dts (line 4): "
                + "expected ';' after the value of property model, found 'foo'"), r.errText());
        assertFalse(r.errText().contains("\tat "), r.errText());
    }

    @Test
    void missingBoardFileExitsWithTwoBeforeStartingAnything() throws Exception {
        Launch.Run r = launch("--board", "no-such-board.dtb");
        assertEquals(2, r.exit());
        assertEquals(List.of("iommulab: board no-such-board.dtb: no such file"), r.err());
    }

    /**
     * Every command that reads a board file reads it as machine:boot does. iommu:twin, iommu:compare
     * and iommu:campaign read the whole file first: a missing one was "failed: FILE", a 3 GiB one
     * ended in an OutOfMemoryError's message ("Required array size too large"), and /dev/zero took
     * 27 s and 5 GB to get there.
     */
    @Test
    void everyCommandReadsABoardFileWithinTheMachinesBounds() throws Exception {
        Path huge = dir.resolve("huge.dts");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(3L << 30); // sparse: no disk used
        }
        Path missing = dir.resolve("missing.dts");
        for (String cmd : List.of("iommu:twin --board %s arm-smmu-v2 twin.dtb", "iommu:compare --board %s", "iommu:campaign 10 --board %s")) {
            for (Path board : List.of(huge, missing)) {
                String line = String.format(cmd, board);
                Launch.Run r = launch("-c", line);
                assertEquals(1, r.exit(), r.errText());
                String expected = board == huge ? "EINVAL: " + huge + ": expected a device tree of at most 4 MiB, found a larger file"
                        : "ENOENT: " + missing + ": no such file";
                assertTrue(r.err().contains("iommulab: command '" + line + "' failed: " + expected), r.errText());
            }
        }
        assertFalse(Files.exists(dir.resolve("twin.dtb")));
    }

    @Test
    void jsonPrintsOneDocumentPerCommand() throws Exception {
        Launch.Run r = launch("-c", "iommu:iommus; machine:status", "--json");
        assertEquals(0, r.exit(), r.errText());
        assertEquals(2, r.out().size(), String.join("\n", r.out()));
        Map<String, Object> iommu = StrictJson.asObject(StrictJson.array(r.out().get(0)).get(0));
        assertEquals(fields(IommuNodeDTO.class), List.copyOf(iommu.keySet()));
        assertTrue(iommu.get("node").toString().startsWith("/"), r.out().get(0));
        Map<String, Object> status = StrictJson.object(r.out().get(1));
        assertEquals("default", List.copyOf(status.values()).get(0), "board first: " + r.out().get(1));
        assertEquals("default", status.get("board"));
        // The summary and the logs went to stderr.
        assertTrue(r.errText().contains("probed"), r.errText());
    }

    /**
     * Every shell command that returns data, with the record its JSON holds (one, or a list of them):
     * the fields are the record's component names in declaration order, as documented.
     */
    private static final List<Map.Entry<String, Class<? extends Record>>> DATA_COMMANDS = List.of(
            Map.entry("iommu:iommus", IommuNodeDTO.class),
            Map.entry("iommu:devices", DeviceDTO.class),
            Map.entry("iommu:groups", GroupDTO.class),
            Map.entry("iommu:domains", DomainDTO.class),
            Map.entry("iommu:map usb@382280000 0x100000 0x800000000 0x4000", MappingDTO.class),
            Map.entry("iommu:iova2phys usb@382280000 0x100000", TranslationDTO.class),
            Map.entry("iommu:dma usb@382280000 write 0x100000 16", DmaDTO.class),
            Map.entry("iommu:faulthandler usb@382280000 count", FaultHandlerDTO.class),
            Map.entry("iommu:dma usb@382280000 read 0x200000 16", DmaDTO.class),
            Map.entry("iommu:faults", FaultDTO.class),
            Map.entry("iommu:trace", TraceEventDTO.class),
            Map.entry("iommu:unmap usb@382280000 0x100000 0x4000", UnmapDTO.class),
            Map.entry("iommu:inject iommu@382f00000 skip-invalidate 1", InjectionDTO.class),
            Map.entry("iommu:sanitize", SanitizerDTO.class),
            Map.entry("iommu:config iommulab.iommu", SettingDTO.class),
            Map.entry("iommu:resv wifi0", ResvRegionsDTO.class),
            Map.entry("iommu:liveupdate io.iommulab.dart", LiveUpdateDTO.class),
            Map.entry("dma:map usb@382280000 0x800000000 16K bidirectional", DmaMappingDTO.class),
            Map.entry("dma:mappings", DmaMappingDTO.class),
            Map.entry("dma:iova usb@382280000", IovaDomainDTO.class),
            Map.entry("machine:status", MachineCommands.Summary.class),
            Map.entry("machine:hardware", MachineCommands.HardwareRow.class),
            Map.entry("machine:masters", MachineCommands.MasterRow.class),
            Map.entry("machine:irqs", MachineCommands.IrqRow.class),
            Map.entry("machine:pages", MachineCommands.Pages.class),
            Map.entry("machine:power", MachineCommands.PowerRow.class),
            Map.entry("machine:ram", RamDTO.class),
            Map.entry("machine:iotlb iommu@382f00000", IotlbDTO.class),
            Map.entry("machine:failnth", FailNthDTO.class),
            Map.entry("dart:darts", DartDTO.class),
            Map.entry("dart:regs iommu@382f00000", RegisterDTO.class),
            Map.entry("dart:streams iommu@382f00000", StreamDTO.class),
            Map.entry("dart:errors iommu@382f00000", ErrorDTO.class));

    /** @return the fields of {@code type}'s JSON: its component names, in order */
    private static List<String> fields(Class<? extends Record> type) {
        return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList();
    }

    /** Asserts that {@code json}, one line, is the record {@code type} or a non-empty list of them. */
    private static void assertDocumentOf(String command, Class<? extends Record> type, String json) {
        List<String> fields = fields(type);
        Object doc = StrictJson.parse(json);
        List<Object> records = doc instanceof List<?> ? StrictJson.asArray(doc) : List.of(doc);
        assertFalse(records.isEmpty(), command + ": " + json);
        for (Object r : records) {
            assertEquals(fields, List.copyOf(StrictJson.asObject(r).keySet()), command + ": " + json);
        }
    }

    @Test
    void jsonOfEveryCommandThatReturnsDataIsItsRecord() throws Exception {
        String script = DATA_COMMANDS.stream().map(Map.Entry::getKey).collect(Collectors.joining("; "));
        Launch.Run r = launch("--json", "-c", script);
        assertEquals(0, r.exit(), r.errText());
        assertEquals(DATA_COMMANDS.size(), r.out().size(), r.outText());
        for (int i = 0; i < DATA_COMMANDS.size(); i++) {
            assertDocumentOf(DATA_COMMANDS.get(i).getKey(), DATA_COMMANDS.get(i).getValue(), r.out().get(i));
        }
        // dart:iotlb is a map of counters
        Launch.Run iotlb = launch("--json", "-c", "dart:iotlb iommu@382f00000");
        assertEquals(0, iotlb.exit(), iotlb.errText());
        assertTrue(StrictJson.object(iotlb.out().get(0)).values().stream().allMatch(v -> StrictJson.longValue(v) >= 0),
                iotlb.outText());

        // the SMMU's commands, on the board's SMMU twin
        Launch.Run twin = launch("-c", "iommu:twin arm-smmu-v2 " + dir.resolve("smmu.dtb"));
        assertEquals(0, twin.exit(), twin.errText());
        String smmu = "iommu@382f00000";
        Launch.Run s = launch("--board", dir.resolve("smmu.dtb").toString(), "--json", "-c",
                "smmu:smmus; smmu:streams " + smmu + "; smmu:banks " + smmu);
        assertEquals(0, s.exit(), s.errText());
        assertDocumentOf("smmu:smmus", SmmuDTO.class, s.out().get(0));
        assertDocumentOf("smmu:streams", StreamEntryDTO.class, s.out().get(1));
        assertDocumentOf("smmu:banks", BankDTO.class, s.out().get(2));
    }

    /** The comparison's top level, {@code iommulab.compare/1}. */
    private static final List<String> COMPARISON = List.of("schema", "board", "workload", "backends", "differences");

    @Test
    void compareJsonPrintsTheComparisonDocument() throws Exception {
        Path workload = Files.writeString(dir.resolve("small.workload"), "name small\nstream 16K count=4\nfault\n");
        Launch.Run r = launch("--compare=" + workload, "--report", dir.resolve("out").toString(), "--json");
        assertEquals(0, r.exit(), r.errText());
        assertEquals(1, r.out().size(), "one document, not the table: " + r.outText());
        Map<String, Object> doc = StrictJson.object(r.out().get(0));
        assertEquals(COMPARISON, List.copyOf(doc.keySet()));
        assertEquals("iommulab.compare/1", doc.get("schema"));
        assertEquals("small", doc.get("workload"));
        assertEquals(List.of("apple-dart", "arm-smmu-v2"), StrictJson.asArray(doc.get("backends")).stream()
                .map(b -> StrictJson.asObject(b).get("backend")).toList());
        assertEquals(StrictJson.parse(Files.readString(dir.resolve("out/comparison.json"))), doc,
                "the document the JSON report writes");

        // iommu:compare --json in the shell: the same document, indented, after the summary
        Launch.Run shell = launch("-c", "iommu:compare --workload " + workload + " --json");
        assertEquals(0, shell.exit(), shell.errText());
        int at = shell.out().indexOf("{");
        assertTrue(at > 0, shell.outText());
        Map<String, Object> shown = StrictJson.object(String.join("\n", shell.out().subList(at, shell.out().size())));
        assertEquals(COMPARISON, List.copyOf(shown.keySet()));
        assertEquals(untimed(doc), untimed(shown), "the same differences, but for throughput");
    }

    /**
     * @return the comparison's differences as metric and subject, without throughput: two runs of one
     *         workload find the same differences, but whether one backend was 1.5x as fast depends on
     *         how busy the host was during each
     */
    private static List<String> untimed(Map<String, Object> comparison) {
        return StrictJson.asArray(comparison.get("differences")).stream().map(StrictJson::asObject)
                .filter(d -> !"throughput".equals(d.get("metric"))).map(d -> d.get("metric") + " " + d.get("subject"))
                .toList();
    }

    @Test
    void campaignJsonPrintsTheCampaignDocument() throws Exception {
        List<String> top = List.of("schema", "seed", "opsPerRun", "replayOf", "runs", "mismatches");
        List<String> run = fields(BackendResult.class);
        // --campaign --json, and iommu:campaign --json under --json: the document, not a string holding it
        for (String[] args : List.of(new String[] {"--campaign", "2000", "--seed", "3", "--backends", "dart", "--json"},
                new String[] {"--json", "-c", "iommu:campaign 2000 --seed 3 --backends dart --json"})) {
            Launch.Run r = launch(args);
            assertEquals(0, r.exit(), r.errText());
            assertEquals(1, r.out().size(), r.outText());
            Map<String, Object> doc = StrictJson.object(r.out().get(0));
            assertEquals(top, List.copyOf(doc.keySet()), r.out().get(0));
            assertEquals("iommulab.campaign/1", doc.get("schema"));
            assertEquals(3, doc.get("seed"));
            assertEquals(run, List.copyOf(StrictJson.asObject(StrictJson.asArray(doc.get("runs")).get(0)).keySet()));
        }
    }

    @Test
    void jsonWithoutItsBundleFailsTheCommandInOneLine() throws Exception {
        Launch.Run r = launch("--json", "-c", "uninstall io.iommulab.json; iommu:iommus");
        assertEquals(1, r.exit(), r.errText());
        assertTrue(r.err().contains("iommulab: command 'uninstall io.iommulab.json' failed: --json: the bundle io.iommulab.json"
                + " is not installed"), r.errText());
        assertTrue(r.out().isEmpty(), r.outText());
        assertFalse(r.errText().contains("\tat "), r.errText());
    }

    private static String last(List<String> lines) {
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    @Test
    void sanitizeWatchesFromTheBootAndSummarisesAtExit() throws Exception {
        // The second transfer faults: only the one that went through is a transaction to check.
        Launch.Run r = launch("--sanitize", "-c", "iommu:map usb@382280000 0x100000 0x800000000 0x4000; "
                + "iommu:dma usb@382280000 write 0x100000 16; iommu:dma usb@382280000 read 0x104000 16");
        assertEquals(0, r.exit(), r.errText());
        String out = String.join("\n", r.out());
        assertTrue(out.contains("DMA sanitizer on: 0 findings, 1 transactions checked, 0 stale IOTLB hits reported"), out);
        assertEquals("sanitizer: 0 findings, 1 transactions checked, 0 stale IOTLB hits", last(r.out()));

        Launch.Run off = launch("-c", "iommu:map usb@382280000 0x100000 0x800000000 0x4000; "
                + "iommu:dma usb@382280000 write 0x100000 16; iommu:sanitize");
        assertEquals(0, off.exit(), off.errText());
        assertTrue(off.out().contains("DMA sanitizer off: 0 findings, 0 transactions checked, 0 stale IOTLB hits reported"),
                String.join("\n", off.out()));
        assertTrue(off.out().stream().noneMatch(l -> l.startsWith("sanitizer:")), "no summary without --sanitize");
    }

    @Test
    void aFindingIsPrintedAtExitAndTheExitStatusIsFour() throws Exception {
        // The DART's own registers mapped for DMA: the core itself reports it (map-of-iommu-memory).
        String map = "iommu:map usb@382280000 0x100000 0x382f00000 0x4000";
        Launch.Run r = launch("--sanitize", "-c", map);
        assertEquals(4, r.exit(), r.errText());
        assertTrue(r.out().stream().anyMatch(l -> l.startsWith("#1 ") && l.contains(" map-of-iommu-memory: "
                + "/soc/iommu@382f00000 domain 2 map iova 0x100000: 0x382f00000+0x4000 rw, now the registers of "
                + "/soc/iommu@382f00000")), String.join("\n", r.out()));
        assertEquals("sanitizer: 1 finding (map-of-iommu-memory 1), 0 transactions checked, 0 stale IOTLB hits",
                last(r.out()));

        // A failed command keeps its status; the findings are printed all the same.
        Launch.Run failed = launch("--sanitize", "-c", map + "; nosuch:command");
        assertEquals(1, failed.exit(), failed.errText());
        assertTrue(last(failed.out()).startsWith("sanitizer: 1 finding"), String.join("\n", failed.out()));

        // Findings forgotten before the exit leave nothing to report.
        Launch.Run cleared = launch("--sanitize", "-c", map + "; iommu:sanitize clear");
        assertEquals(0, cleared.exit(), String.join("\n", cleared.out()));

        // Without --sanitize nothing watched the map, and the status is the commands' own.
        Launch.Run unwatched = launch("-c", map);
        assertEquals(0, unwatched.exit(), unwatched.errText());
    }

    @Test
    void withJsonTheSummaryStaysOffStdout() throws Exception {
        Launch.Run json = launch("--sanitize", "--json", "-c", "iommu:sanitize");
        assertEquals(0, json.exit(), json.errText());
        assertEquals(1, json.out().size(), String.join("\n", json.out()));
        Map<String, Object> state = StrictJson.object(json.out().get(0));
        assertEquals(List.of("enabled", "transactions", "staleReports", "findings"), List.copyOf(state.keySet()).subList(0, 4),
                json.out().get(0));
        assertEquals(List.of(true, 0, 0, Map.of()), List.copyOf(state.values()).subList(0, 4), json.out().get(0));
        assertTrue(json.err().contains("sanitizer: 0 findings, 0 transactions checked, 0 stale IOTLB hits"), json.errText());
    }

    @Test
    @SuppressWarnings("unchecked")
    void compareReportsEachBackendsSanitizerFindings() throws Exception {
        Path workload = dir.resolve("small.workload");
        Files.writeString(workload, "name small\nstream 16K count=4\nfault\n");
        Launch.Run r = launch("--sanitize", "--progress", "--compare=" + workload, "--report", dir.resolve("out").toString());
        assertEquals(0, r.exit(), r.errText());
        // --progress: the progress lines show without a terminal, one per backend, pattern and fault
        assertTrue(r.errText().contains("compare: [2/2] small on the arm-smmu-v2 twin"), r.errText());
        assertEquals(2, r.err().stream().filter(l -> l.contains(" compare: arm-smmu-v2: ") || l.contains(" compare: apple-dart: "))
                .filter(l -> l.contains(": stream 16K: ")).count(), r.errText());
        String out = String.join("\n", r.out());
        assertTrue(r.out().stream().anyMatch(l -> l.matches("  sanitizer findings +\\| 0 findings +\\| 0 findings")), out);

        java.util.Map<String, Object> report = StrictJson.object(Files.readString(dir.resolve("out/comparison.json")));
        long checked = 0;
        List<String> lines = new ArrayList<>();
        for (Object b : (List<Object>) report.get("backends")) {
            java.util.Map<String, Object> backend = (java.util.Map<String, Object>) b;
            java.util.Map<String, Object> san = (java.util.Map<String, Object>) backend.get("sanitizer");
            assertEquals(true, san.get("enabled"), backend.get("backend").toString());
            assertEquals(java.util.Map.of(), san.get("findings"), backend.get("backend").toString());
            assertEquals(List.of(), san.get("history"));
            long n = ((Number) san.get("transactions")).longValue();
            assertTrue(n > 0, backend.get("backend") + ": every transfer checked");
            checked += n;
            lines.add("compare " + backend.get("backend") + ": DMA sanitizer on: 0 findings, " + n
                    + " transactions checked, 0 stale IOTLB hits reported");
        }
        assertEquals(2, lines.size());
        assertTrue(r.out().containsAll(lines), out);
        // The total counts the booted machine's sanitizer (nothing ran on it) and both labs'.
        assertEquals("sanitizer: 0 findings, " + checked + " transactions checked, 0 stale IOTLB hits", last(r.out()));
    }

    @Test
    void compareRunsBothBackendsAndWritesTheReport() throws Exception {
        Path workload = dir.resolve("small.workload");
        Files.writeString(workload, "name small\nstream 16K count=4\nsg 4K,64K count=2 dir=from-device\nfault\n");
        Launch.Run r = launch("--compare=" + workload, "--report", dir.resolve("out").toString());
        assertEquals(0, r.exit(), r.errText());
        String out = String.join("\n", r.out());
        assertTrue(out.contains("apple-dart") && out.contains("arm-smmu-v2"), out);
        assertTrue(out.contains("NO PTE FOR IOVA") && out.contains("TRANSLATION FAULT (level 3)"), out);
        assertTrue(Files.size(dir.resolve("out/report.html")) > 0);
        StrictJson.parse(Files.readString(dir.resolve("out/comparison.json")));
        // In a pipe no progress shows, nor the lab's drivers (the fault is provoked on purpose): nothing on stderr.
        assertEquals(List.of(), r.err(), r.errText());
    }

    @Test
    void compareOfAMissingWorkloadFailsNamingIt() throws Exception {
        Launch.Run r = launch("--compare=" + dir.resolve("nope.workload"));
        assertEquals(1, r.exit());
        assertTrue(r.errText().contains("nope.workload"), r.errText());
    }

    @Test
    void failingCommandStopsTheRunWithExitOne() throws Exception {
        Launch.Run r = launch("-c", "machine:status; nosuch:command; iommu:iommus");
        assertEquals(1, r.exit(), r.errText());
        assertTrue(r.err().contains("iommulab: command 'nosuch:command' failed: Command not found: nosuch:command"),
                r.errText());
        String out = String.join("\n", r.out());
        assertTrue(out.contains("probed"), out);
        assertFalse(out.contains("apple,t8103-dart"), "stopped at the failure: " + out);
    }

    /** A command given too few arguments: its usage, as help shows it, instead of Gogo's coercion error; exit 1. */
    @Test
    void aMissingArgumentPrintsTheCommandsUsageAndExitsOne() throws Exception {
        Launch.Run r = launch("-c", "machine:status; iommu:map usb@382280000 0x100000; iommu:iommus");
        assertEquals(1, r.exit(), r.errText());
        List<String> err = r.err();
        int at = err.indexOf("iommulab: command 'iommu:map usb@382280000 0x100000' failed: wrong arguments for iommu:map; usage:");
        assertTrue(at >= 0, r.errText());
        assertEquals(List.of("iommu:map DEV IOVA PADDR SIZE",
                "  iommu_map on the device's current domain, read-write",
                "    DEV    device",
                "    IOVA   IOVA (decimal or 0x hex, K/M/G/T suffix)",
                "    PADDR  physical address",
                "    SIZE   size in bytes",
                "iommu:map DEV IOVA PADDR SIZE PROT",
                "  iommu_map on the device's current domain",
                "    PROT   protection: r, w or rw"), err.subList(at + 1, Math.min(err.size(), at + 10)), r.errText());
        noGogoInternals(r);
        assertFalse(r.outText().contains("apple,t8103-dart"), "stopped at the failure: " + r.outText());
    }

    /**
     * An argument of the wrong type for Gogo (a word where the framework's command takes a number),
     * an option the command does not take: the usage, exit 1. A value the command itself refuses
     * keeps its one line.
     */
    @Test
    void aWrongTypeOrUnknownOptionPrintsTheUsageAValueTheCommandRefusesItsOneLine() throws Exception {
        Launch.Run level = launch("-c", "frameworklevel three");
        assertEquals(1, level.exit(), level.errText());
        assertTrue(level.errText().contains("iommulab: command 'frameworklevel three' failed: wrong arguments for frameworklevel;"
                + " usage:\nfelix:frameworklevel\n  query framework active start level\nfelix:frameworklevel INT\n"
                + "  set framework active start level\n    INT  target start level"), level.errText());
        noGogoInternals(level);

        Launch.Run option = launch("-c", "iommu:compare --frobnicate");
        assertEquals(1, option.exit(), option.errText());
        assertTrue(option.errText().contains("failed: wrong arguments for iommu:compare; usage:\niommu:compare [--workload FILE]"
                + " [--board BOARD] [--backends BACKENDS] [--report DIR] [--format FORMAT] [--json]\n"), option.errText());
        assertTrue(option.err().contains("    --json               print the comparison document (JSON, as comparison.json) instead of the table"),
                option.errText());
        noGogoInternals(option);

        Launch.Run value = launch("-c", "iommu:map usb@382280000 0x100000 lots 0x4000");
        assertEquals(1, value.exit(), value.errText());
        assertEquals(List.of("iommulab: command 'iommu:map usb@382280000 0x100000 lots 0x4000' failed: EINVAL: PADDR 'lots' is"
                + " not a number (decimal or 0x hex, optional K, M, G, T, P or E suffix)"),
                value.err().stream().filter(l -> l.startsWith("iommulab:")).toList(), value.errText());
        assertFalse(value.errText().contains("usage:"), value.errText());
    }

    private static void noGogoInternals(Launch.Run r) {
        assertFalse(r.errText().contains("Cannot coerce"), r.errText());
        assertFalse(r.errText().contains("\tat "), r.errText());
        assertFalse(r.errText().contains("IllegalArgumentException"), r.errText());
    }

    /** help lists every command with what it does (ours all have a description); help NAME shows the usage. */
    @Test
    void helpDescribesEveryCommandAndHelpNameShowsItsUsage() throws Exception {
        Launch.Run r = launch("--quiet", "-c", "help; help iommu:map; help dma:map-sg");
        assertEquals(0, r.exit(), r.errText());
        List<String> out = r.out();
        int end = out.indexOf("help NAME shows how to call a command");
        assertTrue(end > 0, r.outText());
        List<String> ours = out.subList(0, end).stream().filter(l -> l.matches("(machine|iommu|dma|dart|smmu):\\S+ .*")).toList();
        assertTrue(ours.size() > 50, r.outText());
        for (String row : ours) {
            assertTrue(row.matches("\\S+ {2,}\\S.*"), "no description: '" + row + "'");
        }
        assertTrue(out.stream().anyMatch(l -> l.matches("iommu:map +iommu_map on the device's current domain, read-write")),
                r.outText());
        assertTrue(out.stream().anyMatch(l -> l.matches("dma:mapsg +the same as dma:map-sg")), r.outText());
        int map = out.indexOf("iommu:map DEV IOVA PADDR SIZE PROT");
        assertTrue(map > 0, r.outText());
        assertEquals("    PROT   protection: r, w or rw", out.get(map + 2));
        assertTrue(out.contains("dma:map-sg DEV DIR [ENTRIES...]"), r.outText());
    }

    /**
     * The shipped bundles are installed from locations the framework can read again: {@code update}
     * without a URL re-reads the dart bundle, its drivers leave and come back, and every DART is
     * probed afterwards.
     */
    @Test
    void updateOfTheDartBundleWithoutUrlReadsItsLocationAgain() throws Exception {
        // --verbose: a driver registering is a DEBUG line
        Launch.Run r = launch("--json", "--verbose", "-c", "update io.iommulab.dart; iommu:iommus");
        assertEquals(0, r.exit(), r.errText());
        assertEquals(2, r.out().size(), String.join("\n", r.out()));
        assertEquals("null", r.out().get(0), "update returns nothing when it succeeds");
        assertEquals(9, StrictJson.array(r.out().get(1)).stream().filter(i -> "probed".equals(StrictJson.asObject(i).get("state"))).count(),
                r.out().get(1));
        assertFalse(r.errText().contains("Unknown protocol"), r.errText());
        assertEquals(2, count(r.errText(), "IOMMU driver apple-dart registered (compatibles [apple,t8103-dart])"),
                "registered at the boot and again by the updated bundle: " + r.errText());
    }

    /** gogo's felix: commands return their failure as text instead of throwing: the run stops on it all the same. */
    @Test
    void aFailingFrameworkCommandStopsTheRunWithExitOne() throws Exception {
        Launch.Run r = launch("-c", "start 999; iommu:iommus");
        assertEquals(1, r.exit(), r.errText());
        assertTrue(r.err().contains("iommulab: command 'start 999' failed: Bundle ID '999' is invalid."), r.errText());
        assertFalse(String.join("\n", r.out()).contains("apple,t8103-dart"), "stopped at the failure: " + r.out());

        Path missing = dir.resolve("missing.jar");
        Launch.Run u = launch("-c", "update io.iommulab.dart " + missing.toUri() + "; iommu:iommus");
        assertEquals(1, u.exit(), u.errText());
        assertTrue(u.err().contains("iommulab: command 'update io.iommulab.dart " + missing.toUri() + "' failed: Unable to open "
                + "input stream: " + missing + " (No such file or directory)"), u.errText());
        assertFalse(u.errText().contains("\tat "), u.errText());
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }

    @Test
    void scriptRunsEachLineAndSummaryGoesToStdout() throws Exception {
        Path script = Files.writeString(dir.resolve("cmds.gogo"), "# topology\niommu:devices\n\nmachine:pages\n");
        Launch.Run r = launch("--script", script.toString());
        assertEquals(0, r.exit(), r.errText());
        String out = String.join("\n", r.out());
        assertTrue(out.startsWith("board default: iommulab M1 Mac mini-like board, 8192 MiB RAM\n"), out);
        assertTrue(out.contains("DMA masters: "), out);
        assertTrue(out.contains("pages in use"), out);
    }

    @Test
    void withoutTerminalOrCommandsItExitsAfterTheSummary() throws Exception {
        Launch.Run r = launch();
        assertEquals(0, r.exit(), r.errText());
        String out = String.join("\n", r.out());
        assertTrue(out.startsWith("board default: "), out);
        // the DART backend ships in the jar: every enabled DART of the default board probes
        assertTrue(out.contains("IOMMU nodes: 10 (disabled 1, probed 9)"), out);
        assertTrue(out.contains("DMA masters: 7 (probed 7)"), out);
        assertTrue(r.errText().contains("DART [pagesize 4000, 16 streams, bypass support: 1, bypass forced: 0, AS 32 -> 36] initialized"),
                r.errText());
        assertFalse(r.errText().contains("reset on remove failed"), "drivers are removed before the hardware goes: " + r.errText());
        assertTrue(Files.isDirectory(dir.resolve("deploy")));
        assertFalse(r.errText().contains("did not start"), r.errText());
    }

    /** What the default board's 9 DARTs (8 t8103, the Thunderbolt one) each log when they probe, at INFO. */
    private static final String DART_INITIALIZED = "\\S+ \\[pipe-machine:boot\\] INFO AppleDartDriver - apple-dart t8103(-usb4)? "
            + "/soc/iommu@\\w+: DART \\[pagesize 4000, (16|64) streams, .*\\] initialized";

    /**
     * The quiet default, as a user starts the launcher in some folder: our own one-line events at
     * INFO and nothing else. The default board needs 9 lines: the "initialized" line of each DART
     * it probes. No framework logger (Felix, FileInstall, SCR, Gogo, Config Admin, JUL), no lifecycle
     * line (drivers registering, groups, shutdown); the summary on stdout; no ./deploy made.
     */
    @Test
    void theDefaultRunLogsOnlyItsOwnEvents() throws Exception {
        int ourEvents = 9;
        Launch.Run r = Launch.bare(dir);
        assertEquals(0, r.exit(), r.errText());
        assertTrue(r.err().size() <= ourEvents, r.err().size() + " lines on stderr:\n" + r.errText());
        for (String line : r.err()) {
            assertTrue(line.matches(DART_INITIALIZED), line);
        }
        for (String framework : List.of("felix", "fileinstall", "[jul]", "scr", "gogo", "configadmin", "metatype", "spifly")) {
            assertFalse(r.errText().toLowerCase(java.util.Locale.ROOT).contains(framework), framework + ": " + r.errText());
        }
        assertEquals(List.of("board default: iommulab M1 Mac mini-like board, 8192 MiB RAM", "IOMMU nodes: 10 (disabled 1, probed 9)",
                "DMA masters: 7 (probed 7)", "groups: 6, domains: 6"), r.out());
        assertFalse(Files.exists(dir.resolve("deploy")), "no deploy folder made in the working directory");
    }

    /** --verbose: the lifecycle at DEBUG, the start-up time, and a shutdown that is no live update. */
    @Test
    void verboseShowsTheLifecycleAndTheStartUpTime() throws Exception {
        Launch.Run r = Launch.bare(dir, "--verbose");
        assertEquals(0, r.exit(), r.errText());
        assertEquals(9, r.err().stream().filter(l -> l.matches(DART_INITIALIZED)).count(), r.errText());
        assertTrue(r.err().size() > 9, r.errText());
        assertTrue(r.err().stream().anyMatch(l -> l.matches("iommulab: board default probed \\d+\\.\\d\\d s after JVM start")),
                r.errText());
        assertTrue(r.errText().contains("DEBUG IommuCoreEngine - /soc/usb@382280000: Adding to iommu group "), r.errText());
        // at the exit the drivers go away and release their masters: the framework stopping is no live update
        assertTrue(r.errText().contains("DEBUG IommuCoreEngine - /soc/usb@382280000: Removing from iommu group "), r.errText());
        assertFalse(r.errText().contains("live update"), r.errText());
        assertFalse(Files.exists(dir.resolve("deploy")));
    }

    /**
     * The launcher relaunches itself with a class-data-sharing archive: a run that booted a board
     * leaves one archive for the jar in the cache folder and nothing else, the next run uses it and
     * keeps it; a run that booted nothing (--help) keeps none; -Diommulab.relaunch=false runs in
     * one JVM and writes nothing.
     */
    @Test
    void theRelaunchKeepsOneArchivePerJar() throws Exception {
        Path cache = dir.resolve("cache");
        List<String> inCache = List.of("-D" + Relaunch.CACHE + "=" + cache);
        Launch.Run help = Launch.bare(dir, inCache, "--help");
        assertEquals(0, help.exit(), help.errText());
        assertTrue(help.out().get(0).startsWith("Usage: "), help.outText());
        assertEquals(List.of(), files(cache), "nothing booted: no archive kept");

        Launch.Run first = Launch.bare(dir, inCache);
        assertEquals(0, first.exit(), first.errText());
        List<String> archive = files(cache);
        assertEquals(1, archive.size(), archive.toString());
        assertTrue(archive.get(0).matches("iommulab-[0-9a-f]{8}-[0-9a-f]{8}\\.jsa"), archive.toString());
        assertEquals(Relaunch.archiveName(Launch.jar()), archive.get(0));

        Launch.Run next = Launch.bare(dir, inCache, "--json", "-c", "iommu:iommus");
        assertEquals(0, next.exit(), next.errText());
        assertEquals(1, next.out().size(), next.outText());
        assertEquals(archive, files(cache));

        Path none = dir.resolve("none");
        Launch.Run one = Launch.bare(dir, List.of("-D" + Relaunch.CACHE + "=" + none, "-D" + Relaunch.ENABLED + "=false"));
        assertEquals(0, one.exit(), one.errText());
        assertFalse(Files.exists(none));
    }

    private static List<String> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A ./deploy that exists is the deploy folder without --deploy: its configuration file holds. */
    @Test
    void anExistingDeployFolderIsUsed() throws Exception {
        Path cfg = Files.writeString(Files.createDirectories(dir.resolve("deploy")).resolve("iommulab.iommu.cfg"),
                "default-domain = identity\n");
        Launch.Run r = Launch.bare(dir, "--json", "-c", "iommu:config iommulab.iommu default-domain");
        assertEquals(0, r.exit(), r.errText());
        java.util.Map<String, Object> setting = StrictJson.object(r.out().get(0));
        assertEquals("identity", setting.get("value"), r.out().get(0));
        // FileInstall read the file from the folder
        assertEquals(cfg.toFile().getAbsoluteFile().toURI().toString(), setting.get("origin"), r.out().get(0));
    }

    /**
     * What only commands use (Gogo's shell and commands, the comparison, the campaign) is at start
     * level 4, started once the board probed and before the commands run (a bare run starts none).
     */
    @Test
    void theToolsStartAfterTheBootBeforeTheCommands() throws Exception {
        Launch.Run r = Launch.bare(dir, "-c", "lb -s io.iommulab.c; lb -s gogo");
        assertEquals(0, r.exit(), r.errText());
        for (String bsn : List.of("io.iommulab.compare", "io.iommulab.campaign", "org.apache.felix.gogo.shell",
                "org.apache.felix.gogo.command")) {
            assertTrue(r.out().stream().anyMatch(l -> l.matches(" *\\d+\\|Active +\\| +4\\|" + java.util.regex.Pattern.quote(bsn) + " .*")),
                    bsn + ":\n" + r.outText());
        }
        assertTrue(r.out().stream().anyMatch(l -> l.matches(" *\\d+\\|Active +\\| +3\\|io\\.iommulab\\.core .*")), r.outText());
    }

    /** --deploy DIR is made if absent and watched; without a folder FileInstall is not started (it would make one). */
    @Test
    void deployGivenIsMadeAndWithoutOneFileInstallStaysStopped() throws Exception {
        Path given = dir.resolve("elsewhere").resolve("dep");
        Launch.Run r = Launch.bare(dir, "--deploy", given.toString(), "-c", "lb -s fileinstall");
        assertEquals(0, r.exit(), r.errText());
        assertTrue(Files.isDirectory(given));
        assertTrue(String.join("\n", r.out()).contains("|Active     |"), r.outText());
        assertFalse(Files.exists(dir.resolve("deploy")));

        Launch.Run none = Launch.bare(dir, "-c", "lb -s fileinstall");
        assertEquals(0, none.exit(), none.errText());
        assertTrue(none.outText().contains("|Resolved   |"), none.outText());
        assertFalse(Files.exists(dir.resolve("deploy")));
    }

    /**
     * A bundle that says it is hardware ({@code Iommulab-Hardware: true}) and is installed while the
     * container runs, as from the deploy folder, starts at the hardware level with the machine; its
     * driver at the software level. Installed through the framework here, so that nothing waits for
     * the deploy folder's poll.
     */
    @Test
    void hardwareInstalledLaterStartsWithTheMachineAndItsDriverAfterIt() throws Exception {
        String model = Path.of(System.getProperty("iommulab.test-iommu-model.jar")).toUri().toString();
        String driver = Path.of(System.getProperty("iommulab.test-iommu.jar")).toUri().toString();
        Launch.Run r = launch("--quiet", "-c", "m = ($.context installBundle " + model + "); d = ($.context installBundle " + driver
                + "); $m start; $d start; lb test-iommu");
        assertEquals(0, r.exit(), r.errText());
        String out = String.join("\n", r.out());
        assertTrue(out.matches("(?s).*\\|Active +\\| +2\\|iommulab test-iommu-model .*"), out);
        assertTrue(out.matches("(?s).*\\|Active +\\| +3\\|iommulab test-iommu \\(.*"), out);
    }

    @Test
    void realM1BoardProbesEveryDart() throws Exception {
        String shared = System.getProperty("iommulab.shared");
        Path dtb = (shared != null ? Path.of(shared) : Path.of("../../shared")).resolve("boards/t8103-j274.dtb");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(dtb), "real board not present at " + dtb.toAbsolutePath());
        // under the DMA sanitizer from the boot, with DMA through dwc3's DART: it checks both transfers, finds nothing
        Launch.Run r = launch("--sanitize", "--board", dtb.toAbsolutePath().toString(), "-c", "iommu:devices; "
                + "iommu:map usb@382280000 0x100000 0x800000000 0x4000; iommu:dma usb@382280000 write 0x100000 16; "
                + "iommu:dma usb@382280000 read 0x100000 16");
        assertEquals(0, r.exit(), r.errText());
        String out = String.join("\n", r.out());
        assertTrue(out.contains("IOMMU nodes: 9 (disabled 1, probed 8)"), out);
        assertTrue(out.contains("DMA masters: 6 (probed 6)"), out);
        assertFalse(out.contains("deferred"), out);
        assertEquals("sanitizer: 0 findings, 2 transactions checked, 0 stale IOTLB hits", last(r.out()), out);
    }

    /** The two-die fixture: JSON names both dies' dwc3 by full path; a name both have stops the run naming both. */
    @Test
    void twoDieBoardNamesEveryNodeUnambiguously() throws Exception {
        Path board = Path.of("..", "testkit", "src", "main", "resources", "boards", "iommulab-t6002.dts").toAbsolutePath();
        Launch.Run r = launch("--board", board.toString(), "--json", "-c",
                "iommu:devices; dart:darts; iommu:dma usb@702280000 read 0 4; iommu:iommus");
        assertEquals(1, r.exit(), r.errText());
        assertEquals(2, r.out().size(), String.join("\n", r.out()));
        List<Object> nodes = StrictJson.array(r.out().get(0)).stream().map(d -> StrictJson.asObject(d).get("node")).toList();
        assertTrue(nodes.containsAll(List.of("/soc@200000000/usb@702280000", "/soc@2200000000/usb@702280000")), nodes.toString());
        List<Object> darts = StrictJson.array(r.out().get(1)).stream().map(d -> StrictJson.asObject(d).get("node")).toList();
        assertTrue(darts.containsAll(List.of("/soc@200000000/iommu@702f00000", "/soc@2200000000/iommu@702f00000")), darts.toString());
        assertTrue(r.err().contains("iommulab: command 'iommu:dma usb@702280000 read 0 4' failed: EINVAL: device name"
                + " 'usb@702280000' is ambiguous: /soc@200000000/usb@702280000, /soc@2200000000/usb@702280000"), r.errText());
    }

    @Test
    void badArgumentsExitWithTwo() throws Exception {
        Launch.Run r = launch("--frobnicate");
        assertEquals(2, r.exit());
        assertEquals(List.of("iommulab: unknown option --frobnicate (see --help)"), r.err());
        Launch.Run help = launch("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().get(0).startsWith("Usage: java -jar iommulab.jar"));
    }
}
