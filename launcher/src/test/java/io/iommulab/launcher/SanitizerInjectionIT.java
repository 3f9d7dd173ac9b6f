package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.testkit.StrictJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Injected driver bugs, caught by the DMA sanitizer as a user runs it: the shaded jar with
 * {@code --sanitize --json} and commands. On each backend variant (DART t8103, t6000 with DART2
 * tables, t8110 with four levels, the usb4 DART on a stream above 31, the SMMU twin, the test
 * IOMMU, and the real trees when {@code ../shared/boards} has them): map, DMA (fills the IOTLB),
 * unmap, DMA faults, no findings; then map, DMA, {@code iommu:inject IOMMU skip-invalidate 1},
 * unmap, DMA gets through the stale IOTLB entry, and the sanitizer has exactly one
 * {@code stale-translation} finding naming the IOVA, the stream, the cached and current
 * translation, the invalidation that was due in the architecture's terms and the unmap as the
 * trace has it. Also upstream's usb4 STREAM_SELECT words (dart-usb4's option) named with no
 * injection at all, and the README's example.
 */
class SanitizerInjectionIT {

    private static final long IOVA = 0x100000;
    private static final String BOARDS = "../testkit/src/main/resources/boards/";

    @TempDir
    Path dir;

    /**
     * One backend variant: the master and the stream index its DMA uses, the IOMMU and stream id
     * behind it, the RAM it maps, the model's fault for an unmapped IOVA and the invalidation due.
     */
    private record Variant(List<String> board, String device, int stream, String iommu, int sid, long pa, String fault,
            Pattern due) {

        String map() {
            return String.format("iommu:map %s 0x%x 0x%x 0x4000", device, IOVA, pa);
        }

        String dma() {
            return String.format("iommu:dma %s read 0x%x 16 %d", device, IOVA, stream);
        }

        String unmap() {
            return String.format("iommu:unmap %s 0x%x 0x4000", device, IOVA);
        }
    }

    private static Pattern exactly(String s) {
        return Pattern.compile(Pattern.quote(s));
    }

    /** T8020-family DARTs (t8103, t6000, usb4): STREAM_SELECT bit of the stream, then STREAM_COMMAND. */
    private static Pattern streamFlush(int word, int bit, int sid) {
        return exactly(String.format("DART stream flush: STREAM_SELECT word %d (0x%x) bit %d + STREAM_COMMAND INVALIDATE (stream %d)",
                word, 0x34 + 4 * word, bit, sid));
    }

    // ---------------------------------------------------------------- one stale translation per variant

    @Test
    void dartT8103() throws Exception {
        check(new Variant(List.of(), "/soc/usb@382280000", 0, "/soc/iommu@382f00000", 0, 0x8_0000_0000L,
                "NO PTE FOR IOVA", streamFlush(0, 0, 0)));
    }

    @Test
    void dartT6000WithDart2Tables() throws Exception {
        check(new Variant(board(BOARDS + "iommulab-t6000.dts"), "/soc/usb@702280000", 0, "/soc/iommu@702f00000", 0,
                0x100_0000_0000L, "NO PTE FOR IOVA", streamFlush(0, 0, 0)));
    }

    @Test
    void dartT8110WithFourLevels() throws Exception {
        check(new Variant(board(BOARDS + "iommulab-t8112.dts"), "/soc/usb@382280000", 0, "/soc/iommu@382f00000", 0,
                0x8_0000_0000L, "NO PTE FOR IOVA", exactly("T8110 TLB_CMD FLUSH_SID 0")));
    }

    /** The Thunderbolt master's second stream is SID 40: word 1 of STREAM_SELECT. */
    @Test
    void dartUsb4OnAStreamAbove31() throws Exception {
        check(usb4());
    }

    private static Variant usb4() {
        return new Variant(List.of(), "/soc/thunderbolt@38a000000", 1, "/soc/iommu@38b004000", 40, 0x8_0000_0000L,
                "NO PTE FOR IOVA", streamFlush(1, 8, 40));
    }

    /** The default board's SMMUv2 twin, written by {@code iommu:twin} as the README does it. */
    @Test
    void smmuTwin() throws Exception {
        Path twin = dir.resolve("smmu-twin.dtb");
        Launch.Run made = Launch.run(dir, "--quiet", "-c", "iommu:twin arm-smmu-v2 " + twin);
        assertEquals(0, made.exit(), made.errText());
        check(new Variant(List.of("--board", twin.toString()), "/soc/usb@382280000", 0, "/soc/iommu@382f00000", 0,
                0x8_0000_0000L, "TRANSLATION FAULT (level 3)",
                Pattern.compile("SMMU TLBIVAL ASID (\\d+) VA 0x100000 \\(or TLBIASID \\1\\)")));
    }

