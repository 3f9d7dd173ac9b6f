package io.iommulab.bench;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.core.impl.dma.DmaApiImpl;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one operation of the DART stack costs the hardware, without the harness: 10,000 iommu_map +
 * iommu_unmap pairs on the audio DMA controller's default domain, then 10,000 dma_map_page +
 * dma_unmap_page pairs, strict and lazy (each on a fresh board), with the sio_dart model's counter
 * deltas per pair and per single map / unmap. The counters are the model's own
 * ({@code machine.hardwareCounters}): {@code invalidations} (TLB invalidation commands executed),
 * {@code iotlb.hits}/{@code iotlb.misses}/{@code walks}/{@code faults} (DMA transactions; none are
 * issued here, so these must stay 0).
 *
 * <p>MMIO reads and writes are not counted: the machine's MMIO layer ({@code machine.mmio}) keeps no
 * access counters, and the rig does not wrap the machine to count them. Per dart-facts §1.9 one
 * T8020 invalidation is a STREAM_SELECT write, a STREAM_COMMAND write and at least one
 * STREAM_COMMAND read (the busy poll).
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.iommulab.bench.DartStackCounters}
 */
public final class DartStackCounters {

    /** Pairs per scenario. */
    static final int PAIRS = 10_000;
    static final String[] KEYS = {"invalidations", "iotlb.hits", "iotlb.misses", "walks", "faults"};

    private DartStackCounters() {
    }

    public static void main(String[] args) {
        System.out.printf("%-22s %-7s %7s %-11s %s%n", "scenario", "domain", "pairs", "per", "model counter deltas");
        iommuMapUnmap();
        dmaApi(true);
        dmaApi(false);
        System.out.println("MMIO reads/writes: not counted (the machine's MMIO layer has no access counters).");
    }

    /** iommu_map + iommu_unmap on the default domain, over the 4096 pages of the window. */
    private static void iommuMapUnmap() {
        StackRig rig = StackRig.boot(true, false);
        try {
            IommuDomain d = rig.engine.domainOf(StackRig.ADMAC);
            long[] iovas = StackRig.windowIovas();
            Map<String, Long> afterMap = zero();
            Map<String, Long> afterUnmap = zero();
            for (int i = 0; i < PAIRS; i++) {
                long iova = iovas[i & (StackRig.WINDOW_PAGES - 1)];
                Map<String, Long> c0 = rig.counters();
                d.map(iova, rig.buffer, StackRig.PG, Prot.READ | Prot.WRITE);
                Map<String, Long> c1 = rig.counters();
                d.unmap(iova, StackRig.PG);
                Map<String, Long> c2 = rig.counters();
                add(afterMap, c0, c1);
                add(afterUnmap, c1, c2);
            }
            String type = d.type().toString();
            row("iommu_map", type, afterMap, "map");
            row("iommu_unmap", type, afterUnmap, "unmap");
            row("iommu_map+unmap", type, sum(afterMap, afterUnmap), "pair");
        } finally {
            rig.close();
        }
    }

    /** dma_map_page + dma_unmap_page (IOVA allocation included); a DMA-FQ queue is drained at the end. */
    private static void dmaApi(boolean strict) {
        StackRig rig = StackRig.boot(strict, false);
        DmaApiImpl api = new DmaApiImpl(rig.engine);
        try {
            DmaDevice dev = api.device(StackRig.ADMAC);
            DomainType type = rig.engine.domainOf(StackRig.ADMAC).type();
            Map<String, Long> afterMap = zero();
            Map<String, Long> afterUnmap = zero();
            for (int i = 0; i < PAIRS; i++) {
                Map<String, Long> c0 = rig.counters();
                long dma = dev.mapPage(rig.buffer, StackRig.PG, DmaDirection.BIDIRECTIONAL);
                Map<String, Long> c1 = rig.counters();
                dev.unmapPage(dma, StackRig.PG, DmaDirection.BIDIRECTIONAL);
                Map<String, Long> c2 = rig.counters();
                add(afterMap, c0, c1);
                add(afterUnmap, c1, c2);
            }
            Map<String, Long> c0 = rig.counters();
            dev.flush();
            Map<String, Long> drain = zero();
            add(drain, c0, rig.counters());
            String mode = strict ? "strict" : "lazy";
            row("dma_map_page " + mode, type.toString(), afterMap, "map");
            row("dma_unmap_page " + mode, type.toString(), afterUnmap, "unmap");
            row("dma pair " + mode, type.toString(), sum(sum(afterMap, afterUnmap), drain), "pair+drain");
        } finally {
            api.close();
            rig.close();
        }
    }

    private static Map<String, Long> zero() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String k : KEYS) {
            m.put(k, 0L);
        }
        return m;
    }

    private static void add(Map<String, Long> acc, Map<String, Long> before, Map<String, Long> after) {
        for (String k : KEYS) {
            acc.merge(k, after.getOrDefault(k, 0L) - before.getOrDefault(k, 0L), Long::sum);
        }
    }

    private static Map<String, Long> sum(Map<String, Long> a, Map<String, Long> b) {
        Map<String, Long> m = new LinkedHashMap<>(a);
        b.forEach((k, v) -> m.merge(k, v, Long::sum));
        return m;
    }

    private static void row(String scenario, String type, Map<String, Long> deltas, String per) {
        StringBuilder sb = new StringBuilder();
        for (String k : KEYS) {
            sb.append(String.format(" %s=%.3f", k, (double) deltas.get(k) / PAIRS));
        }
        System.out.printf("%-22s %-7s %7d %-11s%s%n", scenario, type, PAIRS, per, sb);
    }
}
