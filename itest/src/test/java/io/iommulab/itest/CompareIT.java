package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.machine.MachineFactory;
import io.iommulab.testkit.StrictJson;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * {@code iommu:compare} as a user runs it in the shell: both backends on twins of the booted board,
 * the table, the report files, and a third backend (the test IOMMU, whose model makes twins)
 * appearing when its two bundles are installed, with no change to the harness.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class CompareIT {

    @Rule
    public final TemporaryFolder reportDir = new TemporaryFolder();

    @Rule
    public final SanitizerCheck sanitizer = new SanitizerCheck();

    @Inject
    private BundleContext context;

    @Inject
    private MachineFactory machines;

    @Inject
    private CommandProcessor processor;

    @Configuration
    public Option[] config() {
        return Container.options(false);
    }

    private String run(String command) throws Exception {
        return run(command, List.of());
    }

    /**
     * Runs a command in a session of its own; a comparison's sanitizer states go to the rule.
     *
     * @param stopped backends the comparison is expected to stop before any DMA
     */
    private String run(String command, List<String> stopped) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession s = processor.createSession(System.in, ps, ps)) {
            Object r = s.execute(command);
            if (command.startsWith("iommu:compare")) {
                sanitizer.compared(command, s.get(SanitizerCheck.COMPARE_VARIABLE), stopped);
            }
            return r == null ? "" : String.valueOf(r);
        }
    }

    private void bootDefault() {
        if (machines.current().isEmpty()) {
            machines.bootDefault();
        }
    }

    @Test
    public void comparesBothBackendsAndWritesTheReport() throws Exception {
        bootDefault();
        Path dir = reportDir.getRoot().toPath();
        String table = run("iommu:compare --report " + dir);
        assertTrue(table, table.contains("apple-dart") && table.contains("arm-smmu-v2"));
        assertTrue(table, table.contains("Differences"));
        Map<String, Object> json = StrictJson.object(Files.readString(dir.resolve("comparison.json")));
        assertEquals("iommulab.compare/1", json.get("schema"));
        List<Map<String, Object>> backends = StrictJson.asArray(json.get("backends")).stream().map(StrictJson::asObject).toList();
        assertEquals("both runs completed: " + json, List.of("apple-dart", "arm-smmu-v2"),
                backends.stream().map(b -> b.get("backend")).toList());
        for (Map<String, Object> b : backends) {
            assertEquals("no error: " + b, null, b.get("error"));
            for (Object p : StrictJson.asArray(b.get("patterns"))) {
                assertEquals("no data errors on a correct backend: " + p, 0L, StrictJson.longValue(StrictJson.asObject(p).get("dataErrors")));
            }
        }
        // Differences the two designs must show on any board: page sizes (SMMU has blocks) and the fault text.
        List<Object> metrics = StrictJson.asArray(json.get("differences")).stream().map(d -> StrictJson.asObject(d).get("metric")).toList();
        assertTrue(metrics.toString(), metrics.stream().anyMatch(m -> m.toString().contains("page sizes")));
        assertTrue(metrics.toString(), metrics.stream().anyMatch(m -> m.toString().contains("driver report")));
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("<svg"));
    }

    @Test
    public void aThirdBackendBundleJoinsTheComparison() throws Exception {
        bootDefault();
        assertFalse(run("iommu:backends").contains("test-iommu"));
        List<Bundle> testIommu = Container.installTestIommu(context);
        try {
            String backends = run("iommu:backends");
            assertTrue(backends, backends.contains("test-iommu"));
            String table = run("iommu:compare --backends apple-dart,test-iommu");
            assertTrue(table, table.contains("test-iommu"));
            assertEquals("no run stopped: " + table, -1, table.indexOf("error:"));
        } finally {
            Container.uninstall(testIommu);
        }
        assertFalse(run("iommu:backends").contains("test-iommu"));
    }

    @Test
    public void aBackendWithoutItsDriverStopsAloneAndNothingElseChanges() throws Exception {
        bootDefault();
        Bundle smmu = Container.installed(context, "io.iommulab.smmu");
        int devicesBefore = run("iommu:devices").length();
        smmu.stop();
        try {
            String table = run("iommu:compare --backends apple-dart,arm-smmu-v2", List.of("arm-smmu-v2"));
            assertTrue(table, table.contains("error: ENODEV: no master probed"));
            assertEquals("only the SMMU run stopped: " + table, table.indexOf("error:"), table.lastIndexOf("error:"));
        } finally {
            smmu.start();
        }
        assertEquals("the registered machine's devices are as they were", devicesBefore, run("iommu:devices").length());
        String again = run("iommu:compare --backends arm-smmu-v2");
        assertEquals(again, -1, again.indexOf("error:"));
    }

    @Test
    public void badOptionsAreRefusedByName() throws Exception {
        bootDefault();
        try {
            run("iommu:compare --backends nosuch");
            throw new AssertionError("unknown backend accepted");
        } catch (Exception e) {
            assertTrue(e.getMessage(), e.getMessage().contains("no backend nosuch installed"));
        }
    }
}