    /** The testkit board with the test IOMMU's two bundles in the deploy folder, as the README runs it. */
    @Test
    void testIommu() throws Exception {
        Path deploy = Files.createDirectories(dir.resolve("deploy"));
        for (String jar : List.of("iommulab.test-iommu-model.jar", "iommulab.test-iommu.jar")) {
            Path p = Path.of(System.getProperty(jar));
            Files.copy(p, deploy.resolve(p.getFileName()));
        }
        check(new Variant(board(BOARDS + "testkit.dts"), "/soc/dev-a@200000000", 0, "/soc/iommu@100000000", 0,
                0x8_0000_0000L, "NO_PTE", exactly("CMD INVALIDATE stream 0")));
    }

    @Test
    void realM1ProTree() throws Exception {
        check(new Variant(realBoard("t6000-j314s.dtb"), "/soc/usb@702280000", 0, "/soc/iommu@702f00000", 0,
                0x100_0000_0000L, "NO PTE FOR IOVA", streamFlush(0, 0, 0)));
    }

    @Test
    void realM2Tree() throws Exception {
        check(new Variant(realBoard("t8112-j413.dtb"), "/soc/usb@382280000", 0, "/soc/iommu@382f00000", 0,
                0x8_0000_0000L, "NO PTE FOR IOVA", exactly("T8110 TLB_CMD FLUSH_SID 0")));
    }

    private static List<String> board(String file) {
        return List.of("--board", Path.of(file).toAbsolutePath().toString());
    }

