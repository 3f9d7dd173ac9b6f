package io.iommulab.core.impl.update;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.dto.LiveUpdateDTO;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveUpdateTextTest {

    @Test
    void anAdoptionSaysFromWhomFromWhatAndWhatItCost() {
        LiveUpdateDTO u = new LiveUpdateDTO("apple-dart", "io.iommulab.dart 0.1.0", "io.iommulab.dart 0.2.0",
                List.of("/soc/iommu@1", "/soc/iommu@2", "/soc/iommu@3"), true, null, 2, 1, 3, 12, 12, 0, 85_400, 140_999, 2, 1, 0);
        assertEquals("""
                apple-dart: io.iommulab.dart 0.1.0 -> io.iommulab.dart 0.2.0, 3 IOMMUs: adopted (from record 2, from hardware 1)
                  domains 3, mappings 12, verified 12, mismatches 0, blackout 85 us, longest wait 140 us, calls waited 2, faults during the swap 1
                  iommus /soc/iommu@1 /soc/iommu@2 /soc/iommu@3""", LiveUpdateText.of(u));
    }

    @Test
    void aPageTableSwapTakesNothingOver() {
        LiveUpdateDTO u = new LiveUpdateDTO("arm-smmu", null, "pgtable arm-lpae-s1: io.iommulab.pgtable 0.2.0",
                List.of("/soc/iommu@1"), true, null, 0, 0, 4, 8, 8, 0, 30_000, 2_000_000, 1, 0, 0);
        assertEquals("""
                arm-smmu: - -> pgtable arm-lpae-s1: io.iommulab.pgtable 0.2.0, 1 IOMMU: adopted
                  domains 4, mappings 8, verified 8, mismatches 0, blackout 30 us, longest wait 2000 us, calls waited 1, faults during the swap 0
                  iommus /soc/iommu@1""", LiveUpdateText.of(u));
    }

    @Test
    void aFallBackSaysWhy() {
        LiveUpdateDTO u = new LiveUpdateDTO("arm-smmu", "io.iommulab.smmu 0.1.0", null, List.of("/soc/iommu@1"), false,
                "no new version of arm-smmu took over within 10000 ms", 0, 0, 1, 0, 0, 0, 0, 10_000_000_000L, 1, 0, 0);
        assertEquals("""
                arm-smmu: io.iommulab.smmu 0.1.0 -> -, 1 IOMMU: not adopted: no new version of arm-smmu took over within 10000 ms
                  domains 1, mappings 0, verified 0, mismatches 0, blackout 0 us, longest wait 10000000 us, calls waited 1, faults during the swap 0
                  iommus /soc/iommu@1""", LiveUpdateText.of(u));
    }
}
