package io.iommulab.campaign.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpCodecTest {

    static final List<Op> EVERY_KIND = List.of(
            new Op.Alloc(2, "/soc/usb@382280000", DomainType.DMA_FQ),
            new Op.Free(2),
            new Op.Attach(3, "/soc/pcie@690000000/pci@0,0/wifi@0,0"),
            new Op.Detach(3, "/soc/usb@382280000"),
            new Op.Map(1, 0x10_0000, 0x8000, 0x4000, Prot.READ | Prot.CACHE),
            new Op.Map(1, 0x10_0000, 0, 0, 0),
            new Op.Unmap(1, 0x10_0000, 0x2000_0000L),
            new Op.DmaMap("/soc/dma@1", 7, 0x40, 0x1234, DmaDirection.FROM_DEVICE),
            new Op.SgMap("/soc/dma@1", 4, List.of(new Op.Buffer(0x8000, 0x200), new Op.Buffer(0x10040, 0x3000)),
                    DmaDirection.TO_DEVICE),
            new Op.DmaUnmap("/soc/dma@1", 4),
            new Op.Flush("/soc/dma@1"),
            new Op.Dma("/soc/dma@1", 1, true, new Op.Target(Op.Target.Kind.RUN, 3, 0x10), 16),
            new Op.Dma("/soc/dma@1", 0, false, new Op.Target(Op.Target.Kind.HANDLE, 2, 0xffff_ffff_ffffL), 512),
            new Op.Dma("/soc/dma@1", 0, false, Op.Target.iova(0xffff_ffff_c000L), 1),
            new Op.Check(),
            new Op.LiveUpdate("io.iommulab.dart"),
            new Op.Inject("/soc/iommu@382f00000", "skip-invalidate", -1),
            new Op.Inject("/soc/iommu@382f00000", "skip-invalidate", 3));

    @Test
    void everyOperationReadsBackAsItWasWritten() {
        for (Op op : EVERY_KIND) {
            String line = OpCodec.format(op);
            assertEquals(op, OpCodec.parse("t:1", line), line);
        }
    }

    @Test
    void theLinesAreReadable() {
        assertEquals("map slot=1 iova=0x100000 size=0x8000 pa=0x4000 prot=r+0x4", OpCodec.format(EVERY_KIND.get(4)));
        assertEquals("dma dev=/soc/dma@1 stream=1 write at=run:3+0x10 len=16", OpCodec.format(EVERY_KIND.get(11)));
        assertEquals("sg-map dev=/soc/dma@1 handle=4 buffers=0x8000+0x200,0x10040+0x3000 dir=to-device",
                OpCodec.format(EVERY_KIND.get(8)));
        assertEquals(new Op.Map(0, 0x4000, 0x4000, 0, Prot.READ | Prot.WRITE),
                OpCodec.parse("t:1", "  map   slot=0 iova=16K size=0x4000 pa=0 prot=rw "), "numbers as the shells read them");
    }

    @Test
    void aBadLineNamesThePlaceTheWordAndWhatWasExpected() {
        assertBad("f.replay:3: expected an operation (alloc, free,", "frob slot=1");
        assertBad("f.replay:3: expected slot=... for map", "map iova=0 size=0x4000 pa=0 prot=rw");
        assertBad("f.replay:3: expected prot=r, w, rw or none", "map slot=0 iova=0 size=0x4000 pa=0 prot=x");
        assertBad("f.replay:3: expected no bogus for free, found 'bogus=1'", "free slot=0 bogus=1");
        assertBad("f.replay:3: expected one of read or write", "dma dev=/d stream=0 at=iova:0 len=1");
        assertBad("f.replay:3: expected at=iova:ADDR, at=handle:N+OFFSET or at=run:N+OFFSET", "dma dev=/d stream=0 read at=x len=1");
        assertBad("f.replay:3: expected type=blocked, identity, unmanaged, dma or dma-fq, found 'type=nested'",
                "alloc slot=0 dev=/d type=nested");
        assertBad("f.replay:3: slot '64' is not between 0 and 63", "free slot=64");
        assertBad("f.replay:3: iova '0xzz' is not a number", "unmap slot=0 iova=0xzz size=0x4000");
        assertBad("f.replay:3: expected each key once, found 'slot=1'", "free slot=0 slot=1");
    }

    private static void assertBad(String start, String line) {
        IommuException e = assertThrows(IommuException.class, () -> OpCodec.parse("f.replay:3", line));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().startsWith(e.errno() + ": " + start), e.getMessage());
    }
}
