package io.iommulab.itest;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.util.tracker.ServiceTracker;

/** The container set-up shared by the tests, and helpers that run inside it. */
final class Container {

    /** Folder of the bundle jars, filled by maven-dependency-plugin from the reactor. */
    static final String BUNDLES_PROPERTY = "iommulab.itest.bundles";
    static final long TIMEOUT_MS = 10_000;
    /** slf4j-simple's system property naming the file it logs to, and its default value */
    private static final String LOG_PROPERTY = "org.slf4j.simpleLogger.logFile";
    private static final String LOG_TO_CONSOLE = "System.err";

    private Container() {
    }

    /** The test IOMMU's bundles, hardware first: its model, then its driver. */
    static final List<String> TEST_IOMMU = List.of("test-iommu-model", "test-iommu");

    /**
     * @param withTestIommu whether the test IOMMU's two bundles ({@link #TEST_IOMMU}) are installed
     *                      from the start; the testkit library always is (it registers no services)
     */
    static Option[] options(boolean withTestIommu) {
        return options(withTestIommu, null);
    }

    /**
     * As {@link #options(boolean)}, with the container's log written to {@code log} (emptied first),
     * so that a test can read what the code logged; null logs to the console. Each container says
     * where it logs: the native container shares this JVM, slf4j-simple reads the system property
     * when the container's logging bundle starts, and Pax Exam sets it as the container starts
     * (every test class's configuration is made before the first container starts).
     */
    static Option[] options(boolean withTestIommu, File log) {
        List<Option> opts = new ArrayList<>();
        if (log != null) {
            try {
                Files.deleteIfExists(log.toPath());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        opts.add(systemProperty(LOG_PROPERTY).value(log != null ? log.getAbsolutePath() : LOG_TO_CONSOLE));
        for (File jar : bundleJars()) {
            String name = jar.getName();
            if (!withTestIommu && TEST_IOMMU.stream().anyMatch(a -> isJarOf(name, a))) {
                continue;
            }
            if (isLoggingStack(name)) {
                // SPI Fly must register slf4j-simple before any bundle (Pax Exam's own at level 2) asks for a logger.
                opts.add(bundle(jar.toURI().toString()).startLevel(1));
            } else {
                opts.add(bundle(jar.toURI().toString()));
            }
        }
        opts.add(junitBundles());
        opts.add(cleanCaches());
        opts.add(frameworkProperty("felix.bootdelegation.implicit").value("false"));
        opts.add(frameworkProperty("gosh.args").value("--nointeractive"));
        // Every IT runs under the DMA sanitizer from the boot; SanitizerCheck asserts it found nothing.
        opts.add(frameworkProperty(SanitizerCheck.SANITIZE).value("true"));
        return opts.toArray(new Option[0]);
    }

    /** @return the lines of {@code log} that contain every one of {@code parts} */
    static List<String> logLines(File log, String... parts) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(log.toPath(), StandardCharsets.UTF_8)) {
            if (Arrays.stream(parts).allMatch(line::contains)) {
                out.add(line);
            }
        }
        return out;
    }

    private static boolean isLoggingStack(String jarName) {
        return jarName.startsWith("slf4j-") || jarName.startsWith("asm") || jarName.startsWith("org.apache.aries.spifly");
    }

    static File[] bundleJars() {
        String dir = System.getProperty(BUNDLES_PROPERTY);
        if (dir == null) {
            throw new IllegalStateException("system property " + BUNDLES_PROPERTY + " is not set (run through Maven)");
        }
        File[] jars = new File(dir).listFiles((d, n) -> n.endsWith(".jar"));
        if (jars == null || jars.length == 0) {
            throw new IllegalStateException("no bundle jars in " + dir);
        }
        Arrays.sort(jars);
        return jars;
    }

    static File testkitJar() {
        return jar("testkit");
    }

    /** @return the bundle jar of a reactor module, e.g. {@code jar("dart")} for dart-0.2.0-SNAPSHOT.jar */
    static File jar(String artifactId) {
        for (File f : bundleJars()) {
            if (isJarOf(f.getName(), artifactId)) {
                return f;
            }
        }
        throw new IllegalStateException("no " + artifactId + " jar in " + System.getProperty(BUNDLES_PROPERTY));
    }

    /** @return whether {@code jarName} is the jar of {@code artifactId} (test-iommu-0.2.0.jar, not test-iommu-model-0.2.0.jar) */
    private static boolean isJarOf(String jarName, String artifactId) {
        return jarName.startsWith(artifactId + "-") && Character.isDigit(jarName.charAt(artifactId.length() + 1));
    }

    /**
     * Installs and starts the test IOMMU's two bundles while the container runs, as a user drops
     * them into the launcher's deploy folder: the hardware model, then its driver.
     *
     * @return the bundles, in {@link #TEST_IOMMU} order
     */
    static List<Bundle> installTestIommu(BundleContext ctx) throws BundleException {
        List<Bundle> out = new ArrayList<>();
        for (String artifactId : TEST_IOMMU) {
            Bundle b = ctx.installBundle(jar(artifactId).toURI().toString());
            b.start();
            out.add(b);
        }
        return out;
    }

