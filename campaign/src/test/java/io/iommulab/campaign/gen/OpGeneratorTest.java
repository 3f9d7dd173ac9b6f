package io.iommulab.campaign.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.error.Errno;
import io.iommulab.campaign.op.Op;
import io.iommulab.campaign.op.OpCodec;
import io.iommulab.campaign.run.Facts;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class OpGeneratorTest {

    /** Two masters behind two IOMMUs, 16 KiB pages and 32 MiB blocks, a 128 MiB window. */
    static Facts facts() {
        Facts.Master a = new Facts.Master("/soc/a", 0, List.of(new Facts.Stream("/soc/iommu@1", 0)), "/soc/iommu@1");
        Facts.Master b = new Facts.Master("/soc/b", 1, List.of(new Facts.Stream("/soc/iommu@2", 0),
                new Facts.Stream("/soc/iommu@2", 40)), "/soc/iommu@2");
        Map<Integer, Facts.Group> groups = Map.of(0, new Facts.Group(0, List.of("/soc/a"), "/soc/iommu@1", DomainType.DMA),
                1, new Facts.Group(1, List.of("/soc/b"), "/soc/iommu@2", DomainType.DMA_FQ));
        Facts.Paging p = new Facts.Paging(0x4000 | 0x200_0000L, 0, (1L << 48) - 1);
        Map<DomainType, Errno> ok = new EnumMap<>(DomainType.class);
        return new Facts(List.of(a, b), groups, 0x8_0200_0000L, 128L << 20, Map.of("/soc/a", p, "/soc/b", p),
                Map.of("/soc/a", ok, "/soc/b", ok), Map.of("/soc/iommu@1", Set.of(0, 1), "/soc/iommu@2", Set.of(0, 1)),
                Map.of(), null, Map.of(), null, null, Map.of(), true,
                Map.of("/soc/iommu@1", "arm,smmu-v2", "/soc/iommu@2", "arm,smmu-v2"), List.of("io.iommulab.smmu"));
    }

    static List<String> ops(long seed, int n, OpGenerator.Options o) {
        OpGenerator g = new OpGenerator(facts(), seed, o);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(OpCodec.format(g.next()));
        }
        return out;
    }

    @Test
    void theSameSeedGivesTheSameOperations() {
        assertEquals(ops(42, 5000, OpGenerator.Options.NONE), ops(42, 5000, OpGenerator.Options.NONE));
        assertNotEquals(ops(42, 100, OpGenerator.Options.NONE), ops(43, 100, OpGenerator.Options.NONE));
    }

    @Test
    void theMixHasEveryKindOfOperation() {
        Set<String> kinds = new TreeSet<>();
        Set<String> types = new TreeSet<>();
        boolean block = false;
        for (String line : ops(7, 20_000, OpGenerator.Options.NONE)) {
            kinds.add(line.split(" ")[0] + (line.startsWith("dma ") ? (line.contains(" write ") ? "-write" : "-read") : ""));
            if (line.startsWith("alloc ")) {
                types.add(line.substring(line.indexOf("type=") + 5));
            }
            block |= line.startsWith("map ") && line.contains("size=0x2000000 ");
        }
        assertEquals(Set.of("alloc", "attach", "check", "detach", "dma-map", "dma-read", "dma-unmap", "dma-write", "flush",
                "free", "map", "sg-map", "unmap"), kinds);
        assertEquals(Set.of("blocked", "dma", "dma-fq", "identity", "unmanaged"), types);
        assertTrue(block, "a map of one 32 MiB block");
    }

    @Test
    void liveUpdatesAndInjectionsComeAtTheirRate() {
        List<String> ops = ops(1, 3000, new OpGenerator.Options(1000, "skip-invalidate", 500, -1));
        assertEquals("liveupdate bundle=io.iommulab.smmu", ops.get(999));
        assertEquals("liveupdate bundle=io.iommulab.smmu", ops.get(1999));
        assertEquals(3, ops.stream().filter(l -> l.startsWith("liveupdate")).count());
        assertEquals(6, ops.stream().filter(l -> l.startsWith("inject ") && l.endsWith(" point=skip-invalidate count=-1")).count());
    }
}
