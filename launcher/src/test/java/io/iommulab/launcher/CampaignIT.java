package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.testkit.StrictJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The differential campaign as a user runs it: the shaded jar with {@code --campaign OPS --seed S
 * --json}, on every backend and every DART variant: the default board (t8103 and the usb4 DART,
 * whose Thunderbolt master uses stream 40) and its SMMU twin, our t6000 board (DART2 tables),
 * t8112 board (t8110) and t6020 board (t8110 family with IAS 42: four-level tables), the testkit
 * board with the test IOMMU deployed. At least 100,000 operations
 * run per backend, with live updates of the backends' bundles under the labs, and not one
 * mismatch; every page table is freed. Then a driver bug (iommu:inject skip-invalidate): exit 5,
 * a replay file, and {@code --replay FILE} fails the same way.
 */
class CampaignIT {

    private static final String BOARDS = Path.of("../testkit/src/main/resources/boards").toAbsolutePath().normalize() + "/";
    /** generated per backend: about a quarter name what is not there and are skipped */
    private static final String OPS = "135000";
    private static final long TIMEOUT_S = 900;

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> obj(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    private static long num(Object o) {
        return StrictJson.longValue(o);
    }

    /** Runs a campaign with {@code --json}; @return its runs, after checking the exit status and the one JSON line */
    private List<Map<String, Object>> campaign(int exit, String... args) throws Exception {
        Launch.Run r = Launch.run(dir, TIMEOUT_S, List.of(), args);
        assertEquals(exit, r.exit(), r.errText());
        assertEquals(1, r.out().size(), r.outText());
        Map<String, Object> report = obj(StrictJson.parse(r.out().get(0)));
        assertEquals("iommulab.campaign/1", report.get("schema"));
        List<Map<String, Object>> runs = new ArrayList<>();
        list(report.get("runs")).forEach(x -> runs.add(obj(x)));
        assertEquals(runs.stream().filter(x -> x.get("mismatch") != null).count(), num(report.get("mismatches")));
        return runs;
    }

    private static void assertClean(Map<String, Object> run, long atLeast, Set<String> variants) {
        String what = run.get("backend") + " on " + run.get("board") + ": ";
        assertNull(run.get("mismatch"), what + run.get("mismatch"));
        assertTrue(num(run.get("ops")) >= atLeast, what + run.get("ops") + " operations");
        assertEquals(0, num(run.get("pagesAfterClose")), what + "every page table freed");
        assertTrue(num(run.get("faults")) > 0 && num(run.get("dmaBytes")) > 0 && num(run.get("walks")) > 0, what + run);
        assertTrue(new TreeSet<>(obj(run.get("variants")).values()).containsAll(variants), what + run.get("variants"));
        assertTrue(obj(run.get("errors")).keySet().containsAll(Set.of("EEXIST", "EINVAL", "ERANGE")), what + run.get("errors"));
    }

    /**
     * A campaign's progress is for a terminal: in a pipe it prints none; --progress shows it anyway,
     * a line every 500 operations here ({@code iommu:campaign --progress 500}).
     */
    @Test
    void progressShowsOffATerminalOnlyWhenAskedFor() throws Exception {
        String campaign = "iommu:campaign 2000 --seed 3 --backends dart --progress 500";
        String progress = ".* campaign: apple-dart on \\S+: (500|1000|1500|2000) of 2000 ops, \\d+ ops/s, 0 mismatches";
        Launch.Run pipe = Launch.run(dir, TIMEOUT_S, List.of(), "-c", campaign);
        assertEquals(0, pipe.exit(), pipe.errText());
        assertTrue(pipe.err().stream().noneMatch(l -> l.contains(" ops/s, ")), pipe.errText());
        Launch.Run asked = Launch.run(dir, TIMEOUT_S, List.of(), "--progress", "-c", campaign);
        assertEquals(0, asked.exit(), asked.errText());
        assertEquals(4, asked.err().stream().filter(l -> l.matches(progress)).count(), asked.errText());
    }

    @Test
    void everyBackendAndDartVariantRunsAHundredThousandOperationsWithoutAMismatch() throws Exception {
        List<Map<String, Object>> runs = campaign(0, "--campaign", OPS, "--seed", "1", "--json");
        assertEquals(List.of("apple-dart", "arm-smmu-v2"), runs.stream().map(x -> x.get("backend")).toList());
        assertClean(runs.get(0), 100_000, Set.of("apple,t8103-dart", "apple,t8103-usb4-dart"));
        assertClean(runs.get(1), 100_000, Set.of("arm,smmu-v2"));
        for (Map<String, Object> run : runs) {
            assertTrue(num(run.get("liveUpdates")) >= 4, run.get("backend") + ": the driver and pgtable bundles updated"
                    + " under the lab, " + run.get("liveUpdates"));
        }
        assertTrue(obj(runs.get(1).get("errors")).containsKey("ENOSPC"), "the SMMU ran out of context banks: "
                + runs.get(1).get("errors"));

        Map<String, Object> t6000 = campaign(0, "--board", BOARDS + "iommulab-t6000.dts", "--campaign", "40000", "--seed", "2",
                "--backends", "dart", "--json").get(0);
        assertClean(t6000, 25_000, Set.of("apple,t6000-dart"));
        Map<String, Object> t8112 = campaign(0, "--board", BOARDS + "iommulab-t8112.dts", "--campaign", "40000", "--seed", "3",
                "--backends", "dart", "--json").get(0);
        assertClean(t8112, 25_000, Set.of("apple,t8110-dart"));
        Map<String, Object> t6020 = campaign(0, "--board", BOARDS + "iommulab-t6020.dts", "--campaign", "40000", "--seed", "5",
                "--backends", "dart", "--json").get(0);
        assertClean(t6020, 25_000, Set.of("apple,t6020-dart"));

        Files.createDirectories(dir.resolve("deploy"));
        for (String jar : List.of("iommulab.test-iommu-model.jar", "iommulab.test-iommu.jar")) {
            Path from = Path.of(System.getProperty(jar));
            Files.copy(from, dir.resolve("deploy").resolve(from.getFileName()));
        }
        Map<String, Object> test = campaign(0, "--board", BOARDS + "testkit.dts", "--campaign", OPS, "--seed", "4",
                "--backends", "test-iommu", "--json").get(0);
        assertClean(test, 100_000, Set.of("iommulab,test-iommu"));
    }

    @Test
    void aMismatchExitsWithFiveAndItsReplayFileFailsTheSameWay() throws Exception {
        Launch.Run r = Launch.run(dir, TIMEOUT_S, List.of(), "-c",
                "iommu:campaign 20000 --seed 3 --backends dart --inject skip-invalidate --out " + dir);
        assertEquals(5, r.exit(), r.errText());
        String out = r.outText();
        assertTrue(out.contains("campaign seed 3: 20000 operations per backend and board: 1 mismatch"), out);
        assertTrue(out.contains("MISMATCH at operation "), out);
        Path file;
        try (Stream<Path> s = Files.list(dir)) {
            file = s.filter(p -> p.getFileName().toString().endsWith(".replay")).findFirst().orElse(null);
        }
        assertNotNull(file, "a replay file in " + dir + ": " + out);
        assertEquals("campaign-3-apple-dart-default.replay", file.getFileName().toString());
        assertTrue(out.contains("written to " + file), out);
        String text = Files.readString(file);
        assertTrue(text.contains("\nboard default\nbackend apple-dart\nseed 3\n"), text);
        assertTrue(text.contains("\ninject iommu="), text);

        List<Map<String, Object>> replay = campaign(5, "--replay", file.toString(), "--json");
        Map<String, Object> m = obj(replay.get(0).get("mismatch"));
        assertNotNull(m, "the replay fails too");
        String check = out.substring(out.indexOf("MISMATCH at operation "));
        check = check.substring(check.indexOf('\n') + 1).strip();
        assertTrue(check.startsWith(m.get("check") + ": "), check + " / " + m);
        long lines = text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).count() - 3;
        assertEquals(lines - 1, num(m.get("index")), "it fails at the file's last operation");
    }

    @Test
    void campaignOptionsAreCheckedBeforeTheContainerStarts() throws Exception {
        Launch.Run r = Launch.run(dir, "--seed", "7");
        assertEquals(2, r.exit());
        assertEquals(List.of("iommulab: option --seed needs --campaign (see --help)"), r.err());
        Launch.Run bad = Launch.run(dir, "--campaign", "10", "--backends", "nothing");
        assertEquals(1, bad.exit(), bad.errText());
        assertTrue(bad.errText().contains("failed: ENODEV: backend 'nothing' is not installed (installed: apple-dart,"
                + " arm-smmu-v2)"), bad.errText());
    }
}
