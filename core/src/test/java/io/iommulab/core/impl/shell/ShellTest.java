package io.iommulab.core.impl.shell;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DmaDTO;
import io.iommulab.api.dto.MappingDTO;
import io.iommulab.api.dto.TranslationDTO;
import io.iommulab.api.dto.UnmapDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.Fixture;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.machine.SimMachine;
import java.util.List;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ShellTest {

    static final String DEV_A = "/soc/dev-a@200000000";
    SimMachine machine;
    IommuCoreEngine engine;
    IommuCommands cmd;

    @BeforeEach
    void setUp() {
        Fixture f = Fixture.boot();
        machine = f.machine;
        engine = f.engine;
        cmd = IommuCommands.over(engine);
    }

    /** The forms every shell and file takes (api's Memparse), as machine:mem and workload sizes take them. */
    @Test
    void numbersInEveryArgument() {
        int dom = cmd.attach(DEV_A, "unmanaged").domain();
        assertEquals(new MappingDTO(DEV_A, dom, 0x4000, 0x8_0000_0000L, 0x4000, "rw"), cmd.map(DEV_A, "16K", "32G", "16k"));
        assertEquals(new MappingDTO(DEV_A, dom, 0x8_0000, 0x8_0000_4000L, 0x4000, "r"),
                cmd.map(DEV_A, "0x8_0000", "0x800004000", "0x10K", "r"), "hex with a suffix, _ groups");
        assertEquals(0x8_0000_4000L, cmd.iova2phys(DEV_A, "512K").paddr());
        assertEquals(2, cmd.dma(DEV_A, "read", "16K", "0x2").length());
        assertEquals(0x4000, cmd.unmap(DEV_A, "0x4000", "16K").unmapped());

        String forms = " is not a number (decimal or 0x hex, optional K, M, G, T, P or E suffix)";
        assertEquals("EINVAL: IOVA '0x12q'" + forms, refused(() -> cmd.map(DEV_A, "0x12q", "0x800000000", "4K")));
        assertEquals("EINVAL: PADDR '32 G'" + forms, refused(() -> cmd.map(DEV_A, "0", "32 G", "4K")));
        assertEquals("EINVAL: SIZE '16KB'" + forms, refused(() -> cmd.map(DEV_A, "0", "0x800000000", "16KB")));
        assertEquals("EINVAL: SIZE '-4'" + forms, refused(() -> cmd.unmap(DEV_A, "0", "-4")));
        assertEquals("EINVAL: SIZE 'K'" + forms, refused(() -> cmd.unmap(DEV_A, "0", "K")));
        assertEquals("EINVAL: SIZE '010' has a leading 0, which Linux's memparse reads as octal: write it in decimal without"
                + " the 0, or in 0x hex", refused(() -> cmd.map(DEV_A, "0", "0x800000000", "010")));
        assertEquals("EINVAL: IOVA '0x1_0000_0000_0000_0000' does not fit in 64 bits",
                refused(() -> cmd.iova2phys(DEV_A, "0x1_0000_0000_0000_0000")));
        assertEquals("EINVAL: LEN '0' is not between 1 and 16777216", refused(() -> cmd.dma(DEV_A, "read", "0", "0")));
        assertEquals("EINVAL: LEN '17M' is not between 1 and 16777216", refused(() -> cmd.dma(DEV_A, "read", "0", "17M")));
        assertEquals("EINVAL: STREAM 'one'" + forms, refused(() -> cmd.dma(DEV_A, "read", "0", "4", "one")));
        assertEquals("EINVAL: argument PROT: 'x' is not one of r, w, rw", refused(() -> cmd.map(DEV_A, "0", "0x800000000", "4K", "x")));
    }

    private static String refused(org.junit.jupiter.api.function.Executable command) {
        IommuException e = assertThrows(IommuException.class, command);
        assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void attachMapDmaUnmap() {
        DeviceDTO d = cmd.attach("dev-a@200000000", "unmanaged");
        assertEquals("unmanaged", d.domainType());
        machine.memory().write(0x8_0000_2000L, new byte[] {0x11, 0x22}, 0, 2);
        MappingDTO m = cmd.map("dev-a@200000000", "0x10000", "0x800002000", "4K");
        assertEquals(new MappingDTO(DEV_A, d.domain(), 0x10000, 0x8_0000_2000L, 0x1000, "rw"), m);
        TranslationDTO t = cmd.iova2phys(DEV_A, "0x10010");
        assertTrue(t.mapped());
        assertEquals(0x8_0000_2010L, t.paddr());
        DmaDTO r = cmd.dma(DEV_A, "read", "0x10000", "2");
        assertTrue(r.ok());
        assertEquals("1122", r.data());
        DmaDTO w = cmd.dma(DEV_A, "write", "0x10100", "4");
        assertTrue(w.ok());
        assertEquals(3, machine.memory().read8(0x8_0000_2103L));
        UnmapDTO u = cmd.unmap(DEV_A, "0x10000", "0x2000");
        assertEquals(0x1000, u.unmapped());
        DmaDTO f = cmd.dma(DEV_A, "read", "0x10000", "2");
        assertFalse(f.ok());
        assertNotNull(f.fault());
        assertTrue(f.data() == null || f.data().isEmpty(), "nothing was read");
        assertEquals(1, cmd.faults().size());
        // a second attach replaces the user domain; default goes back
        assertEquals("identity", cmd.attach(DEV_A, "identity").domainType());
        assertEquals("DMA", cmd.attach(DEV_A, "default").domainType());
        assertEquals(4, engine.domains().size(), "user domains freed on the way");
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> cmd.dma(DEV_A, "read", "0", "4", "3")).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> cmd.dma(DEV_A, "poke", "0", "4")).errno());
        assertTrue(cmd.trace("clear").isEmpty());
        assertTrue(cmd.faults().isEmpty());
    }

    @Test
    void converterFormatsTables() throws Exception {
        DtoConverter c = new DtoConverter();
        String devs = c.format(cmd.devices(), Converter.INSPECT, null).toString();
        assertTrue(devs.startsWith("DEVICE"), devs);
        assertTrue(devs.contains(DEV_A) && devs.contains("probed") && devs.contains("/soc/iommu@100000000:0"), devs);
        assertTrue(devs.contains("iommus references disabled /soc/iommu@100020000"), devs);
        String doms = c.format(cmd.domains(), Converter.INSPECT, null).toString();
        assertTrue(doms.contains("0x201000") && doms.contains("0x0-0x3fffffff"), doms);
        assertTrue(c.format(cmd.iommus(), Converter.INSPECT, null).toString().contains("test-iommu"));
        assertNotNull(c.format(cmd.groups(), Converter.INSPECT, null));
        assertEquals("group 0", c.format(cmd.groups().get(0), Converter.PART, null).toString());
        assertNull(c.format(List.of("x"), Converter.INSPECT, null));
        assertNull(c.format("x", Converter.LINE, null));
        cmd.attach(DEV_A, "unmanaged");
        String map = c.format(cmd.map(DEV_A, "0x4000", "0x800000000", "0x1000", "r"), Converter.INSPECT, null).toString();
        assertTrue(map.contains("iova 0x4000-0x4fff -> pa 0x800000000 size 0x1000 r"), map);
        String dma = c.format(cmd.dma(DEV_A, "read", "0x4000", "32"), Converter.INSPECT, null).toString();
        assertTrue(dma.contains("0000000000004000: 00 00"), dma);
    }
}
