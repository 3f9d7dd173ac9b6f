package io.iommulab.api.dto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProbeStateTest {

    @Test
    void theDtoWordsAreTheEnumsTexts() {
        assertEquals(List.of("probed", "deferred", "failed", "disabled"),
                List.of(ProbeState.values()).stream().map(ProbeState::text).toList());
        for (ProbeState s : ProbeState.values()) {
            assertEquals(s, ProbeState.of(s.text()));
            assertEquals(s, new DeviceDTO("/soc/dev", List.of(), s.text(), null, null, null, null).probeState());
            assertEquals(s, new IommuNodeDTO("/soc/iommu", List.of(), null, s.text(), null, List.of()).probeState());
        }
    }

    @Test
    void anotherWordIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProbeState.of("PROBED"));
        assertEquals("no probe state 'PROBED' (probed, deferred, failed, disabled)", e.getMessage());
    }
}
