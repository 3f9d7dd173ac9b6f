package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.testkit.StrictJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policy through Config Admin in the shipped jar: a {@code PID.cfg} file in the deploy folder at
 * the start holds for the boot; one dropped while the machine runs changes the policy without a
 * restart and {@code iommu:config} shows it; a bad one is refused in one line naming the PID, the
 * key and the value, and nothing changes; {@code iommu:config PID KEY VALUE} changes and refuses
 * the same way.
 */
class ConfigurationIT {

    private static final String USB = "usb@382280000";

    @TempDir
    Path dir;

    private Path deploy() throws IOException {
        return Files.createDirectories(dir.resolve("deploy"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String json) {
        return (Map<String, Object>) StrictJson.parse(json);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> array(String json) {
        return (List<Map<String, Object>>) StrictJson.parse(json);
    }

    @Test
    void aCfgFileThereAtTheStartHoldsForTheBoot() throws Exception {
        Path cfg = Files.writeString(deploy().resolve("iommulab.iommu.cfg"), "default-domain = identity\n");
        Launch.Run r = Launch.run(dir, "--json", "-c", "iommu:devices; iommu:config iommulab.iommu");
        assertEquals(0, r.exit(), r.errText());
        assertFalse(r.errText().contains("not applied within"), "the launcher saw SCR hold it before the boot: " + r.errText());
        for (Map<String, Object> d : array(r.out().get(0))) {
            // the Thunderbolt DART cannot bypass: its master falls back to DMA, as Linux does
            String want = ((String) d.get("node")).startsWith("/soc/thunderbolt") ? "DMA" : "identity";
            assertEquals(want, d.get("domainType"), "the default domains made at the boot follow the file: " + d);
        }
        Map<String, Object> dd = array(r.out().get(1)).get(0);
        assertEquals("default-domain", dd.get("key"));
        assertEquals("identity", dd.get("value"));
        assertEquals("configuration", dd.get("source"));
        assertEquals(cfg.toFile().getAbsoluteFile().toURI().toString(), dd.get("origin"));
        assertEquals("new default domains", dd.get("applies"));
        assertTrue(((String) dd.get("description")).startsWith("Default domain type"), "from the metatype: " + dd);
    }

    /**
     * The file dropped after the boot: tracing stops at once (the trace stays empty across a map),
     * the groups and domains are the same objects as before, and the command shows the file.
     */
    @Test
    @Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCfgFileDroppedWhileTheMachineRunsChangesPolicyAndTheCommandShowsIt() throws Exception {
        Running run = new Running(dir, "iommu:groups; iommu:config --wait iommulab.iommu trace false; iommu:trace clear; "
                + "iommu:map " + USB + " 0x100000 0x800000000 0x4000; iommu:trace; iommu:groups; iommu:config iommulab.iommu trace");
        run.awaitBoot();
        Path cfg = run.drop("iommulab.iommu.cfg", "trace = off\n");
        run.finish();
        assertEquals(0, run.exit, run.errText());
        assertEquals(7, run.out.size(), String.join("\n", run.out));
        assertEquals("false", object(run.out.get(1)).get("value"));
        assertEquals(List.of(), StrictJson.parse(run.out.get(4)), "no event recorded after the change");
        assertEquals(run.out.get(0), run.out.get(5), "no group or domain torn down or made");
        Map<String, Object> trace = object(run.out.get(6));
        assertEquals("configuration", trace.get("source"));
        assertEquals(cfg.toFile().getAbsoluteFile().toURI().toString(), trace.get("origin"));
        assertEquals("live", trace.get("applies"));
        assertTrue(run.errText().contains("IommuCore - iommulab.iommu: trace true -> false"), run.errText());
    }

    /**
     * A bad file is refused in one line and nothing changes; the SMMU driver's file, dropped next,
     * changes disable_bypass (and lets the script go on).
     */
    @Test
    @Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBadCfgFileIsRefusedInOneLineAndNothingChanges() throws Exception {
        Running run = new Running(dir, "iommu:config iommulab.iommu; iommu:config --wait iommulab.arm_smmu disable-bypass false; "
                + "iommu:config iommulab.iommu");
        run.awaitBoot();
        run.drop("iommulab.iommu.cfg", "trace-events = -1\nstrict = false\n");
        run.awaitErr(l -> l.contains("configuration refused"));
        run.drop("iommulab.arm_smmu.cfg", "disable-bypass = 0\n");
        run.finish();
        assertEquals(0, run.exit, run.errText());
        List<String> refused = run.err.stream().filter(l -> l.contains("configuration refused")).toList();
        assertEquals(1, refused.size(), run.errText());
        assertTrue(refused.get(0).endsWith("IommuCore - configuration refused, nothing changed: EINVAL: iommulab.iommu: "
                + "trace-events '-1' is not a number (decimal or 0x hex, optional K, M, G, T, P or E suffix)"), refused.get(0));
        assertEquals(run.out.get(0), run.out.get(2), "every setting as before, strict=false (valid itself) too");
        assertEquals("false", object(run.out.get(1)).get("value"));
        assertFalse(run.errText().contains("\tat "), run.errText());
    }

    @Test
    void theCommandChangesASettingAndRefusesABadValue() throws Exception {
        Launch.Run r = Launch.run(dir, "--json", "-c", "iommu:config iommulab.iommu trace-events 1K; iommu:config iommulab.iommu"
                + " default-domain lazy; iommu:config");
        assertEquals(1, r.exit(), r.errText());
        assertEquals(1, r.out().size(), String.join("\n", r.out()));
        Map<String, Object> events = object(r.out().get(0));
        assertEquals("1024", events.get("value"));
        assertEquals("configuration", events.get("source"));
        assertEquals("Config Admin", events.get("origin"));
        assertTrue(r.err().contains("iommulab: command 'iommu:config iommulab.iommu default-domain lazy' failed: EINVAL: "
                + "iommulab.iommu: default-domain 'lazy' is not a domain type (dma, dma-fq, identity, blocked, unmanaged)"),
                r.errText());
        assertFalse(r.errText().contains("\tat "), r.errText());
    }

    /** The launcher running a script (JSON), with stderr read as it comes, so that files can be dropped at the right moment. */
    private static final class Running {
        final Process p;
        final Path deploy;
        final List<String> err = Collections.synchronizedList(new ArrayList<>());
        final List<String> out = new ArrayList<>();
        final Thread drain;
        int exit;

        Running(Path dir, String script) throws IOException {
            deploy = Files.createDirectories(dir.resolve("deploy"));
            p = new ProcessBuilder(Launch.command(dir, "--json", "-c", script)).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Launch.nullFile())).start();
            drain = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null;) {
                        synchronized (err) {
                            err.add(line);
                            err.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    err.add("(reading stderr: " + e + ")");
                } finally {
                    synchronized (err) {
                        err.add("(end)");
                        err.notifyAll();
                    }
                }
            }, "launcher-stderr");
            drain.start();
        }

        /** Until the summary's last line: the machine runs, the script has begun. */
        void awaitBoot() throws InterruptedException {
            awaitErr(l -> l.startsWith("groups: "));
        }

        void awaitErr(Predicate<String> line) throws InterruptedException {
            synchronized (err) {
                while (err.stream().noneMatch(line)) {
                    if (err.contains("(end)")) {
                        throw new AssertionError("the launcher ended first: " + errText());
                    }
                    err.wait();
                }
            }
        }

        /** Moved in whole: FileInstall never reads half a file. */
        Path drop(String name, String text) throws IOException {
            Path staged = Files.writeString(deploy.resolveSibling(name + ".staged"), text);
            return Files.move(staged, deploy.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        }

        void finish() throws IOException, InterruptedException {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null;) {
                    out.add(line);
                }
            }
            assertTrue(p.waitFor(Launch.TIMEOUT_S, TimeUnit.SECONDS), "the launcher did not exit");
            drain.join();
            exit = p.exitValue();
        }

        String errText() {
            synchronized (err) {
                return String.join("\n", err);
            }
        }
    }
}
