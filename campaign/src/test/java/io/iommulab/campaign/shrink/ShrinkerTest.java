package io.iommulab.campaign.shrink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.campaign.op.Op;
import io.iommulab.campaign.run.Mismatch;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ShrinkerTest {
    static final Mismatch TARGET = new Mismatch(0, "dma dev=/d stream=0 read at=iova:0x0 len=1", "dma", "x");

    /** Fails (as TARGET) when the list holds free slot=3, then later free slot=17, and a dma. */
    static final Function<List<Op>, Mismatch> NEEDS_THREE = ops -> {
        int a = ops.indexOf(new Op.Free(3));
        int b = ops.indexOf(new Op.Free(17));
        boolean dma = ops.stream().anyMatch(o -> o instanceof Op.Dma);
        return a >= 0 && b > a && dma ? TARGET : null;
    };

    static List<Op> noise(int n) {
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ops.add(new Op.Free(20 + i % 40));
        }
        ops.add(5, new Op.Free(3));
        ops.add(70, new Op.Free(17));
        ops.add(new Op.Dma("/d", 0, false, Op.Target.iova(0), 1));
        return ops;
    }

    @Test
    void ddminFindsTheOperationsThatMatterInTheirOrder() {
        Shrinker s = new Shrinker(NEEDS_THREE, 1000);
        List<Op> out = s.shrink(noise(120), TARGET);
        assertEquals(List.of(new Op.Free(3), new Op.Free(17), new Op.Dma("/d", 0, false, Op.Target.iova(0), 1)), out);
        assertTrue(s.replays() < 200, "replays " + s.replays());
    }

    @Test
    void itStopsAtTheBudgetWithAListThatStillFails() {
        Shrinker s = new Shrinker(NEEDS_THREE, 5);
        List<Op> out = s.shrink(noise(120), TARGET);
        assertEquals(TARGET, NEEDS_THREE.apply(out));
        assertTrue(s.replays() <= 5);
    }

    @Test
    void sameMismatchMeansTheSameCheckOnTheSameKindOfOperation() {
        assertTrue(TARGET.sameAs(new Mismatch(9, "dma dev=/e stream=1 write at=run:1+0x0 len=4", "dma", "y")));
        assertTrue(!TARGET.sameAs(new Mismatch(9, "dma dev=/e stream=1 write at=run:1+0x0 len=4", "data", "y")));
        assertTrue(!TARGET.sameAs(new Mismatch(9, "map slot=0 iova=0x0 size=0x4000 pa=0x0 prot=rw", "dma", "y")));
        assertTrue(!TARGET.sameAs(null));
    }

    @Test
    void theSliceKeepsTheLastOperationAndWhatTouchesItsGroupOrSlots() {
        List<Op> ops = List.of(new Op.Alloc(1, "/a", io.iommulab.api.DomainType.UNMANAGED), new Op.Free(2),
                new Op.Map(1, 0, 0x4000, 0, 3), new Op.DmaMap("/b", 0, 0, 16, io.iommulab.api.dma.DmaDirection.TO_DEVICE),
                new Op.Attach(1, "/a"), new Op.Inject("/iommu", "skip-invalidate", -1),
                new Op.Dma("/a", 0, false, Op.Target.iova(0), 1));
        List<Op> slice = Slicer.slice(ops, dev -> dev.equals("/a") ? 1 : 2);
        assertEquals(List.of(ops.get(0), ops.get(2), ops.get(4), ops.get(5), ops.get(6)), slice);
    }
}