    /** Uninstalls bundles in the reverse order: software goes before the hardware it drives. */
    static void uninstall(List<Bundle> bundles) throws BundleException {
        for (int i = bundles.size() - 1; i >= 0; i--) {
            bundles.get(i).uninstall();
        }
    }

    /** @return the installed bundle with this symbolic name */
    static Bundle installed(BundleContext ctx, String bsn) {
        for (Bundle b : ctx.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(bsn + " is not installed");
    }

    /**
     * Updates {@code b} from {@code jar} (a new revision with new class loaders, as a developer's
     * rebuilt bundle) and refreshes it if the old revision is still wired (exported packages in use),
     * so that its importers are restarted against the new revision.
     */
    static void update(BundleContext ctx, Bundle b, File jar) throws IOException, BundleException, InterruptedException {
        try (InputStream in = new FileInputStream(jar)) {
            b.update(in);
        }
        refreshIfPending(ctx, b);
    }

    /**
     * Updates several bundles (each from its jar), then refreshes together those whose old revision is
     * still wired: as a user updates a driver and a variant of it at once.
     */
    static void updateTogether(BundleContext ctx, List<Bundle> bundles, List<File> jars)
            throws IOException, BundleException, InterruptedException {
        for (int i = 0; i < bundles.size(); i++) {
            try (InputStream in = new FileInputStream(jars.get(i))) {
                bundles.get(i).update(in);
            }
        }
        refreshIfPending(ctx, bundles);
    }

    /** An updated bundle that exported packages in use keeps its old revision until refreshed. */
    static void refreshIfPending(BundleContext ctx, Bundle b) throws InterruptedException {
        refreshIfPending(ctx, List.of(b));
    }

    /**
     * Refreshes those of {@code bundles} whose old revision is still wired (one refresh for all, as
     * after updating several bundles together), waiting for the framework to finish.
     */
    static void refreshIfPending(BundleContext ctx, List<Bundle> bundles) throws InterruptedException {
        FrameworkWiring fw = ctx.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class);
        List<Bundle> pending = new ArrayList<>(bundles);
        pending.retainAll(fw.getRemovalPendingBundles());
        if (pending.isEmpty()) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        fw.refreshBundles(pending, e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        if (!done.await(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            throw new AssertionError("refresh of " + pending + " did not finish in " + TIMEOUT_MS + " ms");
        }
    }

    /**
     * The testkit board (its IOMMUs are test IOMMUs), read straight from the testkit jar: the
     * container's test classes use no testkit class.
     */
    static byte[] testkitDts() {
        return jarEntry("testkit", "boards/testkit.dts");
    }

    /** @return an entry of a reactor module's bundle jar, e.g. {@code jarEntry("machine", "boards/default.dts")} */
    static byte[] jarEntry(String artifactId, String entry) {
        File jar = jar(artifactId);
        try (JarFile jf = new JarFile(jar)) {
            ZipEntry e = jf.getEntry(entry);
            if (e == null) {
                throw new IllegalStateException(entry + " is missing from " + jar);
            }
            try (InputStream in = jf.getInputStream(e)) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @return the service, waiting up to {@link #TIMEOUT_MS}. The probe keeps using it until the
     *         container stops: a delayed DS component is deactivated when its last user lets go.
     */
    static <T> T service(BundleContext ctx, Class<T> type) throws InterruptedException {
        ServiceTracker<T, T> t = new ServiceTracker<>(ctx, type, null);
        t.open();
        try {
            if (t.waitForService(TIMEOUT_MS) == null) {
                throw new AssertionError("no " + type.getName() + " service after " + TIMEOUT_MS + " ms");
            }
            ServiceReference<T> ref = t.getServiceReference();
            T s = ctx.getService(ref);
            if (s == null) {
                throw new AssertionError(type.getName() + " service went away while being fetched");
            }
            return s;
        } finally {
            t.close();
        }
    }

    /** @return how many services of {@code type} are registered now */
    static int services(BundleContext ctx, Class<?> type) throws org.osgi.framework.InvalidSyntaxException {
        ServiceReference<?>[] refs = ctx.getAllServiceReferences(type.getName(), null);
        return refs == null ? 0 : refs.length;
    }

    /** Polls {@code condition} until it holds; fails with {@code what} after {@link #TIMEOUT_MS}. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        await(() -> what, condition);
    }

    /** As {@link #await(String, BooleanSupplier)}; {@code what} is asked at the timeout, to show the state then. */
    static void await(Supplier<String> what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + TIMEOUT_MS + " ms waiting for " + what.get());
            }
            Thread.sleep(10);
        }
    }
}
