package io.iommulab.core.impl;

import static io.iommulab.core.impl.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dto.TraceEventDTO;
import io.iommulab.testiommu.impl.TestIommuDriver;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TraceTest {

    @Test
    void linuxTextShapes() {
        Fixture f = Fixture.boot();
        f.engine.clearTrace();
        IommuDomain d = f.engine.domainAlloc(DEV_A, DomainType.UNMANAGED);
        f.engine.attachGroup(d, DEV_A);
        d.map(0x1ff000, BUF + 0x1ff000, 0x201000, Prot.READ);
        d.unmap(0x1ff000, 0x1000);
        f.engine.detachGroup(d, DEV_A);
        List<TraceEventDTO> t = f.engine.trace();
        assertEquals(List.of("detach_device_from_domain", "attach_device_to_domain", "map", "unmap",
                "detach_device_from_domain", "attach_device_to_domain"), t.stream().map(TraceEventDTO::event).toList());
        assertEquals("IOMMU: device=" + DEV_A, t.get(1).text());
        assertEquals("IOMMU: iova=0x00000000001ff000 - 0x0000000000400000 paddr=0x00000008001ff000 size=2101248",
                t.get(2).text());
        assertEquals("IOMMU: iova=0x00000000001ff000 - 0x0000000000200000 size=4096 unmapped_size=4096", t.get(3).text());
        assertTrue(t.get(2).line().endsWith(": map: " + t.get(2).text()), t.get(2).line());
        assertTrue(t.get(2).timestampNs() <= t.get(3).timestampNs());
        f.engine.clearTrace();
        assertTrue(f.engine.trace().isEmpty());
    }

    @Test
    void ringKeepsTheNewest() {
        TraceRing r = new TraceRing(8, System.nanoTime(), true);
        for (int i = 0; i < 20; i++) {
            r.map(1, i * 0x1000L, 0, 0x1000);
        }
        List<TraceEventDTO> s = r.snapshot();
        assertEquals(8, s.size());
        assertTrue(s.get(0).text().startsWith("IOMMU: iova=0x000000000000c000"), s.get(0).text());
        assertTrue(s.get(7).text().startsWith("IOMMU: iova=0x0000000000013000"), s.get(7).text());
        r.clear();
        r.ioPageFault("test-iommu", "/soc/dev", 0x1234, 1);
        assertEquals(List.of("IOMMU:test-iommu /soc/dev iova=0x0000000000001234 flags=0x0001"),
                r.snapshot().stream().map(TraceEventDTO::text).toList());
    }

    @Test
    void tracingCanBeSwitchedOff() {
        CoreConfig off = CoreConfig.from(Map.of(CoreConfig.TRACE, "false")::get);
        Fixture f = Fixture.boot(off, new TestIommuDriver());
        f.engine.domainOf(DEV_A).map(0x1000, BUF, 0x1000, Prot.READ);
        assertTrue(f.engine.trace().isEmpty());
    }

    @Test
    void configFromProperties() {
        CoreConfig c = CoreConfig.from(Map.of(CoreConfig.DEFAULT_DOMAIN, "identity", CoreConfig.STRICT, "0",
                CoreConfig.CPU_PAGE_SIZE, "0x1000")::get);
        assertEquals(DomainType.IDENTITY, c.defaultDomain());
        assertFalse(c.strict());
        assertEquals(0x1000, c.cpuPageSize());
        assertEquals(CoreConfig.defaults(), CoreConfig.from(k -> null));
        assertThrows(io.iommulab.api.error.IommuException.class,
                () -> CoreConfig.from(Map.of(CoreConfig.DEFAULT_DOMAIN, "lazy")::get));
        assertThrows(io.iommulab.api.error.IommuException.class,
                () -> CoreConfig.from(Map.of(CoreConfig.CPU_PAGE_SIZE, "12345")::get));
        assertEquals(16384, CoreConfig.from(Map.of(CoreConfig.CPU_PAGE_SIZE, "16K")::get).cpuPageSize(), "as every shell and file");
        assertEquals("EINVAL: iommulab.cpu-page-size '4KB' is not a number (decimal or 0x hex, optional K, M, G, T, P or E suffix)",
                assertThrows(io.iommulab.api.error.IommuException.class,
                        () -> CoreConfig.from(Map.of(CoreConfig.CPU_PAGE_SIZE, "4KB")::get)).getMessage());
    }
}
