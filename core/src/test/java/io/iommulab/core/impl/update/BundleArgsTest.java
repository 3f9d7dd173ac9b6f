package io.iommulab.core.impl.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.IommuException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;

/** The BUNDLE and FILE of iommu:liveupdate against a real framework and real jars: refusals name the argument. */
class BundleArgsTest {

    @TempDir
    Path dir;
    Framework f;
    Bundle a;

    @BeforeEach
    void setUp() throws Exception {
        f = new Framework(dir);
        a = f.context().installBundle(f.exporter("a.jar", "test.a", "1.0.0").toUri().toString());
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private static String refused(Executable e) {
        return assertThrows(IommuException.class, e).getMessage();
    }

    @Test
    void aBundleByIdOrSymbolicName() {
        assertSame(a, BundleArgs.bundle(f.context(), Long.toString(a.getBundleId())));
        assertSame(a, BundleArgs.bundle(f.context(), " test.a "));
    }

    @Test
    void anUnknownBundleTheFrameworkOrOneOfTwoIsRefused() throws Exception {
        assertEquals("ENOENT: argument BUNDLE: no bundle has the id 999 (see lb)", refused(() -> BundleArgs.bundle(f.context(), "999")));
        assertEquals("ENOENT: argument BUNDLE: no bundle has the id 99999999999999999999 (see lb)",
                refused(() -> BundleArgs.bundle(f.context(), "99999999999999999999")));
        assertEquals("ENOENT: argument BUNDLE: no bundle is named 'test.nope' (give an id or a Bundle-SymbolicName, see lb -s)",
                refused(() -> BundleArgs.bundle(f.context(), "test.nope")));
        assertEquals("EINVAL: argument BUNDLE: 0 is the framework itself (update 0 restarts it)",
                refused(() -> BundleArgs.bundle(f.context(), "0")));
        Bundle a2 = f.context().installBundle(f.exporter("a2.jar", "test.a", "2.0.0").toUri().toString());
        assertEquals("EINVAL: argument BUNDLE: 'test.a' names 2 bundles: " + a.getBundleId() + " (1.0.0), " + a2.getBundleId()
                + " (2.0.0); give the id", refused(() -> BundleArgs.bundle(f.context(), "test.a")));
    }

    @Test
    void aJarOfTheSameBundleIsTaken() throws Exception {
        Path next = f.jar("next.jar", Map.of(Constants.BUNDLE_SYMBOLICNAME, "test.a;singleton:=true", Constants.BUNDLE_VERSION, "2"));
        assertEquals(next, BundleArgs.jarFor(next.toString(), a));
        assertEquals(next, BundleArgs.jarFor(next.toUri().toString(), a), "a file: URL too");
    }

    @Test
    void aFileThatIsNotThisBundleIsRefused() throws Exception {
        Path missing = dir.resolve("missing.jar");
        assertEquals("ENOENT: argument FILE: " + missing + ": no such file", refused(() -> BundleArgs.jarFor(missing.toString(), a)));
        assertEquals("EINVAL: argument FILE: " + dir + " is not a file; expected a bundle jar",
                refused(() -> BundleArgs.jarFor(dir.toString(), a)));
        Path text = Files.writeString(dir.resolve("notes.txt"), "not a jar");
        assertEquals("EINVAL: argument FILE: " + text + " is not a jar (zip END header not found)",
                refused(() -> BundleArgs.jarFor(text.toString(), a)));
        Path noManifest = dir.resolve("plain.jar");
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(noManifest))) {
            out.putNextEntry(new java.util.zip.ZipEntry("a.txt"));
            out.closeEntry();
        }
        assertEquals("EINVAL: argument FILE: " + noManifest + " is not a bundle: it has no META-INF/MANIFEST.MF",
                refused(() -> BundleArgs.jarFor(noManifest.toString(), a)));
        Path noName = f.jar("lib.jar", Map.of("Implementation-Title", "a library"));
        assertEquals("EINVAL: argument FILE: " + noName + " is not a bundle: its manifest has no Bundle-SymbolicName",
                refused(() -> BundleArgs.jarFor(noName.toString(), a)));
        Path other = f.exporter("b.jar", "test.b", "1.0.0");
        assertEquals("EINVAL: argument FILE: " + other + " is the bundle test.b, not test.a (bundle " + a.getBundleId() + ")",
                refused(() -> BundleArgs.jarFor(other.toString(), a)));
        String bad = refused(() -> BundleArgs.jarFor("file:a b", a));
        assertTrue(bad.startsWith("EINVAL: argument FILE: 'file:a b' is not a path: "), bad);
    }
}
