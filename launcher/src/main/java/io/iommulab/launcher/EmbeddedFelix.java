package io.iommulab.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.felix.framework.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleRevision;

/**
 * Felix embedded in the launcher: installs the bundles shipped in the jar's {@code bundles/}
 * folder, starts hardware at level 2 and everything else at level 3, except the tools that only
 * commands use, at level 4 once the board probed ({@link #startTools()}), and stops cleanly (once,
 * whether from the main thread or the shutdown hook). SLF4J is the launcher's: on its class path,
 * exported by the system bundle.
 */
final class EmbeddedFelix {

    static final String BUNDLES = "bundles/";
    /** Folder of this run's framework cache that holds the copies of the shipped bundles. */
    static final String EMBEDDED = "embedded";
    /**
     * Start level of hardware (the machine, and every bundle that brings a hardware model: the DART
     * with its Thunderbolt variant, the SMMU, the test IOMMU) and of SCR: hardware starts before the
     * software that drives it and, at shutdown, stops after it, so drivers still find their
     * registers when they reset them on remove. SCR goes with it because a stopping SCR disposes the
     * components of every bundle at once (in its own order), which would unplug the hardware models
     * before the drivers are removed.
     */
    private static final int HARDWARE_LEVEL = 2;
    /**
     * The manifest header by which a bundle says it is hardware ({@code Iommulab-Hardware: true}),
     * so that one dropped into the deploy folder gets the hardware level as the shipped ones do.
     */
    static final String HARDWARE_HEADER = "Iommulab-Hardware";
    /**
     * SCR and the libraries it needs: not hardware, but started and stopped with it (see {@link #HARDWARE_LEVEL});
     * Config Admin and Metatype (with the Log API Metatype needs) with them, so that SCR configures
     * every software component from its first activation on.
     */
    private static final List<String> HARDWARE_LEVEL_LIBRARIES = List.of("org.apache.felix.scr",
            "org.osgi.service.component", "org.osgi.util.promise", "org.osgi.util.function", "org.apache.felix.configadmin",
            "org.apache.felix.metatype", "org.osgi.service.log");
    /** Start level of every other bundle, and the framework's beginning start level. */
    private static final int BEGINNING = 3;
    /**
     * Start level of what only commands use, started after the boot when commands or the shell
     * follow ({@link #startTools()}): a bare run starts (and stops) none of it.
     */
    private static final int TOOLS_LEVEL = 4;
    private static final List<String> TOOLS = List.of("org.apache.felix.gogo.shell", "org.apache.felix.gogo.command",
            "io.iommulab.compare", "io.iommulab.campaign");

    private static final long STOP_TIMEOUT_MS = 10_000;
    /** Watches the deploy folder: started only when there is one. */
    static final String FILEINSTALL = "org.apache.felix.fileinstall";
    /** The SLF4J packages the system bundle exports from the launcher's class path. */
    private static final List<String> SLF4J_PACKAGES = List.of("org.slf4j", "org.slf4j.event", "org.slf4j.helpers",
            "org.slf4j.spi");

    private final Framework framework;
    private final Path storage;
    private final Path deploy;
    private final PrintStream err;
    private boolean stopped;

    private EmbeddedFelix(Framework framework, Path storage, Path deploy, PrintStream err) {
        this.framework = framework;
        this.storage = storage;
        this.deploy = deploy;
        this.err = err;
    }

