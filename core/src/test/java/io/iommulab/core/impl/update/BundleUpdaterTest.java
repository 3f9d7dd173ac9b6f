package io.iommulab.core.impl.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.IommuException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.BundleWiring;

/**
 * A bundle updated under a running framework (no IOMMU core here: nothing to report but the
 * bundle): from a jar and back from its own location, its importers refreshed onto the new
 * exports, and failures that say what happened.
 */
class BundleUpdaterTest {

    @TempDir
    Path dir;
    Framework f;
    Bundle a;
    Bundle user;
    BundleUpdater updater;

    @BeforeEach
    void setUp() throws Exception {
        f = new Framework(dir);
        a = f.context().installBundle(f.exporter("a.jar", "test.a", "1.0.0").toUri().toString());
        user = f.context().installBundle(f.jar("user.jar", Map.of(Constants.BUNDLE_SYMBOLICNAME, "test.user",
                Constants.IMPORT_PACKAGE, "test.a.api")).toUri().toString());
        a.start();
        user.start();
        updater = new BundleUpdater(f.context());
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private Bundle exporterOfTheUsersImport() {
        return user.adapt(BundleWiring.class).getRequiredWires(null).get(0).getProvider().getBundle();
    }

    @Test
    void updatedFromAJarAndBackFromItsLocation() throws Exception {
        String location = a.getLocation();
        Path next = f.exporter("a-2.jar", "test.a", "2.0.0");
        BundleUpdater.Result r = updater.update("test.a", next.toString());

        assertEquals(new BundleUpdater.Result("test.a [" + a.getBundleId() + "]", "1.0.0", "2.0.0", next.toString(),
                List.of("test.user [" + user.getBundleId() + "]"), List.of()), r);
        assertEquals("test.a [" + a.getBundleId() + "]: 1.0.0 -> 2.0.0 from " + next + "; refreshed test.user ["
                + user.getBundleId() + "]; no IOMMU driver was replaced", r.summary());
        assertEquals(Bundle.ACTIVE, a.getState());
        assertEquals(Bundle.ACTIVE, user.getState(), "the refreshed importer runs again");
        assertEquals("2.0.0", exporterOfTheUsersImport().getVersion().toString(), "wired to the new exports");
        assertTrue(a.adapt(BundleStartLevel.class).isPersistentlyStarted(), "still started when the framework restarts");
        assertEquals(location, a.getLocation(), "the location stays: its own copy");

        BundleUpdater.Result back = updater.update(Long.toString(a.getBundleId()), null);
        assertEquals("2.0.0", back.from());
        assertEquals("1.0.0", back.to());
        assertEquals(location, back.source());
        assertEquals(Bundle.ACTIVE, a.getState());
        assertSame(back, updater.awaitUpdates(2, 0), "two updates made here so far");
    }

    @Test
    void aBundleNobodyImportsFromIsNotRefreshed() throws Exception {
        Path next = f.jar("solo.jar", Map.of(Constants.BUNDLE_SYMBOLICNAME, "test.solo", Constants.BUNDLE_VERSION, "2"));
        Bundle solo = f.context().installBundle(f.jar("solo-1.jar", Map.of(Constants.BUNDLE_SYMBOLICNAME, "test.solo"))
                .toUri().toString());
        solo.start();
        BundleUpdater.Result r = updater.update("test.solo", next.toString());
        assertEquals(List.of(), r.refreshed());
        assertEquals("2.0.0", r.to());
        assertEquals(Bundle.ACTIVE, solo.getState());
    }

    @Test
    void aBundleThatWasNotStartedIsNotStarted() throws Exception {
        a.stop();
        updater.update("test.a", f.exporter("a-2.jar", "test.a", "2.0.0").toString());
        assertEquals("2.0.0", a.getVersion().toString());
        assertTrue((a.getState() & (Bundle.INSTALLED | Bundle.RESOLVED)) != 0, "state " + a.getState());
    }

    @Test
    void aNewVersionThatCannotStartSaysSo() throws Exception {
        Path broken = f.jar("a-broken.jar", Map.of(Constants.BUNDLE_SYMBOLICNAME, "test.a", Constants.BUNDLE_VERSION, "3",
                Constants.IMPORT_PACKAGE, "test.missing"));
        IommuException e = assertThrows(IommuException.class, () -> updater.update("test.a", broken.toString()));
        assertTrue(e.getMessage().startsWith("EIO: test.a [" + a.getBundleId() + "] was updated from " + broken
                + " but does not start: "), e.getMessage());
        assertTrue(e.getMessage().contains("test.missing"), e.getMessage());
    }

    @Test
    void theBundleThatUpdatesIsNotUpdatedByItself() {
        BundleUpdater inA = new BundleUpdater(a.getBundleContext());
        IommuException e = assertThrows(IommuException.class, () -> inA.update("test.a", null));
        assertEquals("EINVAL: argument BUNDLE: test.a [" + a.getBundleId() + "] is the bundle that updates; update it with: update "
                + a.getBundleId() + " [URL]", e.getMessage());
        assertEquals(Bundle.ACTIVE, a.getState(), "nothing changed");
    }

    @Test
    void waitingForMoreUpdatesThanCameTimesOut() throws Exception {
        updater.update("test.a", null);
        IommuException e = assertThrows(IommuException.class, () -> updater.awaitUpdates(2, 1));
        assertEquals("ETIMEDOUT: 1 of 2 bundle updates finished within 1 ms", e.getMessage());
    }
}
