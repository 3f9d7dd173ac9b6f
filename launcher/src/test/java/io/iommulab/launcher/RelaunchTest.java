package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RelaunchTest {

    private static String jarPart(String archive) {
        return archive.substring(0, archive.lastIndexOf('-'));
    }

    /** One archive per jar: a rebuilt jar gets a new archive name with the same jar part, which replaces the old file. */
    @Test
    void theArchiveIsNamedAfterTheJarAndItsBuild(@TempDir Path dir) throws Exception {
        Path jar = Files.write(dir.resolve("iommulab.jar"), new byte[16]);
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_700_000_000_000L));
        String name = Relaunch.archiveName(jar);
        assertTrue(name.matches("iommulab-[0-9a-f]{8}-[0-9a-f]{8}\\.jsa"), name);
        assertEquals(name, Relaunch.archiveName(jar));

        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_700_000_001_000L));
        String rebuilt = Relaunch.archiveName(jar);
        assertNotEquals(name, rebuilt);
        assertEquals(jarPart(name), jarPart(rebuilt));

        Files.write(jar, new byte[17]);
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_700_000_000_000L));
        assertNotEquals(name, Relaunch.archiveName(jar), "another size");

        Path other = Files.write(dir.resolve("other.jar"), new byte[16]);
        Files.setLastModifiedTime(other, FileTime.fromMillis(1_700_000_000_000L));
        assertNotEquals(jarPart(name), jarPart(Relaunch.archiveName(other)), "another jar keeps its own archive");
    }
}