    /**
     * Creates, fills and starts the framework.
     *
     * @param deploy the FileInstall folder (created if absent), or null: no deploy folder, FileInstall
     *               is not started
     * @param extra  further framework properties: the log levels ({@link Logging#framework()}), what
     *               the bundles read (e.g. {@code iommulab.iommu.sanitize})
     */
    static EmbeddedFelix start(Path deploy, Map<String, String> extra, PrintStream err) throws IOException, BundleException {
        if (deploy != null) {
            Files.createDirectories(deploy);
        }
        // A private cache per run: two launchers in one folder do not share state, and nothing is left behind.
        Path storage = Files.createTempDirectory(scratch(), "iommulab-felix-");
        Map<String, Object> props = new HashMap<>();
        props.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        props.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, Integer.toString(BEGINNING));
        props.put("felix.startlevel.bundle", Integer.toString(BEGINNING));
        // Bundles must not see the launcher's class path (Felix, and the device-tree classes the
        // board check runs before the framework starts: bundles get their own from the machine bundle).
        props.put("felix.bootdelegation.implicit", "false");
        // ... except SLF4J: one logging back end for every bundle, found without SPI Fly's weaving of each class
        props.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, slf4jExports());
        props.put("felix.log.logger", new StderrLogger(err));
        if (deploy != null) {
            props.put("felix.fileinstall.dir", deploy.toAbsolutePath().toString());
        }
        props.put("felix.fileinstall.poll", "500");
        props.put("felix.fileinstall.noInitialDelay", "true");
        props.put("felix.fileinstall.log.default", "jul");
        // A change made in the shell (iommu:config) to a configuration read from a file in the folder
        // is written back into that file, so that the file and the running policy agree (FileInstall's
        // default, said here because it writes into the user's file).
        props.put("felix.fileinstall.enableConfigSave", "true");
        // Gogo's own console would read stdin and stop the framework at EOF; the launcher opens
        // the interactive shell itself (after the boot) when it runs on a terminal.
        props.put("gosh.args", "--nointeractive");
        props.putAll(extra);

        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, EmbeddedFelix.class.getClassLoader())
                .findFirst().orElseThrow(() -> new IllegalStateException("no OSGi FrameworkFactory on the class path"));
        @SuppressWarnings({"unchecked", "rawtypes"})
        Map<String, String> config = (Map) props; // Felix accepts objects (the logger) in its configuration map
        Framework fw = factory.newFramework(config);
        EmbeddedFelix felix = new EmbeddedFelix(fw, storage, deploy, err);
        try {
            fw.init();
            // Every bundle gets its level as it is installed: the shipped ones now, the deploy folder's later.
            fw.getBundleContext().addBundleListener((SynchronousBundleListener) e -> {
                if (e.getType() == BundleEvent.INSTALLED && !isFragment(e.getBundle())) {
                    e.getBundle().adapt(BundleStartLevel.class).setStartLevel(startLevel(e.getBundle()));
                }
            });
            felix.installAll();
            fw.start();
        } catch (IOException | BundleException | RuntimeException e) {
            felix.stop();
            throw e;
        }
        felix.reportInactive();
        return felix;
    }

    /**
     * @return where the per-run cache goes: a folder in memory if there is one ({@code
     *         $XDG_RUNTIME_DIR}, {@code /dev/shm}), else the temporary folder. Writing the copies of
     *         the bundles and the framework's files for each was a fifth of the start on a busy disk.
     */
    static Path scratch() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        for (Path p : new Path[] {runtime == null || runtime.isEmpty() ? null : Path.of(runtime), Path.of("/dev/shm")}) {
            if (p != null && Files.isDirectory(p) && Files.isWritable(p)) {
                return p;
            }
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    BundleContext context() {
        return framework.getBundleContext();
    }

    /** @return the folder FileInstall watches, or null if there is none */
    Path deploy() {
        return deploy;
    }

    Framework framework() {
        return framework;
    }

    private void installAll() throws IOException, BundleException {
        BundleContext ctx = framework.getBundleContext();
        List<Bundle> installed = new ArrayList<>();
        Path self = selfLocation();
        if (Files.isDirectory(self)) {
            // Running from target/classes (tests, IDE).
            Path dir = self.resolve(BUNDLES);
            List<Path> jars;
            try (Stream<Path> s = Files.list(dir)) {
                jars = s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
            }
            for (Path jar : jars) {
                installed.add(ctx.installBundle(jar.toUri().toString()));
            }
        } else {
            for (Path jar : extractBundles(self, storage.resolve(EMBEDDED))) {
                // reference: Felix reads the copy in place instead of copying it once more into its cache
                installed.add(ctx.installBundle("reference:" + jar.toUri()));
            }
        }
        if (installed.isEmpty()) {
            throw new IllegalStateException("no bundles found under " + BUNDLES + " in " + self);
        }
        for (Bundle b : installed) {
            if (!isFragment(b) && !unused(b)) {
                b.start();
            }
        }
    }

    /** @return whether the bundle stays unstarted in this run: FileInstall without a deploy folder (it would make one) */
    private boolean unused(Bundle b) {
        return deploy == null && FILEINSTALL.equals(b.getSymbolicName());
    }

    /** @return the system bundle's export of the SLF4J API on the class path, at its version */
    static String slf4jExports() throws IOException {
        String version;
        try (InputStream in = EmbeddedFelix.class.getResourceAsStream("/META-INF/maven/org.slf4j/slf4j-api/pom.properties")) {
            if (in == null) {
                throw new IOException("no SLF4J API on the launcher's class path");
            }
            Properties p = new Properties();
            p.load(in);
            version = p.getProperty("version");
        }
        StringBuilder sb = new StringBuilder();
        for (String pkg : SLF4J_PACKAGES) {
            sb.append(sb.length() > 0 ? "," : "").append(pkg).append(";version=\"").append(version).append('"');
        }
        return sb.toString();
    }

    /** @return the start level of a bundle (see {@link #HARDWARE_LEVEL}, {@link #TOOLS_LEVEL}) */
    static int startLevel(Bundle b) {
        if (isHardware(b) || HARDWARE_LEVEL_LIBRARIES.contains(b.getSymbolicName())) {
            return HARDWARE_LEVEL;
        }
        return TOOLS.contains(b.getSymbolicName()) ? TOOLS_LEVEL : BEGINNING;
    }

    /** Starts the tools ({@link #TOOLS_LEVEL}), at most once, and waits until they are (or did not start: said on stderr). */
    void startTools() throws InterruptedException {
        FrameworkStartLevel level = framework.adapt(FrameworkStartLevel.class);
        if (level.getStartLevel() >= TOOLS_LEVEL) {
            return;
        }
        CountDownLatch reached = new CountDownLatch(1);
        level.setStartLevel(TOOLS_LEVEL, e -> reached.countDown());
        reached.await();
        reportInactive();
    }

    /** @return whether the bundle waits for a start level the framework has not reached yet */
    private boolean notYet(Bundle b) {
        BundleStartLevel level = b.adapt(BundleStartLevel.class);
        return level != null && level.getStartLevel() > framework.adapt(FrameworkStartLevel.class).getStartLevel();
    }

    /** @return whether the bundle declares itself hardware ({@value #HARDWARE_HEADER}{@code : true}) */
    static boolean isHardware(Bundle b) {
        String value = b.getHeaders("").get(HARDWARE_HEADER);
        return value != null && value.trim().equalsIgnoreCase("true");
    }

    /**
     * Copies the bundles shipped in the launcher jar into this run's cache folder. Their locations
     * are then {@code file:} URLs that the framework can read again, so {@code update <id>} without
     * a URL re-reads the shipped copy (an {@code iommulab:} location could not be read again), even
     * when the launcher jar was moved or rebuilt since the start. It costs what installing from the
     * jar's entries cost before: each bundle is written to disk once.
     *
     * @return the copies, in name order
     */
    static List<Path> extractBundles(Path launcherJar, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        try (JarFile jf = new JarFile(launcherJar.toFile())) {
            List<JarEntry> entries = new ArrayList<>();
            for (Enumeration<JarEntry> en = jf.entries(); en.hasMoreElements();) {
                JarEntry e = en.nextElement();
                String n = e.getName();
                if (n.startsWith(BUNDLES) && n.endsWith(".jar") && n.indexOf('/', BUNDLES.length()) < 0) {
                    entries.add(e);
                }
            }
            entries.sort(Comparator.comparing(JarEntry::getName));
            for (JarEntry e : entries) {
                Path copy = dir.resolve(e.getName().substring(BUNDLES.length()));
                try (InputStream in = jf.getInputStream(e)) {
                    Files.copy(in, copy);
                }
                out.add(copy);
            }
        }
        return out;
    }

    private static boolean isFragment(Bundle b) {
        BundleRevision rev = b.adapt(BundleRevision.class);
        return rev != null && (rev.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    /** Says which bundles did not start and why (the resolver's message), on stderr. */
    private void reportInactive() {
        for (Bundle b : framework.getBundleContext().getBundles()) {
            if (b.getState() == Bundle.ACTIVE || isFragment(b) || unused(b) || notYet(b)) {
                continue;
            }
            String why;
            try {
                b.start();
                why = b.getState() == Bundle.ACTIVE ? null : "state " + b.getState();
            } catch (BundleException e) {
                why = e.getMessage();
            }
            if (why != null) {
                err.println("iommulab: bundle " + b.getSymbolicName() + " did not start: " + why);
            }
        }
    }

    private static Path selfLocation() {
        try {
            return Path.of(EmbeddedFelix.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the launcher jar", e);
        }
    }

    /**
     * Waits until a service of {@code className} is registered. Looks up with
     * getAllServiceReferences: the launcher does not share the service's class, so the
     * class-compatibility filter of getServiceReferences must not apply.
     *
     * @return the reference, or null on timeout
     */
    ServiceReference<?> awaitService(String className, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        BundleContext ctx = framework.getBundleContext();
        while (true) {
            try {
                ServiceReference<?>[] refs = ctx.getAllServiceReferences(className, null);
                if (refs != null && refs.length > 0) {
                    return refs[0];
                }
            } catch (InvalidSyntaxException e) {
                throw new IllegalArgumentException(e);
            }
            if (System.nanoTime() - deadline > 0 || framework.getState() != Bundle.ACTIVE) {
                return null;
            }
            Thread.sleep(5);
        }
    }

    /** @return bundles that are not active, as {@code name (STATE)}, for error messages */
    List<String> inactiveBundles() {
        List<String> out = new ArrayList<>();
        for (Bundle b : framework.getBundleContext().getBundles()) {
            if (b.getState() != Bundle.ACTIVE && !isFragment(b) && !unused(b) && !notYet(b)) {
                out.add(b.getSymbolicName() + " (" + stateName(b.getState()) + ")");
            }
        }
        return out;
    }

    private static String stateName(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "UNINSTALLED";
        };
    }

    /** Blocks until the framework has stopped (e.g. {@code stop 0} in the shell). */
    void waitForStop() throws InterruptedException {
        framework.waitForStop(0);
    }

    /** Stops the framework and removes its cache; safe to call twice and from the shutdown hook. */
    synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            framework.stop();
            FrameworkEvent ev = framework.waitForStop(STOP_TIMEOUT_MS);
            if (ev.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                err.println("iommulab: the framework did not stop within " + STOP_TIMEOUT_MS + " ms");
            }
        } catch (BundleException e) {
            err.println("iommulab: stopping the framework failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(storage);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // A temp folder left behind is harmless; do not fail a clean exit for it.
        }
    }

    /** Felix's own log (resolver errors and the like) on stderr, so that stdout stays for results. */
    static final class StderrLogger extends Logger {
        private final PrintStream err;

        StderrLogger(PrintStream err) {
            this.err = err;
        }

        @Override
        protected void doLogOut(int level, String msg, Throwable throwable) {
            String tag = switch (level) {
                case LOG_ERROR -> "ERROR";
                case LOG_WARNING -> "WARN";
                case LOG_INFO -> "INFO";
                default -> "DEBUG";
            };
            err.println("[felix] " + tag + " " + msg + (throwable != null ? ": " + throwable : ""));
        }
    }
}