    /** A real tree from the shared boards folder ({@code -Diommulab.shared}); skipped when it is not there. */
    private static List<String> realBoard(String name) {
        String shared = System.getProperty("iommulab.shared");
        Path dtb = (shared != null ? Path.of(shared) : Path.of("../../shared")).resolve("boards").resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(dtb), "real board not present at " + dtb.toAbsolutePath());
        return board(dtb.toString());
    }

    /**
     * The sequence without the injection, then with it, in one run: the first has no findings,
     * the second exactly one stale translation, which the run's exit status (4) and its last line
     * report.
     */
    private void check(Variant v) throws Exception {
        List<String> cmds = List.of(v.map(), v.dma(), v.unmap(), v.dma(), "iommu:sanitize",
                v.map(), v.dma(), "iommu:inject " + v.iommu() + " skip-invalidate 1", v.unmap(), v.dma(), "iommu:sanitize",
                "iommu:trace");
        List<String> args = new ArrayList<>(v.board());
        args.addAll(List.of("--sanitize", "--json", "-c", String.join("; ", cmds)));
        Launch.Run r = Launch.run(dir, args.toArray(new String[0]));
        List<Object> docs = r.out().stream().map(StrictJson::parse).toList();
        assertEquals(cmds.size(), docs.size(), "one JSON document per command:\n" + r.outText() + "\n" + r.errText());

        // without the injection: the unmap invalidates, the DMA after it faults, nothing is found
        int domain = num(obj(docs.get(0)).get("domain"));
        assertDma(true, docs.get(1), "the DMA fills the IOTLB");
        Map<String, Object> afterUnmap = obj(docs.get(3));
        assertDma(false, afterUnmap, "unmapped and invalidated");
        assertTrue(((String) afterUnmap.get("fault")).startsWith(v.fault() + " (" + v.iommu() + " sid " + v.sid() + " iova 0x100000)"),
                afterUnmap.toString());
        Map<String, Object> clean = obj(docs.get(4));
        assertEquals(Map.of(), clean.get("findings"), clean.toString());
        assertEquals(0, num(clean.get("staleReports")));
        assertEquals(1, num(clean.get("transactions")), "the fill; the faulted DMA is no transaction");

        // with it: the driver skipped the invalidation, the stale IOTLB entry serves the DMA
        assertEquals(domain, num(obj(docs.get(5)).get("domain")));
        assertDma(true, docs.get(6), "the DMA fills the IOTLB again");
        Map<String, Object> injected = obj(((List<?>) docs.get(7)).get(0));
        assertEquals(v.iommu(), injected.get("iommu"));
        assertEquals(1, num(injected.get("remaining")));
        assertDma(true, docs.get(9), "the skipped invalidation leaves the translation in the IOTLB");
        Map<String, Object> san = obj(docs.get(10));
        assertEquals(Map.of("stale-translation", 1), san.get("findings"), san.toString());
        assertEquals(1, num(san.get("staleReports")));
        assertEquals(3, num(san.get("transactions")), "the two fills and the stale hit");
        List<?> history = (List<?>) san.get("history");
        assertEquals(1, history.size(), history.toString());
        Map<String, Object> f = obj(history.get(0));
        assertEquals("stale-translation", f.get("kind"));
        assertEquals(v.iommu(), f.get("iommu"));
        assertEquals(v.sid(), num(f.get("stream")));
        assertEquals(v.device(), f.get("device"));
        assertEquals("read", f.get("access"));
        assertEquals(IOVA, StrictJson.longValue(f.get("iova")));
        assertEquals(String.format("0x%x rw", v.pa()), f.get("cached"));
        assertEquals("not mapped (" + v.fault() + ")", f.get("current"));
        assertTrue(v.due().matcher((String) f.get("due")).matches(), v.due() + " <- " + f.get("due"));
        assertEquals(domain, num(f.get("domain")));

        // when and by which operation the table changed: the unmap as the trace recorded it
        List<?> trace = (List<?>) docs.get(11);
        Map<String, Object> unmap = null;
        for (Object e : trace) {
            Map<String, Object> ev = obj(e);
            if (ev.get("event").equals("unmap") && ((String) ev.get("text")).startsWith("IOMMU: iova=0x0000000000100000 ")) {
                unmap = ev;
            }
        }
        assertNotNull(unmap, trace.toString());
        long at = StrictJson.longValue(unmap.get("timestampNs"));
        String detail = (String) f.get("detail");
        assertEquals(String.format("PTE cleared; iommu_unmap 0x4000 @0x100000 by domain %d at %d.%03d ms, no invalidation since; "
                + "iommu:inject skip-invalidate on this IOMMU: 1 occurrence(s) failed", domain, at / 1_000_000, (at / 1000) % 1000),
                detail);
        assertTrue(trace.stream().map(SanitizerInjectionIT::obj).anyMatch(e -> e.get("event").equals("dma_sanitizer")
                && ((String) e.get("text")).contains("stale-translation")), "the finding is traced too");

        assertEquals(4, r.exit(), "the commands succeeded, the sanitizer found something: " + r.errText());
        // with --json the summary at exit goes to stderr, among the log lines
        assertTrue(r.err().contains("sanitizer: 1 finding (stale-translation 1), 3 transactions checked, 1 stale IOTLB hit"),
                r.errText());
    }

    // ---------------------------------------------------------------- upstream's usb4 STREAM_SELECT words

    /**
     * dart-usb4's {@code iommulab.dart-usb4.upstream-stream-select}: every invalidation writes
     * STREAM_SELECT word 1 as 0, so SID 40 is never invalidated. Map, DMA on SID 0 and SID 40, unmap,
     * DMA again: SID 0 faults, SID 40 still reaches the page and the sanitizer names it, with no
     * injection; our own driver (the option off) has no findings for the same commands.
     */
    @Test
    void upstreamUsb4StreamSelectIsNamedAndOursIsClean() throws Exception {
        Variant v = usb4();
        String sid0 = String.format("iommu:dma %s read 0x%x 16 0", v.device(), IOVA);
        String cmds = String.join("; ", v.map(), v.dma(), sid0, v.unmap(), sid0, v.dma(), "iommu:sanitize");

        Launch.Run upstream = Launch.run(dir, List.of("-Diommulab.dart-usb4.upstream-stream-select=true"),
                "--sanitize", "--json", "-c", cmds);
        List<Object> docs = upstream.out().stream().map(StrictJson::parse).toList();
        assertEquals(7, docs.size(), upstream.outText() + "\n" + upstream.errText());
        assertDma(false, docs.get(4), "SID 0 is in word 0, which upstream writes right: invalidated");
        assertDma(true, docs.get(5), "SID 40 was never selected: its IOTLB still translates");
        Map<String, Object> san = obj(docs.get(6));
        assertEquals(Map.of("stale-translation", 1), san.get("findings"), san.toString());
        Map<String, Object> f = obj(((List<?>) san.get("history")).get(0));
        assertEquals(v.iommu(), f.get("iommu"));
        assertEquals(40, num(f.get("stream")));
        assertEquals(v.device(), f.get("device"));
        assertEquals(IOVA, StrictJson.longValue(f.get("iova")));
        assertEquals("0x800000000 rw", f.get("cached"));
        assertEquals("not mapped (NO PTE FOR IOVA)", f.get("current"));
        assertTrue(v.due().matcher((String) f.get("due")).matches(), (String) f.get("due"));
        String detail = (String) f.get("detail");
        assertTrue(detail.startsWith("PTE cleared; iommu_unmap 0x4000 @0x100000 by domain "), detail);
        assertFalse(detail.contains("iommu:inject"), "nothing was injected: the driver's own words left it: " + detail);
        assertTrue(upstream.errText().contains("iommulab.dart-usb4.upstream-stream-select"), "the option is logged");
        assertEquals(4, upstream.exit(), upstream.errText());

        Launch.Run ours = Launch.run(dir, "--sanitize", "--json", "-c", cmds);
        List<Object> clean = ours.out().stream().map(StrictJson::parse).toList();
        assertEquals(7, clean.size(), ours.outText() + "\n" + ours.errText());
        assertDma(false, clean.get(4), "SID 0 invalidated");
        assertDma(false, clean.get(5), "SID 40 selected in word 1 and invalidated");
        assertEquals(Map.of(), obj(clean.get(6)).get("findings"));
        assertEquals(0, ours.exit(), ours.errText());
        assertTrue(ours.err().contains("sanitizer: 0 findings, 2 transactions checked, 0 stale IOTLB hits"), ours.errText());
    }

    // ---------------------------------------------------------------- the README's example

    /**
     * README, "The DMA sanitizer": its example run as written prints the lines the README shows
     * (times aside) and exits with 4.
     */
    @Test
    void theReadmeExamplePrintsWhatTheReadmeSays() throws Exception {
        List<String> readme = Files.readAllLines(Path.of("..", "README.md"));
        int section = readme.indexOf("### The DMA sanitizer");
        assertTrue(section > 0, "README has the section");
        int exampleEnd = blockEnd(readme, section);
        List<String> example = block(readme, section);
        List<String> expected = block(readme, exampleEnd + 1);

        String command = String.join(" ", example).trim().replaceAll("\\s+", " ");
        String prefix = "java -jar launcher/target/iommulab.jar ";
        assertTrue(command.startsWith(prefix) && command.contains(" -c \"") && command.endsWith("\""), command);
        String[] options = command.substring(prefix.length(), command.indexOf(" -c \"")).split(" ");
        String script = command.substring(command.indexOf(" -c \"") + 5, command.length() - 1);
        List<String> args = new ArrayList<>(List.of(options));
        args.addAll(List.of("-c", script));
        Launch.Run r = Launch.run(dir, args.toArray(new String[0]));

        assertEquals(4, r.exit(), r.errText());
        int from = 0;
        for (String line : expected) {
            Pattern p = timesAside(line);
            int at = -1;
            for (int i = from; i < r.out().size() && at < 0; i++) {
                at = p.matcher(r.out().get(i)).matches() ? i : -1;
            }
            assertTrue(at >= 0, "printed, in the README's order: " + line + "\n" + r.outText());
            from = at + 1;
        }
        assertEquals(expected.get(expected.size() - 1), last(r.out()));
    }

    /** @return the lines of the first fenced block at or after line {@code from} */
    private static List<String> block(List<String> lines, int from) {
        return lines.subList(fence(lines, from) + 1, blockEnd(lines, from));
    }

    /** @return the line that closes the first fenced block at or after line {@code from} */
    private static int blockEnd(List<String> lines, int from) {
        return fence(lines, fence(lines, from) + 1);
    }

    private static int fence(List<String> lines, int from) {
        int i = from;
        while (!lines.get(i).startsWith("```")) {
            i++;
        }
        return i;
    }

    /** A README line as a pattern in which every decimal with a fraction (a time) may differ. */
    private static Pattern timesAside(String line) {
        StringBuilder sb = new StringBuilder();
        int last = 0;
        java.util.regex.Matcher m = Pattern.compile("\\d+\\.\\d+").matcher(line);
        while (m.find()) {
            sb.append(Pattern.quote(line.substring(last, m.start()))).append("\\d+\\.\\d+");
            last = m.end();
        }
        return Pattern.compile(sb.append(Pattern.quote(line.substring(last))).toString());
    }

    // ---------------------------------------------------------------- JSON

    private static void assertDma(boolean ok, Object doc, String why) {
        Map<String, Object> d = obj(doc);
        assertEquals(ok, d.get("ok"), why + ": " + d);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> obj(Object o) {
        return (Map<String, Object>) o;
    }

    private static int num(Object o) {
        return Math.toIntExact(StrictJson.longValue(o));
    }

    private static String last(List<String> lines) {
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }
}
