package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.testkit.StrictJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lazy invalidation as a user sees it: a comparison whose workload makes the core lazy
 * ({@code config iommulab.iommu.strict=false}), run with {@code --sanitize}. The SMMU's DMA domains
 * get flush queues, the DART's (no deferred flush) stay strict; every window the sanitizer measured
 * is bounded by the queue's timeout plus how late the host ran its timer, the workload (no DMA after
 * an unmap) had no transaction inside one, and nothing is a finding. The exposure itself (DMA
 * inside and after the window) needs the DMA API at hand: smmu's FlushQueueTest.
 */
class SanitizerFlushQueueIT {

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void lazySmmuWindowsAreBoundedByTheQueueTimeout() throws Exception {
        Path workload = Files.writeString(dir.resolve("lazy.workload"),
                "name lazy\nconfig iommulab.iommu.strict=false\nstream 16K count=64\nsg 4K,16K count=16\n");
        Launch.Run r = Launch.run(dir, "--sanitize", "--compare=" + workload, "--report", dir.resolve("out").toString());
        assertEquals(0, r.exit(), r.errText());

        Map<String, Object> report = (Map<String, Object>) StrictJson.parse(Files.readString(dir.resolve("out/comparison.json")));
        for (Object b : (List<Object>) report.get("backends")) {
            Map<String, Object> backend = (Map<String, Object>) b;
            String name = (String) backend.get("backend");
            Map<String, Object> san = (Map<String, Object>) backend.get("sanitizer");
            assertEquals(Map.of(), san.get("findings"), name);
            List<Object> queues = (List<Object>) san.get("flushQueues");
            if (name.equals("apple-dart")) {
                assertEquals(List.of(), queues, "apple-dart has no deferred flush: strict domains");
                continue;
            }
            assertEquals("arm-smmu-v2", name);
            assertTrue(!queues.isEmpty(), "the SMMU's DMA domains are DMA-FQ");
            long windows = 0;
            for (Object o : queues) {
                Map<String, Object> q = (Map<String, Object>) o;
                long max = num(q.get("maxNs"));
                long timeout = num(q.get("timeoutNs"));
                long late = num(q.get("lateMaxNs"));
                windows += num(q.get("windows"));
                assertEquals(0, num(q.get("overdue")), "no window outlived the timeout plus the timer's lateness: " + q);
                assertTrue(num(q.get("windows")) == 0 || (timeout == 10_000_000 && max <= timeout + late), q.toString());
                assertEquals(0, num(q.get("transactions")), "nothing was transferred after its unmap: " + q);
            }
            assertTrue(windows > 0, queues.toString());
        }
        String smmuLine = r.out().stream().filter(l -> l.startsWith("compare arm-smmu-v2: DMA sanitizer on: 0 findings")).findFirst()
                .orElseThrow(() -> new AssertionError(r.outText()));
        assertTrue(smmuLine.matches(".*; flush queues: \\d+ windows, max \\d+\\.\\d{3} ms \\(bounded by the queue timeout 10\\.000 ms"
                + "( \\+ the timer running late \\(up to \\d+\\.\\d{3} ms\\))?\\), 0 transactions through inside, \\d+ open"), smmuLine);
    }

    private static long num(Object o) {
        return StrictJson.longValue(o);
    }
}
