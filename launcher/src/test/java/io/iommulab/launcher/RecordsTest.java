package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RecordsTest {

    record StreamRef(String iommu, int sid) {
    }

    /** Not public: the launcher must still read it, as it reads records of private bundle packages. */
    private record Hidden(int a) {
    }

    @Test
    void componentsAreReadByName() {
        assertEquals("x", Records.component(new StreamRef("x", 1), "iommu"));
        assertEquals(1, Records.component(new StreamRef("x", 1), "sid"));
        assertEquals(5, Records.component(new Hidden(5), "a"));
    }

    @Test
    void componentLookupNamesWhatIsMissing() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Records.component(new StreamRef("x", 1), "state"));
        assertTrue(e.getMessage().contains("'state'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Records.component("not a record", "x"));
        assertEquals("expected a record with component 'x', found java.lang.String", e.getMessage());
    }
}
