package io.iommulab.api.dto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sanitizer DTOs' text forms, which the log, the shell, the comparison and the launcher share. */
class SanitizerDTOTest {

    private static SanitizerDTO withFindings(Map<String, Long> byKind) {
        return new SanitizerDTO(true, 10, 0, byKind, 0, List.of(), List.of());
    }

    @Test
    void tallyCountsEveryKindInOrder() {
        assertEquals("0 findings", withFindings(Map.of()).tally());
        assertEquals("1 finding (isolation 1)", withFindings(Map.of("isolation", 1L)).tally());
        assertEquals("3 findings (dma-after-unmap 1, stale-translation 2)",
                withFindings(Map.of("stale-translation", 2L, "dma-after-unmap", 1L)).tally());
    }

    @Test
    void aTransactionFindingNamesTheIommuStreamMasterDomainAccessAndTheDueInvalidation() {
        SanitizerFindingDTO f = new SanitizerFindingDTO(7, "stale-translation", "/soc/iommu@382f00000", 0,
                "/soc/usb@382280000", "read", 0x100000, "0x800000000 rw", "not mapped (NO PTE FOR IOVA)",
                "DART stream flush of sid 0", 1_000, 2, "PTE cleared by iommu_unmap at 1.000 ms, no invalidation since");
        assertEquals("stale-translation: /soc/iommu@382f00000 sid 0 (/soc/usb@382280000) domain 2 read iova 0x100000: "
                + "0x800000000 rw, now not mapped (NO PTE FOR IOVA); PTE cleared by iommu_unmap at 1.000 ms, "
                + "no invalidation since; due: DART stream flush of sid 0", f.line());
    }

    @Test
    void aMapFindingHasNoStreamAccessOrDue() {
        SanitizerFindingDTO f = new SanitizerFindingDTO(1, "map-of-iommu-memory", "/soc/iommu@382f00000", -1, null,
                null, 0xffff_ffff_ffff_c000L, "0x382f00000+0x4000 rw", "the registers of /soc/iommu@382f00000", null,
                5, 2, null);
        assertEquals("map-of-iommu-memory: /soc/iommu@382f00000 domain 2 map iova 0xffffffffffffc000: "
                + "0x382f00000+0x4000 rw, now the registers of /soc/iommu@382f00000", f.line());
    }
}
