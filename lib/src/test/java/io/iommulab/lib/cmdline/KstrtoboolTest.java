package io.iommulab.lib.cmdline;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import org.junit.jupiter.api.Test;

class KstrtoboolTest {

    static final String OPT = "iommulab.some-option";

    @Test
    void theWordsKstrtoboolKnowsInEitherCase() {
        for (String t : new String[] {"1", "y", "Y", "yes", "YES", "true", "True", "on", " On "}) {
            assertTrue(Kstrtobool.parse(OPT, t, false), t);
        }
        for (String t : new String[] {"0", "n", "N", "no", "false", "FALSE", "off", "Off\t"}) {
            assertFalse(Kstrtobool.parse(OPT, t, true), t);
        }
    }

    @Test
    void notSetIsTheDefault() {
        assertTrue(Kstrtobool.parse(OPT, null, true));
        assertFalse(Kstrtobool.parse(OPT, null, false));
        assertFalse(Kstrtobool.parse(OPT, "  ", false));
    }

    @Test
    void anythingElseIsRefusedNamingTheOptionAndTheText() {
        for (String t : new String[] {"maybe", "yellow", "2", "of", "o", "truely", "-1"}) {
            IommuException e = assertThrows(IommuException.class, () -> Kstrtobool.parse(OPT, t, false), t);
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("EINVAL: " + OPT + " '" + t + "' is not a boolean (1/0, y/n, yes/no, true/false, on/off)",
                    e.getMessage());
        }
    }
}
