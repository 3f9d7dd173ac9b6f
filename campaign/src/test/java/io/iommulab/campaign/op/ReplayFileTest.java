package io.iommulab.campaign.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayFileTest {

    @Test
    void aReplayFileReadsBackWithItsHeaderNotesAndOperations(@TempDir Path dir) throws Exception {
        ReplayFile f = new ReplayFile("builtin:default", "apple-dart", 42, List.of("mismatch: op 7 (...)", "seed 42"),
                OpCodecTest.EVERY_KIND);
        Path p = dir.resolve("x.replay");
        f.write(p);
        assertEquals(f, ReplayFile.read(p));
        assertTrue(f.text().startsWith("# iommulab campaign replay"), f.text());
    }

    @Test
    void missingOrRepeatedHeaderLinesAreRefusedNamingTheLine() {
        assertBad(Errno.EINVAL, "r:3: expected the board, backend and seed lines before the operations, found 'check'",
                "board b\nbackend x\ncheck\nseed 1\n");
        assertBad(Errno.EINVAL, "r: expected board, backend and seed lines, found no seed", "board b\nbackend x\n");
        assertBad(Errno.EINVAL, "r:2: expected one board line, found a second", "board b\nboard c\n");
        assertBad(Errno.EINVAL, "r:4: expected an operation", "board b\nbackend x\nseed 1\nfrob\n");
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> ReplayFile.read(Path.of("/nonexistent/x.replay")))
                .errno());
    }

    private static void assertBad(Errno errno, String start, String text) {
        IommuException e = assertThrows(IommuException.class, () -> ReplayFile.parse("r", text));
        assertEquals(errno, e.errno());
        assertTrue(e.getMessage().startsWith(e.errno() + ": " + start), e.getMessage());
    }
}
