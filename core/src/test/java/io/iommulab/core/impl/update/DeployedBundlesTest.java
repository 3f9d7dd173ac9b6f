package io.iommulab.core.impl.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;

/** What FileInstall's installer claims in the deploy folder, and what it does with it, on a real framework. */
class DeployedBundlesTest {

    @TempDir
    Path dir;
    Framework f;
    Bundle a;
    BundleUpdater updater;
    DeployedBundles deploy;

    @BeforeEach
    void setUp() throws Exception {
        f = new Framework(dir);
        a = f.context().installBundle(f.exporter("a.jar", "test.a", "1.0.0").toUri().toString());
        a.start();
        updater = new BundleUpdater(f.context());
        deploy = new DeployedBundles(f.context(), updater);
        Files.createDirectories(dir.resolve("deploy"));
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    @Test
    void claimsOnlyJarsOfABundleInstalledFromElsewhere() throws Exception {
        assertTrue(deploy.canHandle(f.exporter("deploy/a-2.jar", "test.a", "2.0.0").toFile()));
        assertFalse(deploy.canHandle(f.exporter("deploy/new.jar", "test.new", "1.0.0").toFile()), "a new bundle: FileInstall's");
        assertFalse(deploy.canHandle(Files.writeString(dir.resolve("deploy/notes.jar"), "no zip").toFile()));
        assertFalse(deploy.canHandle(dir.resolve("deploy/missing.jar").toFile()));
        Path own = f.exporter("deploy/own.jar", "test.own", "1.0.0");
        f.context().installBundle(own.toUri().toString());
        assertFalse(deploy.canHandle(own.toFile()), "installed from this very file: FileInstall's own");
        f.context().installBundle(f.exporter("a-3.jar", "test.a", "3.0.0").toUri().toString());
        assertFalse(deploy.canHandle(f.exporter("deploy/a-4.jar", "test.a", "4.0.0").toFile()), "two test.a: which one?");
    }

    @Test
    void aDroppedJarUpdatesTheBundleAndItsRemovalPutsItBack() throws Exception {
        Path dropped = f.exporter("deploy/a-2.jar", "test.a", "2.0.0");
        long bundles = f.context().getBundles().length;
        deploy.install(dropped.toFile());
        assertEquals("2.0.0", a.getVersion().toString());
        assertEquals(Bundle.ACTIVE, a.getState());
        assertEquals(bundles, f.context().getBundles().length, "no second test.a");

        Path again = f.jar("deploy/a-2.jar", Map.of(Constants.BUNDLE_SYMBOLICNAME, "test.a", Constants.BUNDLE_VERSION, "2.1"));
        deploy.update(again.toFile());
        assertEquals("2.1.0", a.getVersion().toString(), "the jar changed: updated again");

        Files.delete(dropped);
        deploy.uninstall(dropped.toFile());
        assertEquals("1.0.0", a.getVersion().toString(), "back on its own location");
        assertEquals(Bundle.ACTIVE, a.getState(), "not uninstalled");
        assertEquals("1.0.0", updater.awaitUpdates(3, 0).to(), "three updates, the last back to 1.0.0");
    }

    @Test
    void aJarThatCannotBeTakenIsSaidAndChangesNothing() throws Exception {
        Path other = f.exporter("deploy/gone.jar", "test.gone", "1.0.0");
        deploy.install(other.toFile()); // not claimed (FileInstall would not call it): refused in the log, nothing changes
        deploy.uninstall(dir.resolve("deploy/never.jar").toFile());
        assertEquals("1.0.0", a.getVersion().toString());
        assertEquals(Bundle.ACTIVE, a.getState());
    }
}
